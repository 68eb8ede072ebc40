import _CSwiftGC

/// One size class and kind of a thread's allocation cache: the free slots
/// of one 64-object word of a span the thread owns.
///
/// `hiddenWordBase` is the bitwise complement of the address of the word's
/// first slot. Keeping it hidden means that a scan of this memory (thread
/// caches are in metadata and never scanned, but TLS scanning may reach a
/// stale copy) never mistakes it for a pointer to a heap object.
struct CacheEntry {
    /// Bit i set: slot (word × 64 + i) is free and reserved for this thread.
    var freeMask: UInt64 = 0
    var hiddenWordBase: UInt = 0
    var objectSize: UInt = 0
    var span: UnsafeMutablePointer<Span>? = nil
    /// Index of the bitmap word claimed last.
    var wordIndex: Int = 0
    var needsZeroing = false
}

/// A thread's allocation cache: one entry per kind and size class, in
/// metadata memory, found through one initial-exec TLS pointer.
///
/// The fast path pops the lowest set bit of an entry's free mask: no lock,
/// no atomic operation. The slow path claims the next word of the owned
/// span (setting its live bits at once) or takes a new span under the heap
/// lock. A slot is never handed out twice nor lost: a collection treats each entry's reserved slots as
/// marked instead of taking them back (see `Heap.pinCachedSlots`).
struct ThreadCache {
    static let entryCount = ObjectKind.count * SizeClass.count

    /// The next cache in the collector's list of all caches.
    var nextCache: UnsafeMutablePointer<ThreadCache>? = nil
    var entriesStorage: UnsafeMutablePointer<CacheEntry>

    static var byteCount: UInt {
        UInt(MemoryLayout<ThreadCache>.stride) + UInt(MemoryLayout<CacheEntry>.stride * entryCount) + 64
            + RecentlyFreedBlocks.storageBytes
    }
}

extension UnsafeMutablePointer where Pointee == ThreadCache {
    /// The calling thread's cache, or nil before its first slow-path allocation.
    @inline(__always) static var current: UnsafeMutablePointer<ThreadCache>? {
        swiftgc_thread_cache()?.assumingMemoryBound(to: ThreadCache.self)
    }

    @inline(__always) func entry(kind: ObjectKind, sizeClass: Int) -> UnsafeMutablePointer<CacheEntry> {
        pointee.entriesStorage + (Int(kind.rawValue) &* SizeClass.count &+ sizeClass)
    }
}

extension UnsafeMutablePointer where Pointee == CacheEntry {
    /// Whether slot `index` of the entry's span is in its free mask:
    /// reserved by the cache, not handed out.
    @inline(__always) func holdsFree(slot index: Int) -> Bool {
        pointee.wordIndex == index &>> 6 && pointee.freeMask & (1 &<< UInt64(index & 63)) != 0
    }

    /// The fast path: a free slot, or nil when the current word is used up.
    ///
    /// Order matters against a collection that stops this thread anywhere:
    /// the address is in a register before the slot leaves the mask, so the
    /// slot is always either pinned (still in the mask) or a root.
    @inline(__always) func popSlot() -> UnsafeMutableRawPointer? {
        let mask = pointee.freeMask
        if mask == 0 { return nil }
        let address = swiftgc_materialize(
            ~pointee.hiddenWordBase &+ UInt(truncatingIfNeeded: mask.trailingZeroBitCount) &* pointee.objectSize)
        pointee.freeMask = mask & (mask &- 1)
        let object = UnsafeMutableRawPointer(bitPattern: address).unsafelyUnwrapped
        if pointee.needsZeroing { memset(object, 0, Int(pointee.objectSize)) }
        return object
    }

    /// Claims the next word of the owned span that has free slots, setting
    /// their live bits. Returns the number of slots claimed, 0 when the span
    /// has none left. The caller holds the heap lock. With `oneSlotOnly`
    /// (stress mode) it claims just the lowest free slot, so the next
    /// allocation of this class takes the slow path again. Without
    /// `clearsReusedSlots` (safe-free mode) slots are handed out as they are.
    func claimNextWord(oneSlotOnly: Bool = false, clearsReusedSlots: Bool = true) -> Int {
        guard let span = pointee.span else { return 0 }
        let liveBits = span.liveBits
        let wordCount = (span.pointee.objectCount + 63) / 64
        var word = pointee.wordIndex
        while word < wordCount {
            // Relaxed: behind the lock, bits only clear (a lock-free free),
            // so a stale word at worst hides a slot that was just freed.
            var free = ~Atomics.load(relaxed: liveBits.words + word) & validBitsMask(wordIndex: word, bitCount: span.pointee.objectCount)
            if free != 0 {
                if oneSlotOnly { free &= 0 &- free }
                // Atomic: malloc mode's lock-free free may clear other bits of this word.
                _ = Atomics.fetchOr(acquiringAndReleasing: liveBits.words + word, free)
                pointee.freeMask = free
                pointee.wordIndex = word
                pointee.hiddenWordBase = ~span.objectStart(word &* 64).value
                // Rechecked at every claim: a sweep may have left dead data.
                pointee.needsZeroing = span.pointee.kind.needsZeroing && !span.pointee.isZeroed
                    && clearsReusedSlots
                return free.nonzeroBitCount
            }
            word += 1
        }
        pointee.wordIndex = word
        return 0
    }

    /// Gives unused claimed slots back to the span and drops ownership.
    func flush() {
        guard let span = pointee.span else { return }
        let unused = pointee.freeMask
        if unused != 0 {
            // Atomic: malloc mode's lock-free free may clear other bits of this word.
            _ = Atomics.fetchAnd(acquiringAndReleasing: span.liveBits.words + pointee.wordIndex, ~unused)
            // Slots claimed during a concurrent cycle were born marked.
            span.markBits.words[pointee.wordIndex] &= ~unused
        }
        span.dropOwnerAtomically()
        pointee = CacheEntry()
    }
}
