import _CSwiftGC

/// safe-free mode's quarantine: free does not make a block reusable, it
/// only sets the block's quarantine bit (`Span.quarantineBits`). The block
/// keeps its live bit, so no cache claims it; the next collection keeps the
/// quarantine bits of marked blocks and clears the others, whose live bits
/// the sweep clears in the same collection, so they are reused only once no
/// pointer to them is left. (MarkUs does the same on top of bdwgc.)
///
/// Invariants between collections: a quarantine bit is set only on a live
/// block; `quarantinedBytes` is the size of the quarantined blocks, less
/// the tallies threads have not added yet, give or take frees that raced
/// with the last collection.
///
/// free is lock-free for a valid block: an atomic OR on the bitmap word and
/// an addition to the thread's tally of quarantined bytes, which goes to the
/// shared count in batches. Anything that does not look like a
/// block start takes the heap lock and the ordinary checks, which report it.
enum Quarantine {
    // Its counters, which free reads without the lock, are in
    // MallocGlobals.swift.

    /// Blocks this big go back to the OS when freed, as glibc unmaps them:
    /// one madvise is cheap next to their size, and holding them until the
    /// next collection would raise peak memory (gcc: 161 to 217 MiB).
    static let decommitAtFreeBytes: UInt = 128 << 10
    /// A thread adds its tally to `quarantinedBytes` once it reaches this;
    /// the count lags by at most this much per thread.
    static let tallyBytes: UInt64 = 128 << 10

    // MARK: free

    /// Quarantines the block starting at `address`, a pointer into the arena.
    static func free(_ address: Address, _ state: UnsafeMutablePointer<CollectorState>) {
        guard let span = state.pointee.heap.pageMap.span(containing: address) else {
            return freeUnderLock(address, state)
        }
        var index = 0
        let start: Address
        switch span.pointee.state {
        case .small:
            index = span.objectIndex(containing: address)
            guard index < span.pointee.objectCount else { return freeUnderLock(address, state) }
            start = span.objectStart(index)
        case .large:
            start = span.pointee.start + span.pointee.userOffset
        case .free, .userArena:
            return freeUnderLock(address, state)
        }
        // Reads that may race with another thread are only trusted when they
        // say "a live block starting here"; the locked path decides the rest.
        guard start == address, span.isAllocated(index) else { return freeUnderLock(address, state) }
        quarantine(span, index: index, address)
    }

    /// The checks of the other modes under the lock, with their messages.
    @inline(never) static func freeUnderLock(_ address: Address, _ state: UnsafeMutablePointer<CollectorState>) {
        state.lock()
        let block = MallocFamily.block(startingAt: address, function: "free", state)
        state.unlock()
        if let (span, index) = block { quarantine(span, index: index, address) }
    }

    /// Sets the block's quarantine bit (or reports a double free) and counts
    /// its bytes; collects when the quarantine is full. Only a big block is
    /// cleared here, by giving its pages back; others are cleared if a
    /// collection finds them still pointed to. Clearing every small block
    /// here cost half again the time of a malloc/free loop, as it touches
    /// memory free never touches otherwise, and giving back the pages of
    /// every large block (32 KiB and up) made mallocmix spend a third of its
    /// time in madvise, TLB shootdowns and page faults.
    private static func quarantine(_ span: UnsafeMutablePointer<Span>, index: Int, _ address: Address) {
        let bit: UInt64 = 1 &<< UInt64(index & 63)
        // Atomic: of two threads freeing the same block, exactly one sees
        // the bit clear; other frees may set other bits of the word.
        let previous = Atomics.fetchOr(acquiringAndReleasing: span.quarantineBits.words + (index &>> 6), bit)
        if previous & bit != 0 {
            Misuse.report("free", address, "block is already freed and waiting in quarantine (double free)")
            return
        }
        let bytes = span.pointee.objectSize - span.pointee.userOffset
        if bytes >= decommitAtFreeBytes { OS.decommit(address.pointer!, bytes: bytes) }
        let tally = swiftgc_quarantine_tally()!
        if tally.pointee.collection != collectionCount {
            // Counted already by the collection's recount, if still quarantined.
            tally.pointee = swiftgc_quarantine_tally(bytes: 0, collection: collectionCount)
        }
        tally.pointee.bytes &+= UInt64(bytes)
        // Keeps `address` in a register until here, so that a collection
        // that stops this thread in between still sees the block as reachable
        // and cannot hand it out while its bit is being set or it is cleared.
        _ = swiftgc_materialize(address.value)
        guard tally.pointee.bytes >= tallyBytes else { return }
        let total = withUnsafeMutablePointer(to: &quarantinedBytes) {
            Atomics.fetchAdd(acquiringAndReleasing: $0, tally.pointee.bytes)
        } &+ tally.pointee.bytes
        tally.pointee.bytes = 0
        if total >= limit { collectBecauseFull() }
    }

    @inline(never) private static func collectBecauseFull() {
        guard swiftgc_lock_depth() == 0, let state = collectorState else { return }
        defer { state.runFinalizersIfReady() } // after the unlock below
        state.lock()
        defer { state.unlock() }
        let current = withUnsafePointer(to: &quarantinedBytes) { Atomics.load(acquiring: $0) }
        if state.collectsForQuarantine(holding: current, keptByLastCollection: bytesKeptByLastCollection,
                                       limit: &limit) {
            state.collect()
        }
    }

    // MARK: Collection

    /// After marking, before the sweep: marked blocks stay quarantined and
    /// unmarked ones leave the quarantine (the sweep then frees them).
    /// Blocks never freed are marked, so the sweep keeps them even if
    /// unreachable: as with malloc, only free gives memory back, and a
    /// pointer the program hides (XOR lists, a shared mapping) is safe.
    /// Small blocks that stay are cleared, so a dangling pointer reads zeros
    /// from now on and, at the next collection, they retain nothing (this
    /// one has scanned them already). Recounts the quarantined bytes. The
    /// policy's `beforeSweep` hook in safe-free mode; the world is stopped.
    static func keepMarkedBlocks(_ state: UnsafeMutablePointer<CollectorState>) {
        var bytes: UInt64 = 0
        state.pointee.heap.pageMap.forEachSpan { span in
            guard span.pointee.state != .free else { return }
            let quarantine = span.quarantineBits.words
            let marks = span.markBits.words
            let live = span.liveBits.words
            let isSmall = span.pointee.state == .small
            var count = 0
            for word in 0..<((span.pointee.objectCount + 63) &>> 6) {
                marks[word] |= live[word] & ~quarantine[word]
                guard quarantine[word] != 0 else { continue }
                let kept = quarantine[word] & marks[word]
                quarantine[word] = kept
                count &+= kept.nonzeroBitCount
                var remaining = kept
                while isSmall && remaining != 0 {
                    let index = word &* 64 &+ remaining.trailingZeroBitCount
                    memset(span.objectStart(index).pointer!, 0, Int(span.pointee.objectSize))
                    remaining &= remaining &- 1
                }
                if !isSmall && kept != 0 { clearLarge(span) }
            }
            bytes &+= UInt64(count) &* UInt64(span.pointee.objectSize)
        }
        withUnsafeMutablePointer(to: &quarantinedBytes) { $0.pointee = bytes }
        collectionCount &+= 1
        bytesKeptByLastCollection = bytes
        // Counted from what stays: blocks still pointed to must not make
        // every later free collect again.
        limit = bytes &+ state.quarantineBudget
    }

    /// Clears a quarantined large block that is still pointed to, unless
    /// free gave its pages back already or an earlier collection cleared it
    /// (gcc keeps thousands of its freed 64 KiB blocks pointed to for many
    /// collections).
    private static func clearLarge(_ span: UnsafeMutablePointer<Span>) {
        let bytes = span.pointee.objectSize - span.pointee.userOffset
        guard bytes < decommitAtFreeBytes, !span.pointee.isClearedInQuarantine else { return }
        span.pointee.isClearedInQuarantine = true
        let start = span.pointee.start + span.pointee.userOffset
        let pageSize = OS.systemPageSize
        let inner = (low: start.alignedUp(to: pageSize), high: (start + bytes).alignedDown(to: pageSize))
        memset(start.pointer!, 0, Int(inner.low - start))
        OS.decommit(inner.low.pointer!, bytes: inner.high - inner.low)
        memset(inner.high.pointer!, 0, Int(start + bytes - inner.high))
    }

    /// Whether the block is waiting in quarantine. The caller holds the lock.
    static func contains(_ span: UnsafeMutablePointer<Span>, index: Int) -> Bool {
        preloadMode == .safeFree && span.quarantineBits.isSet(index)
    }
}
