import _CSwiftGC

/// A span: a run of consecutive pages that is either free, divided into
/// equal small objects of one size class and kind, one large object, or a
/// chunk of a user arena (gc_arena_*, Heap/UserArena.swift), which holds
/// the arena's objects without any per-object record.
///
/// Its descriptor lives in the collector's metadata, never in the heap:
///
///     offset   0  header (this struct, at most 128 bytes)
///     offset 128  live bits, 16 words: bit i set = object i is allocated
///     offset 256  mark bits, 16 words: bit i set = object i reached this cycle
///     offset 384  quarantine bits, 16 words: bit i set = object i was freed
///                 in safe-free mode and waits for a collection (see Quarantine)
///
/// Invariants between collections: every mark bit is zero; an object is
/// allocated exactly when its live bit is set (slots reserved by a thread
/// cache count as allocated).
struct Span {
    static let descriptorSize: UInt = 512
    static let maximumObjectCount: UInt = 1024
    static let bitmapWordCount = 16
    private static let liveBitsOffset = 128
    private static let markBitsOffset = 256

    /// First byte of the span in the arena.
    var start: Address = .null
    var pageCount: UInt = 0
    /// Bytes per object; for a large object, the whole span.
    var objectSize: UInt = 0
    /// ceil(2^40 / objectSize): offset × reciprocal >> 40 = object index.
    var reciprocal: UInt64 = 0
    var objectCount: Int = 0
    /// Links in an available list (small spans) or a free list (free spans).
    var next: UnsafeMutablePointer<Span>? = nil
    var previous: UnsafeMutablePointer<Span>? = nil
    var state: SpanState = .free
    var kind: ObjectKind = .normal
    var sizeClass: UInt8 = 0
    /// Every byte not in a live object is zero, so allocation need not clear.
    var isZeroed = true
    /// Some of its pages may hold physical memory (false after decommit).
    var isCommitted = false
    /// The cache entry allocating from this span, if any; it tells reserved
    /// slots (live bit set, not yet handed out) from objects.
    var owner: UnsafeMutablePointer<CacheEntry>? = nil
    /// On its class's available list.
    var isInAvailableList = false
    /// Marking set a mark bit here without scanning the object (mark stack overflow).
    var hasUnscannedMarks = false
    /// Collections this free span has stayed free through.
    var freeAge: UInt32 = 0
    /// For a large object aligned beyond the page size (memalign in the
    /// preload library): bytes from `start` to the address handed out.
    var userOffset: UInt = 0
    /// A large object only: safe-free mode has cleared it in quarantine, so
    /// later collections that keep it need not clear it again.
    var isClearedInQuarantine = false
    /// The heap's sweep epoch when this span was last swept or formatted
    /// (Collector/LazySweeping).
    var sweptEpoch: UInt32 = 0
    /// The heap's write-protection epoch when this span's pages were last
    /// unprotected for allocation (Heap.unprotectForAllocation).
    var unprotectedEpoch: UInt32 = 0
    /// A user-arena chunk only: the `UserArena` record that owns it, or nil
    /// once the chunk is quarantined (its arena was freed while pointers
    /// into it remained; see GCAPI/UserArenas.swift).
    var userArena: UnsafeMutableRawPointer? = nil
    /// A user-arena chunk only: bytes from `start` handed out to objects,
    /// for a chunk the arena no longer bumps in (the current chunk's use is
    /// the arena's bump pointer). Roots are its first `userArenaUsedBytes`.
    var userArenaUsedBytes: UInt = 0

    var bytes: UInt { pageCount &* PageMap.pageSize }
    var isOwnedByCache: Bool { owner != nil }
    var end: Address { start + bytes }
}

enum SpanState: UInt8 {
    case free
    case small
    case large
    /// A chunk of a user arena: `kind` is `.normal` (scanned like a root)
    /// or `.atomic` (never scanned); `objectCount` is 0, so no word pointing
    /// here ever marks, frees or finds an object. Only the arena frees it.
    case userArena
}

extension UnsafeMutablePointer where Pointee == Span {
    @inline(__always) var liveBits: Bitmap {
        Bitmap(words: (UnsafeMutableRawPointer(self) + 128).assumingMemoryBound(to: UInt64.self))
    }

    @inline(__always) var markBits: Bitmap {
        Bitmap(words: (UnsafeMutableRawPointer(self) + 256).assumingMemoryBound(to: UInt64.self))
    }

    @inline(__always) var quarantineBits: Bitmap {
        Bitmap(words: (UnsafeMutableRawPointer(self) + 384).assumingMemoryBound(to: UInt64.self))
    }

    /// The index of the object containing `address`, which lies in the span;
    /// may equal objectCount for the unused tail.
    @inline(__always) func objectIndex(containing address: Address) -> Int {
        let offset = UInt64(address - pointee.start)
        return Int(truncatingIfNeeded: (offset &* pointee.reciprocal) &>> 40)
    }

    /// Whether object `index` has been handed out: live, and not a slot a
    /// cache has reserved but not yet returned.
    func isAllocated(_ index: Int) -> Bool {
        guard liveBits.isSet(index) else { return false }
        if let owner = pointee.owner, owner.holdsFree(slot: index, of: self) { return false }
        return true
    }

    /// The slot of a small span that starts exactly at `address`, or nil
    /// (a large or free span, an interior address, the span's tail).
    @inline(__always) func smallSlot(startingAt address: Address) -> Int? {
        guard pointee.state == .small else { return nil }
        let index = objectIndex(containing: address)
        guard index < pointee.objectCount, objectStart(index) == address else { return nil }
        return index
    }

    /// The owning cache entry, read atomically (sequentially consistent):
    /// malloc mode's lock-free free reads it without the heap lock.
    @inline(__always) var atomicOwner: UnsafeMutablePointer<CacheEntry>? {
        let raw = withUnsafeMutablePointer(to: &pointee.owner) { slot in
            Atomics.load(sequentiallyConsistent: UnsafeRawPointer(slot).assumingMemoryBound(to: UnsafeMutableRawPointer?.self))
        }
        return raw?.assumingMemoryBound(to: CacheEntry.self)
    }

    /// Drops the owning cache entry with a sequentially consistent store, so
    /// that a lock-free free either sees the span unowned or its cleared bit
    /// is seen by the caller's scan that follows.
    @inline(__always) func dropOwnerAtomically() {
        withUnsafeMutablePointer(to: &pointee.owner) { slot in
            Atomics.store(sequentiallyConsistent: UnsafeMutableRawPointer(slot).assumingMemoryBound(to: UnsafeMutableRawPointer?.self), nil)
        }
    }

    /// `isInAvailableList`, read atomically without the heap lock.
    @inline(__always) var atomicIsInAvailableList: Bool {
        withUnsafeMutablePointer(to: &pointee.isInAvailableList) { flag in
            Atomics.load(sequentiallyConsistent: UnsafeRawPointer(flag).assumingMemoryBound(to: UInt8.self)) != 0
        }
    }

    /// Whether every live bit is clear: no object allocated or reserved.
    /// Without the lock the answer is only a hint.
    func isEmpty() -> Bool {
        let wordCount = (pointee.objectCount + 63) &>> 6
        for word in 0..<wordCount where Atomics.load(relaxed: liveBits.words + word) != 0 { return false }
        return true
    }

    /// Whether some slot's live bit is clear.
    func hasFreeSlot() -> Bool {
        let wordCount = (pointee.objectCount + 63) &>> 6
        for word in 0..<wordCount
            where ~Atomics.load(relaxed: liveBits.words + word) & validBitsMask(wordIndex: word, bitCount: pointee.objectCount) != 0 {
            return true
        }
        return false
    }

    @inline(__always) func objectStart(_ index: Int) -> Address {
        pointee.start + UInt(bitPattern: index) &* pointee.objectSize
    }

    /// Turns a free descriptor into a small span of `sizeClass` and `kind`.
    func formatSmall(sizeClass: Int, kind: ObjectKind) {
        let size = SizeClass.objectSize(ofClass: sizeClass)
        pointee.state = .small
        pointee.kind = kind
        pointee.sizeClass = UInt8(sizeClass)
        pointee.objectSize = size
        pointee.reciprocal = Span.reciprocal(of: size)
        pointee.objectCount = Int(pointee.bytes / size)
        pointee.owner = nil
        pointee.isInAvailableList = false
        pointee.hasUnscannedMarks = false
        liveBits.clearAll(wordCount: Span.bitmapWordCount)
        markBits.clearAll(wordCount: Span.bitmapWordCount)
        quarantineBits.clearAll(wordCount: Span.bitmapWordCount)
    }

    /// Turns a free descriptor into a span holding one large object.
    func formatLarge(kind: ObjectKind) {
        pointee.state = .large
        pointee.kind = kind
        pointee.objectSize = pointee.bytes
        pointee.reciprocal = 0
        pointee.objectCount = 1
        pointee.userOffset = 0
        pointee.owner = nil
        pointee.isInAvailableList = false
        pointee.hasUnscannedMarks = false
        liveBits.words[0] = 1
        markBits.words[0] = 0
        quarantineBits.words[0] = 0
        pointee.isClearedInQuarantine = false
    }
}

extension UnsafeMutablePointer where Pointee == Span {
    /// Turns a free descriptor into a chunk of `arena`, scanned or not.
    func formatUserArenaChunk(arena: UnsafeMutableRawPointer, isScanned: Bool) {
        pointee.state = .userArena
        pointee.kind = isScanned ? .normal : .atomic
        pointee.objectSize = 0
        pointee.reciprocal = 0
        pointee.objectCount = 0
        pointee.userOffset = 0
        pointee.owner = nil
        pointee.isInAvailableList = false
        pointee.hasUnscannedMarks = false
        pointee.userArena = arena
        pointee.userArenaUsedBytes = 0
        liveBits.words[0] = 0
        markBits.words[0] = 0
        quarantineBits.words[0] = 0
    }
}

extension Span {
    static func reciprocal(of size: UInt) -> UInt64 {
        ((1 << 40) + UInt64(size) - 1) / UInt64(size)
    }
}
