import _CSwiftGC

/// safe-free mode's quarantine: free does not make a block reusable, it
/// only sets the block's quarantine bit (`Span.quarantineBits`). The block
/// keeps its live bit, so no cache claims it; the next collection keeps the
/// quarantine bits of marked blocks and clears the others, whose live bits
/// the sweep clears in the same collection, so they are reused only once no
/// pointer to them is left. (MarkUs does the same on top of bdwgc.)
///
/// Invariants between collections: a quarantine bit is set only on a live
/// block; `quarantinedBytes` is the size of the quarantined blocks, give or
/// take frees that raced with the last collection.
///
/// free is lock-free for a valid block: an atomic OR on the bitmap word and
/// an atomic add on the byte count. Anything that does not look like a
/// block start takes the heap lock and the ordinary checks, which report it.
enum Quarantine {
    /// Bytes of quarantined blocks, updated atomically.
    nonisolated(unsafe) static var quarantinedBytes: UInt64 = 0
    /// quarantinedBytes at which free starts a collection.
    nonisolated(unsafe) static var limit: UInt64 = 4 << 20
    /// Blocks this large are decommitted rather than cleared when freed.
    static let decommitThreshold: UInt = 64 << 10

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
        case .free:
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

    /// Sets the block's quarantine bit (or reports a double free), clears
    /// its contents and counts its bytes; collects when the quarantine is full.
    private static func quarantine(_ span: UnsafeMutablePointer<Span>, index: Int, _ address: Address) {
        let bit: UInt64 = 1 &<< UInt64(index & 63)
        let previous = swiftgc_atomic_fetch_or_u64(span.quarantineBits.words + (index &>> 6), bit)
        if previous & bit != 0 {
            Misuse.report("free", address, "block is already freed and waiting in quarantine (double free)")
            return
        }
        let bytes = span.pointee.objectSize - span.pointee.userOffset
        clear(address, bytes: bytes)
        let total = withUnsafeMutablePointer(to: &quarantinedBytes) {
            swiftgc_atomic_fetch_add_u64($0, UInt64(bytes))
        } &+ UInt64(bytes)
        // Keeps `address` in a register until here, so that a collection
        // that stops this thread in between still sees the block as reachable
        // and cannot hand it out while its bit is being set or it is cleared.
        _ = swiftgc_materialize(address.value)
        if total >= limit { collectBecauseFull() }
    }

    /// Dangling pointers read zeros, and the block retains nothing if a
    /// stale pointer keeps it marked. Big blocks give their pages back instead.
    @inline(__always) private static func clear(_ address: Address, bytes: UInt) {
        if bytes >= decommitThreshold {
            OS.decommit(address, bytes: bytes)
        } else {
            memset(address.pointer!, 0, Int(bytes))
        }
    }

    @inline(never) private static func collectBecauseFull() {
        guard swiftgc_lock_depth() == 0, let state = collectorState else { return }
        defer { state.runFinalizersIfReady() } // after the unlock below
        state.lock()
        defer { state.unlock() }
        updateLimit(state)
        let current = withUnsafePointer(to: &quarantinedBytes) { swiftgc_atomic_load_u64($0) }
        if current >= limit && state.pointee.disableCount == 0 { state.collect() }
    }

    // MARK: Collection

    /// After marking, before the sweep: marked blocks stay quarantined and
    /// unmarked ones leave the quarantine (the sweep then frees them).
    /// Recounts the quarantined bytes. The world is stopped.
    static func keepMarkedBlocks(_ state: UnsafeMutablePointer<CollectorState>) {
        guard preloadMode == .safeFree else { return }
        var bytes: UInt64 = 0
        state.pointee.heap.pageMap.forEachSpan { span in
            guard span.pointee.state != .free else { return }
            let quarantine = span.quarantineBits.words
            let marks = span.markBits.words
            var count = 0
            for word in 0..<((span.pointee.objectCount + 63) &>> 6) where quarantine[word] != 0 {
                let kept = quarantine[word] & marks[word]
                quarantine[word] = kept
                count &+= kept.nonzeroBitCount
            }
            bytes &+= UInt64(count) &* UInt64(span.pointee.objectSize)
        }
        withUnsafeMutablePointer(to: &quarantinedBytes) { $0.pointee = bytes }
        updateLimit(state)
    }

    /// SWIFTGC_QUARANTINE percent of the heap in use at the last collection,
    /// and at least SWIFTGC_INITIAL_HEAP. The caller holds the lock.
    static func updateLimit(_ state: UnsafeMutablePointer<CollectorState>) {
        let percent = UInt64(state.pointee.options[.quarantine])
        let proportional = UInt64(state.pointee.statistics.bytesInUse) / 100 &* percent
        limit = max(state.pointee.options[.initialHeap], proportional)
    }

    /// Whether the block is waiting in quarantine. The caller holds the lock.
    static func contains(_ span: UnsafeMutablePointer<Span>, index: Int) -> Bool {
        preloadMode == .safeFree && span.quarantineBits.isSet(index)
    }
}
