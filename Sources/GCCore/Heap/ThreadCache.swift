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
    /// A seqlock over (span, wordIndex, freeMask), for threads that ask
    /// whether a slot is reserved here without the heap lock (gc_base,
    /// gc_size and malloc mode's free of another thread's block). Claims
    /// and flushes rewrite them under the heap lock and make it odd
    /// while they do. A reader that saw a new mask with the old word index
    /// took a live object in that word for a reserved slot: gc_base
    /// returned NULL for it (found by test_hiding_mutator). The owner's
    /// fast path only clears mask bits and needs no step: that turns a
    /// "reserved" answer into "handed out", both true at some instant.
    var claimSequence: UInt64 = 0
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
    /// Whether slot `index` of `span` is in the entry's free mask: reserved
    /// by the cache, not handed out. `span` is the one whose owner pointed
    /// here; a caller without the lock may have read that pointer just
    /// before the entry moved on to another span, hence the span check.
    @inline(__always) func holdsFree(slot index: Int, of span: UnsafeMutablePointer<Span>) -> Bool {
        var attempts = 0
        while true {
            // Acquire: the fields are read after the count.
            let before = withUnsafeMutablePointer(to: &pointee.claimSequence) { Atomics.load(acquiring: $0) }
            let holds = pointee.span == span && pointee.wordIndex == index &>> 6
                && pointee.freeMask & (1 &<< UInt64(index & 63)) != 0
            Atomics.acquireFence() // the fields are read before the count again
            let after = withUnsafeMutablePointer(to: &pointee.claimSequence) { Atomics.load(relaxed: $0) }
            // An unchanged even count: no claim or flush overlapped the reads.
            // A writer preempted mid-claim keeps the count odd for a time
            // slice, so after a few spins the reader yields. The bound
            // (about a second) only matters to a signal handler that
            // interrupted its own thread's claim and would wait forever.
            if (before & 1 == 0 && after == before) || attempts == 100_000 {
                return holds
            }
            attempts &+= 1
            if attempts < 64 { swiftgc_spin_pause() } else { OS.yieldProcessor() }
        }
    }

    /// Runs `update`, which rewrites the word index and the mask, as one
    /// step for `holdsFree` readers. The caller holds the heap lock, so
    /// writers never overlap. `update` may reset the whole entry: the count
    /// is kept across it (odd until the end).
    @inline(__always) private func publishingClaim(_ update: () -> Void) {
        let sequence = pointee.claimSequence
        withUnsafeMutablePointer(to: &pointee.claimSequence) { Atomics.store(releasing: $0, sequence &+ 1) }
        Atomics.sequentiallyConsistentFence() // the odd count is visible before any field changes
        update()
        // Release: the fields are written before the count becomes even again.
        withUnsafeMutablePointer(to: &pointee.claimSequence) { Atomics.store(releasing: $0, sequence &+ 2) }
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
                publishingClaim {
                    pointee.freeMask = free
                    pointee.wordIndex = word
                }
                pointee.hiddenWordBase = ~span.objectStart(word &* 64).value
                // Rechecked at every claim: a sweep may have left dead data.
                pointee.needsZeroing = span.pointee.kind.needsZeroing && !span.pointee.isZeroed
                    && clearsReusedSlots
                return free.nonzeroBitCount
            }
            word += 1
        }
        publishingClaim { pointee.wordIndex = word }
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
        publishingClaim {
            var empty = CacheEntry()
            empty.claimSequence = pointee.claimSequence
            pointee = empty
        }
    }
}
