import _CSwiftGC

/// malloc mode's real free of a small block that LocalFree did not take: a
/// block leaving a full ring of recently freed blocks (MallocModeFree), or
/// one freed by a thread without a cache: one atomic clear of the block's
/// live bit, no lock.
///
/// The cleared slot is found again by whoever allocates from the span next:
/// its owning cache entry, which claims words with an atomic OR, or any
/// cache once the span is on its class's available list. A span that no
/// cache owns and that is on no list (it was full) must be put on one; the
/// free takes the heap lock for that, once per such span. Its check of the
/// owner after the clear pairs with the owner's drop before its scan of the
/// bits (Heap.flushKeepingFreeSlots), so one of the two always lists it.
///
/// Only malloc mode uses it: no collection sweeps the live bits, and blocks
/// are never scanned, so nothing else reads them without the lock.
enum AtomicFree {
    static let doubleFreeProblem: StaticString = "object is not allocated (double free, or already reclaimed)"

    /// Frees the small block starting at `address` in `span`, or returns
    /// false when the heap lock must decide: a large object, an address that
    /// is not a block start, or a block a cache seems to hold free (a double
    /// free, which the slow path reports).
    @inline(__always) static func free(_ span: UnsafeMutablePointer<Span>, _ address: Address,
                                       _ state: UnsafeMutablePointer<CollectorState>) -> Bool {
        guard let index = span.smallSlot(startingAt: address) else { return false }
        if let owner = span.atomicOwner, owner.holdsFree(slot: index, of: span) { return false }
        clear(span, index: index, address, state)
        return true
    }

    /// The free itself, for a caller that has made the checks of `free`:
    /// clears the live bit of slot `index` (the block at `address`).
    @inline(__always) static func clear(_ span: UnsafeMutablePointer<Span>, index: Int, _ address: Address,
                                        _ state: UnsafeMutablePointer<CollectorState>) {
        let bit: UInt64 = 1 &<< UInt64(index & 63)
        // Sequentially consistent: this clear and the owner and list reads
        // below pair with the owner's drop and its scan of the bits (a
        // store then a load on each side); weaker orderings let both sides
        // miss the other's write and leave the span unlisted.
        let before = Atomics.fetchAnd(sequentiallyConsistent: span.liveBits.words + (index &>> 6), ~bit)
        if before & bit == 0 {
            reportDoubleFree(address)
        } else if before == bit {
            wordBecameEmpty(span, state)
        }
        if span.atomicOwner == nil && !span.atomicIsInAvailableList { listOrphan(span, state) }
    }

    /// For realloc in malloc mode: the size of the allocated small block
    /// starting at `address`, read without the lock, or nil when the locked
    /// path must decide (not a small block start, not allocated, or a slot
    /// a cache holds free, all of which it reports).
    @inline(__always) static func usableSize(of address: Address) -> UInt? {
        guard let state = collectorState, let span = state.pointee.heap.pageMap.span(containing: address),
              let index = span.smallSlot(startingAt: address) else { return nil }
        let bit: UInt64 = 1 &<< UInt64(index & 63)
        guard Atomics.load(relaxed: span.liveBits.words + (index &>> 6)) & bit != 0,
              !RecentlyFreedBlocks.mayHold(address) else { return nil }
        if let owner = span.atomicOwner, owner.holdsFree(slot: index, of: span) { return nil }
        return span.pointee.objectSize
    }

    @inline(never) static func reportDoubleFree(_ address: Address) {
        Misuse.report("free", address, doubleFreeProblem)
    }

    /// The last live bit of a word was cleared: if the whole span is now
    /// empty, count it towards the next release of empty spans.
    @inline(never) static func wordBecameEmpty(_ span: UnsafeMutablePointer<Span>,
                                               _ state: UnsafeMutablePointer<CollectorState>) {
        guard span.isEmpty() else { return }
        state.pointee.heap.noteEmptied(span)
        EmptySpanRelease.releaseIfDue(state)
    }

    /// Puts a span that no cache owns and no list holds on its class's
    /// available list, if it has a free slot (checked again under the lock:
    /// the span may have been listed, taken or released meanwhile).
    @inline(never) static func listOrphan(_ span: UnsafeMutablePointer<Span>,
                                          _ state: UnsafeMutablePointer<CollectorState>) {
        state.lock()
        if span.pointee.state == .small && span.pointee.owner == nil && !span.pointee.isInAvailableList
            && span.hasFreeSlot() {
            state.pointee.heap.makeAvailable(span)
        }
        state.unlock()
    }
}
