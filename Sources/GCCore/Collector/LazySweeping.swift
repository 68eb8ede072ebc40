/// Lazy sweeping: a concurrent cycle's final pause does not sweep. It
/// starts a *sweep phase*, and spans are swept afterwards, a slice at a
/// time under the heap lock, by the background collector and by allocation
/// slow paths (which also take only swept spans from the available lists).
///
/// During the phase a span is *unswept* while `sweptEpoch != sweepEpoch`:
/// its live bits still say what was allocated before the pause and its
/// mark bits say what survived. So that sweeping cannot free what was
/// allocated after the pause, a slot claimed in an unswept span (a cache
/// may own one, or an explicit free may have made one available) is born
/// marked, as during marking. Spans formatted during the phase get the
/// current epoch: they hold no marks and need no sweep. The phase ends
/// when the walk reaches the arena top; then every mark bit is zero again,
/// as between collections. Empty spans are freed only then, because
/// freeing merges free neighbours under a walk in progress.
///
/// No collection starts during the phase: `collect` and a new cycle finish
/// the sweep first.
extension Heap {
    /// Spans swept per slice (each a few bitmap words).
    static let sweepSliceSpans = 256

    /// Starts a sweep phase. The world is stopped and marking is complete.
    mutating func beginSweeping() {
        clearAvailableLists()
        sweepEpoch &+= 1
        isSweeping = true
        sweepCursor = pages.pageMap.arenaStart
        sweepResult = SweepResult()
        sweepEmptySpans = nil
    }

    /// Sweeps up to `sweepSliceSpans` unswept spans. Returns the totals
    /// once the phase has ended with this slice, nil while it goes on.
    mutating func sweepSlice() -> SweepResult? {
        guard isSweeping else { return nil }
        let pageMap = pages.pageMap
        var swept = 0
        var cursor = sweepCursor
        var result = sweepResult
        var emptySpans = sweepEmptySpans
        while cursor < pageMap.arenaTop && swept < Heap.sweepSliceSpans {
            let next = cursor + PageMap.pageSize
            guard let span = pageMap.entries[pageMap.pageIndex(cursor)] else {
                cursor = next
                continue
            }
            // The cursor may have landed inside a span that was merged or
            // allocated since the last slice: only a span's first page acts.
            if span.pointee.start == cursor && span.pointee.state != .free
                && span.pointee.sweptEpoch != sweepEpoch {
                span.pointee.hasUnscannedMarks = false
                sweep(span, into: &result, emptySpans: &emptySpans)
                span.pointee.sweptEpoch = sweepEpoch
                swept &+= 1
            }
            cursor = max(next, span.pointee.end)
        }
        sweepCursor = cursor
        sweepResult = result
        sweepEmptySpans = emptySpans
        guard cursor >= pageMap.arenaTop else { return nil }
        isSweeping = false
        freeSpans(emptySpans)
        sweepEmptySpans = nil
        return result
    }
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    /// One slice of the sweep phase; at its end, the collection's accounts.
    /// The caller holds the lock.
    func sweepSliceAndAccount() {
        guard let swept = pointee.heap.sweepSlice() else { return }
        finishSweepAccounts(swept)
    }

    /// Sweeps what is left of the sweep phase. The caller holds the lock.
    func finishSweeping() {
        while pointee.heap.isSweeping { sweepSliceAndAccount() }
    }

    private func finishSweepAccounts(_ swept: SweepResult) {
        var live = swept.liveBytes
        live -= min(live, pointee.lazySweepPinnedBytes)
        pointee.heap.pages.ageAndDecommitFreeSpans()
        pointee.statistics.recordSweep(liveBytes: live, reclaimedBytes: swept.reclaimedBytes)
        traceSweepEnd()
    }
}
