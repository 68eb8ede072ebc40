import _CSwiftGC

/// Counters kept by the collector itself; heap counters come from the heap.
struct Statistics {
    var collections: UInt64 = 0
    /// Bytes found live by the last collection.
    var bytesInUse: UInt = 0
    var totalBytesReclaimed: UInt64 = 0
    var lastPauseNanoseconds: UInt64 = 0
    var totalPauseNanoseconds: UInt64 = 0
    var maxPauseNanoseconds: UInt64 = 0
    var markStackOverflows: UInt64 = 0
    /// Bytes of data segments and other mappings the last collection
    /// scanned as roots (stacks aside).
    var rootBytes: UInt = 0

    mutating func recordCollection(liveBytes: UInt, reclaimedBytes: UInt, pauseNanoseconds: UInt64,
                                   markStackOverflows overflows: UInt64) {
        collections += 1
        bytesInUse = liveBytes
        totalBytesReclaimed += UInt64(reclaimedBytes)
        lastPauseNanoseconds = pauseNanoseconds
        totalPauseNanoseconds += pauseNanoseconds
        maxPauseNanoseconds = max(maxPauseNanoseconds, pauseNanoseconds)
        markStackOverflows += overflows
    }

    /// A collection whose sweep runs lazily: its pause now, its totals at
    /// the sweep's end (recordSweep). `bytesInUse` keeps the last value
    /// until then.
    mutating func recordPause(_ pauseNanoseconds: UInt64, markStackOverflows overflows: UInt64) {
        recordCollection(liveBytes: bytesInUse, reclaimedBytes: 0, pauseNanoseconds: pauseNanoseconds,
                         markStackOverflows: overflows)
    }

    /// A concurrent cycle's first pause, which is not a collection by itself.
    mutating func recordStartPause(_ pauseNanoseconds: UInt64) {
        totalPauseNanoseconds += pauseNanoseconds
        maxPauseNanoseconds = max(maxPauseNanoseconds, pauseNanoseconds)
    }

    mutating func recordSweep(liveBytes: UInt, reclaimedBytes: UInt) {
        bytesInUse = liveBytes
        totalBytesReclaimed += UInt64(reclaimedBytes)
    }

    /// Fills the C structure from these counters and the heap's.
    func fill(_ out: UnsafeMutablePointer<gc_stats>, _ state: UnsafeMutablePointer<CollectorState>) {
        let heap = state.pointee.heap
        var stats = gc_stats()
        stats.heap_size = UInt64(heap.pages.committedBytes)
        stats.peak_heap_size = UInt64(heap.pages.peakCommittedBytes)
        stats.bytes_in_use = UInt64(bytesInUse)
        stats.bytes_allocated_since_collection = UInt64(heap.bytesAllocatedSinceCollection)
        stats.total_bytes_allocated = heap.totalBytesAllocated
        stats.total_bytes_freed = heap.totalBytesFreed
        stats.total_bytes_reclaimed = totalBytesReclaimed
        stats.collections = collections
        stats.last_pause_ns = lastPauseNanoseconds
        stats.total_pause_ns = totalPauseNanoseconds
        stats.max_pause_ns = maxPauseNanoseconds
        stats.bytes_returned_to_os = UInt64(heap.pages.decommittedBytes)
        stats.metadata_size = UInt64(heap.metadata.usedBytes + heap.pages.committedBytes / PageMap.pageSize * 8)
            + UInt64(state.pointee.finalization.tableBytes)
        stats.mark_stack_overflows = markStackOverflows
        stats.arena_bytes = UInt64(heap.userArenaBytes)
        out.pointee = stats
    }

    /// The SWIFTGC_STATS=1 line.
    func printSummary(_ state: UnsafeMutablePointer<CollectorState>) {
        let heap = state.pointee.heap
        reportLine { message in
            message.append("collections ")
            message.append(decimal: collections)
            message.append(", allocated ")
            message.append(byteCount: heap.totalBytesAllocated)
            message.append(", reclaimed ")
            message.append(byteCount: totalBytesReclaimed)
            message.append(", in use ")
            message.append(byteCount: UInt64(bytesInUse))
            message.append(", heap ")
            message.append(byteCount: UInt64(heap.pages.committedBytes))
            message.append(" (peak ")
            message.append(byteCount: UInt64(heap.pages.peakCommittedBytes))
            message.append("), pauses total ")
            message.append(milliseconds: totalPauseNanoseconds)
            message.append(", max ")
            message.append(milliseconds: maxPauseNanoseconds)
            if let pool = state.pointee.markingPool, case let helpers = pool.runningHelpers, helpers > 0 {
                message.append(", marking helpers ")
                message.append(decimal: UInt64(helpers))
                message.append(" (")
                message.append(decimal: pool.pointee.sharedEntries)
                message.append(" entries shared)")
            }
            let concurrent = state.pointee.concurrent
            if concurrent.cycles > 0 || concurrent.abandonedCycles > 0 {
                message.append(", concurrent cycles ")
                message.append(decimal: concurrent.cycles)
                message.append(" (")
                message.append(decimal: concurrent.abandonedCycles)
                message.append(" abandoned for a stop-the-world collection, ")
                message.append(decimal: concurrent.assists)
                message.append(" assists, ")
                message.append(decimal: concurrent.remarkedPages)
                message.append(" pages re-marked)")
            }
        }
    }
}
