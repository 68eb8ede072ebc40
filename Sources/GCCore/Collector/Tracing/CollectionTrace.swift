/// The collection trace: SWIFTGC_TRACE (a line per collection on stderr)
/// and SWIFTGC_TRACE_FILE (a JSON record per collection in a file). The
/// engine hands over a `CollectionRecord` when a collection ends:
///
/// - a stop-the-world collection in `CollectionCycle.account`;
/// - a concurrent cycle (only the background collector finishes one; a
///   stop-the-world collection abandons it) in steps: its start pause opens
///   the record (`traceConcurrentCycleStart`), its final pause fills the
///   pause fields (`traceFinalPause`), and the end of its sweep phase, when
///   the live bytes are known, completes and writes it (`traceSweepEnd`).
///   Under SWIFTGC_VERIFY the final pause sweeps at once, and `account`
///   writes the record.
/// An abandoned cycle has no record; its start pause counts in the time
/// share.
///
/// Records are written after the world has restarted, with the heap lock
/// held (no collection can start meanwhile, so records appear in order):
/// a `write` of one line, a few microseconds into the page cache; a trace
/// file on a stalled disk would hold the lock as long. Nothing allocates.
///
/// Everything here is read and written under the heap lock.
struct CollectionTrace {
    static let pathCapacity = 512

    /// SWIFTGC_TRACE.
    var isPrinting = false
    /// The SWIFTGC_TRACE_FILE file, or -1 until the process's first record
    /// (so a process that never collects, such as each shell of a preloaded
    /// program tree, leaves no empty file).
    var fileDescriptor: Int32 = -1
    var hasOpenFailed = false
    /// SWIFTGC_TRACE_FILE as given, copied at initialisation and
    /// NUL-terminated, in metadata: a forked child reopens it when it names
    /// the process id (`%p`).
    var pathTemplate: UnsafeMutablePointer<UInt8>? = nil
    var pathNamesProcess = false
    var initializationNanoseconds: UInt64 = 0
    /// Time in collection so far: every pause, and the background
    /// collector's CPU time in the concurrent phases of the cycles it
    /// finished (read on its own thread at both ends of the phase).
    var totalCollectionNanoseconds: UInt64 = 0
    /// The concurrent cycle between its start pause and the end of its
    /// sweep phase.
    var concurrentRecord = CollectionRecord()
    var concurrentStartPauseEnd: UInt64 = 0
    /// The background collector's CPU clock when the start pause ended;
    /// from the final pause on, the CPU time it used in between.
    var concurrentCPUTime: UInt64 = 0
    /// Whether `concurrentRecord` has had its final pause and waits for the
    /// end of the sweep phase.
    var isWaitingForSweep = false

    var isEnabled: Bool { isPrinting || (pathTemplate != nil && !hasOpenFailed) }
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    /// Reads the trace options and keeps the trace file's path. Called once
    /// while the state is set up.
    func setUpTrace() {
        pointee.trace.initializationNanoseconds = OS.monotonicNanoseconds()
        pointee.trace.isPrinting = pointee.options.isEnabled(.trace)
        guard let path = pointee.options.path(.traceFile),
              let copy = pointee.heap.metadata.allocate(bytes: UInt(CollectionTrace.pathCapacity)) else { return }
        let template = copy.assumingMemoryBound(to: UInt8.self)
        var length = 0
        while length < CollectionTrace.pathCapacity - 1 && path[length] != 0 {
            template[length] = path[length]
            if length > 0 && path[length - 1] == 37 /* % */ && path[length] == 112 /* p */ {
                pointee.trace.pathNamesProcess = true
            }
            length += 1
        }
        template[length] = 0
        pointee.trace.pathTemplate = template
    }

    /// A forked child writes to a file of its own when the path names the
    /// process, opened at its first record; otherwise it appends to the
    /// parent's.
    func reopenTraceFileAfterFork() {
        guard pointee.trace.pathNamesProcess, pointee.trace.fileDescriptor >= 0 else { return }
        OS.close(pointee.trace.fileDescriptor)
        pointee.trace.fileDescriptor = -1
    }

    /// Opens the template's path with `%p` replaced by the process id.
    private func openTraceFile() {
        guard let template = pointee.trace.pathTemplate else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: CollectionTrace.pathCapacity + 16) { buffer in
            var path = Message(storage: buffer.baseAddress!, capacity: buffer.count - 1)
            var index = 0
            while template[index] != 0 {
                if template[index] == 37 && template[index + 1] == 112 {
                    path.append(decimal: UInt64(OS.processIdentifier))
                    index += 2
                } else {
                    path.append(byte: template[index])
                    index += 1
                }
            }
            buffer[path.count] = 0
            pointee.trace.fileDescriptor = OS.openForAppending(UnsafePointer(buffer.baseAddress!))
            if pointee.trace.fileDescriptor < 0 {
                pointee.trace.hasOpenFailed = true
                reportLine { message in
                    message.append("cannot open SWIFTGC_TRACE_FILE ")
                    message.append(bytes: UnsafeBufferPointer(start: buffer.baseAddress!, count: path.count))
                    message.append("; no trace file is written")
                }
            }
        }
    }

    // MARK: The engine's calls

    /// A concurrent cycle's start pause has ended (the world runs again).
    func traceConcurrentCycleStart(_ cycle: CollectionCycle) {
        guard pointee.trace.isEnabled else { return }
        let now = OS.monotonicNanoseconds()
        var record = CollectionRecord()
        record.kind = .concurrent
        record.startNanoseconds = cycle.startTime &- pointee.trace.initializationNanoseconds
        record.startPauseNanoseconds = now &- cycle.startTime
        record.heapBeforeBytes = cycle.heapBeforeBytes
        pointee.trace.concurrentRecord = record
        pointee.trace.concurrentStartPauseEnd = now
        pointee.trace.concurrentCPUTime = OS.threadCPUNanoseconds() // the background collector's thread
        pointee.trace.totalCollectionNanoseconds &+= record.startPauseNanoseconds
    }

    /// A collection has been counted (`Statistics`) and its sweep is done:
    /// the record is completed and written.
    func traceCollection(_ cycle: CollectionCycle, pauseNanoseconds: UInt64, allocatedBytes: UInt) {
        guard pointee.trace.isEnabled else { return }
        var record = pauseRecord(cycle, pauseNanoseconds: pauseNanoseconds, allocatedBytes: allocatedBytes)
        writeTraceRecord(&record)
    }

    /// A concurrent cycle's final pause has been counted; its sweep phase
    /// has begun.
    func traceFinalPause(_ cycle: CollectionCycle, pauseNanoseconds: UInt64, allocatedBytes: UInt) {
        guard pointee.trace.isEnabled else { return }
        pointee.trace.concurrentRecord = pauseRecord(cycle, pauseNanoseconds: pauseNanoseconds, allocatedBytes: allocatedBytes)
        pointee.trace.isWaitingForSweep = true
    }

    /// The sweep phase has ended and been counted.
    func traceSweepEnd() {
        guard pointee.trace.isWaitingForSweep else { return }
        pointee.trace.isWaitingForSweep = false
        var record = pointee.trace.concurrentRecord
        writeTraceRecord(&record)
    }

    // MARK: Filling and writing

    private func pauseRecord(_ cycle: CollectionCycle, pauseNanoseconds: UInt64, allocatedBytes: UInt) -> CollectionRecord {
        var record: CollectionRecord
        if cycle.finishesConcurrentCycle {
            record = pointee.trace.concurrentRecord
            record.concurrentNanoseconds = cycle.startTime &- min(cycle.startTime, pointee.trace.concurrentStartPauseEnd)
            // On the background collector's thread, as at the start; the
            // final pause is counted apart, so its CPU time is taken off.
            let used = OS.threadCPUNanoseconds() &- pointee.trace.concurrentCPUTime
            pointee.trace.concurrentCPUTime = used &- min(used, pauseNanoseconds)
            pointee.trace.totalCollectionNanoseconds &+= pointee.trace.concurrentCPUTime
        } else {
            record = CollectionRecord()
            record.startNanoseconds = cycle.startTime &- pointee.trace.initializationNanoseconds
            record.heapBeforeBytes = cycle.heapBeforeBytes
        }
        record.number = pointee.statistics.collections
        record.pauseNanoseconds = pauseNanoseconds
        record.allocatedBytes = UInt64(allocatedBytes)
        record.markers = cycle.markers
        return record
    }

    /// Fills what is known once the sweep is done, then writes the line
    /// and the JSON record.
    private func writeTraceRecord(_ record: inout CollectionRecord) {
        let live = pointee.statistics.bytesInUse
        record.liveBytes = UInt64(live)
        record.heapAfterBytes = UInt64(pointee.heap.pages.committedBytes)
        record.heapGoalBytes = UInt64(live &+ collectionBudget)
        pointee.trace.totalCollectionNanoseconds &+= record.pauseNanoseconds
        let elapsed = OS.monotonicNanoseconds() &- pointee.trace.initializationNanoseconds
        record.collectionTimePercent = elapsed == 0 ? 0 : pointee.trace.totalCollectionNanoseconds &* 100 / elapsed
        let finished = record
        if pointee.trace.isPrinting { reportLine { TraceFormat.appendLine(finished, to: &$0) } }
        if pointee.trace.fileDescriptor < 0 && pointee.trace.pathTemplate != nil && !pointee.trace.hasOpenFailed {
            openTraceFile()
        }
        if pointee.trace.fileDescriptor >= 0 {
            reportUnprefixedLine(descriptor: pointee.trace.fileDescriptor) { TraceFormat.appendJSON(finished, to: &$0) }
        }
    }
}
