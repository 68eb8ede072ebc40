import _CSwiftGC

/// malloc mode's free of a small block, without the heap lock:
///
/// 1. A block that is not allocated, or sits in a cache's free mask, or
///    carries the ring key (it may be held in a thread's ring of recently
///    freed blocks), is left to the locked path, which reports a double
///    free or, for a key the program happened to store, frees it.
/// 2. A block in the word the calling thread's cache allocates from goes
///    back into that entry's free mask (LocalFree).
/// 3. Any other block goes into the calling thread's ring of recently freed
///    blocks of its class (RecentlyFreedBlocks), to be handed out by the
///    next malloc of that class while its memory is still in the CPU's
///    caches, if the thread allocates from that class (its cache entry has
///    a span). A block that finds the ring full, or whose class the
///    thread does not allocate, or that would take the thread's rings over
///    256 KiB, is freed for real at once (AtomicFree: one atomic clear of
///    its live bit).
///
/// Only malloc mode uses it: no collection sweeps live bits or reads mark
/// bits, and blocks are never scanned.
enum MallocModeFree {
    /// Frees the block at `address` in `span`, or returns false when the
    /// locked path must decide (a large object, not a block start, a double
    /// free, a block of another kind than malloc's).
    @inline(__always) static func free(_ span: UnsafeMutablePointer<Span>, _ address: Address,
                                       _ state: UnsafeMutablePointer<CollectorState>) -> Bool {
        guard span.pointee.kind == .atomic, let index = span.smallSlot(startingAt: address) else { return false }
        let bit: UInt64 = 1 &<< UInt64(index & 63)
        // Not allocated, or perhaps held in a ring: the locked path decides.
        guard Atomics.load(relaxed: span.liveBits.words + (index &>> 6)) & bit != 0,
              !RecentlyFreedBlocks.mayHold(address) else { return false }
        let owner = span.atomicOwner
        if let owner, owner.holdsFree(slot: index, of: span) { return false }
        // The checks of AtomicFree.free are made: the block is kept by this
        // thread's cache or ring, or else cleared at once.
        if !keptByThisThread(span, index: index, address, owner: owner) {
            AtomicFree.clear(span, index: index, address, state)
        }
        return true
    }

    /// Puts the block back into the calling thread's cache entry (LocalFree)
    /// or ring of recently freed blocks, if either takes it.
    @inline(__always) private static func keptByThisThread(_ span: UnsafeMutablePointer<Span>, index: Int,
                                                           _ address: Address,
                                                           owner: UnsafeMutablePointer<CacheEntry>?) -> Bool {
        guard let cache = UnsafeMutablePointer<ThreadCache>.current else { return false }
        if let owner, LocalFree.freeIntoOwnCache(owner, index: index, cache) { return true }
        let sizeClass = Int(span.pointee.sizeClass)
        // A thread that does not allocate this class (a consumer of other
        // threads' blocks) would only hold the blocks back from their owners.
        guard cache.entry(kind: .atomic, sizeClass: sizeClass).pointee.span != nil else { return false }
        let ring = cache.recentlyFreed(sizeClass: sizeClass)
        let objectSize = span.pointee.objectSize
        // A full ring means frees outpace mallocs of the class (a program
        // freeing a structure): the block is freed for real at once, which
        // costs less than taking out the oldest, whose span is cold.
        guard ring.count < RecentlyFreedBlocks.limit(objectSize: objectSize), ring.hasRoom(forBytes: objectSize) else {
            return false
        }
        ring.push(address, objectSize: objectSize)
        return true
    }

    @inline(never) static func freeOldest(_ ring: RecentlyFreedBlocks, _ state: UnsafeMutablePointer<CollectorState>) {
        guard let block = ring.removeOldest(), let span = state.pointee.heap.pageMap.span(containing: block) else { return }
        _ = AtomicFree.free(span, block, state)
    }

    /// Frees every block the calling thread's rings hold, when it exits.
    /// The caller does not hold the heap lock.
    static func releaseRings(_ cache: UnsafeMutablePointer<ThreadCache>, _ state: UnsafeMutablePointer<CollectorState>) {
        for sizeClass in 0..<SizeClass.count {
            let ring = cache.recentlyFreed(sizeClass: sizeClass)
            while ring.count != 0 { freeOldest(ring, state) }
        }
    }
}
