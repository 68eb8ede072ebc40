import _CSwiftGC

/// Stopping and restarting every registered thread but the collector's.
///
/// Each thread gets the suspend signal. Its handler saves its registers on
/// its own stack, records its stack pointer, acknowledges the stop epoch and
/// waits in sigsuspend until the epoch is released. A thread blocked in a
/// system call is interrupted, stops, and resumes the call (SA_RESTART).
/// Signals that are lost or delayed are sent again every 100 ms.
///
/// Each step is reported through the collection hooks (swiftgc_event in
/// collection_hooks.h: bdwgc's stop-world and thread events), with the
/// heap lock held, by the thread that stops the world.
extension ThreadRegistry {
    static let resendIntervalMilliseconds = 100

    /// Stops all registered threads except `current`; returns the epoch.
    mutating func stopOtherThreads(except current: UnsafeMutablePointer<ThreadRecord>?) -> UInt64 {
        swiftgc_collection_event(Int32(swiftgc_event_pre_stop_world.rawValue), 0)
        let epoch = OS.beginStop()
        forEachOther(than: current) { record in
            OS.sendSuspend(to: record.pointee.thread)
            swiftgc_collection_event(Int32(swiftgc_event_thread_suspended.rawValue), record.pointee.thread)
        }
        var waited = 0
        var hasWarned = false
        while true {
            var waiting = 0
            forEachOther(than: current) { record in
                if !record.hasStopped(for: epoch) { waiting += 1 }
            }
            if waiting == 0 {
                swiftgc_collection_event(Int32(swiftgc_event_post_stop_world.rawValue), 0)
                return epoch
            }
            OS.waitForAcknowledgement(milliseconds: 10)
            waited += 10
            if waited % ThreadRegistry.resendIntervalMilliseconds == 0 {
                forEachOther(than: current) { record in
                    if !record.hasStopped(for: epoch) { OS.sendSuspend(to: record.pointee.thread) }
                }
            }
            if waited >= 5000 && !hasWarned {
                hasWarned = true
                reportRepeatedLine(occurrences: &slowStopWarnings) { message in
                    message.append("still waiting for ")
                    message.append(decimal: UInt64(waiting))
                    message.append(" thread(s) to stop for a collection")
                }
            }
        }
    }

    /// Lets the threads stopped for `epoch` run again.
    func restartOtherThreads(except current: UnsafeMutablePointer<ThreadRecord>?, epoch: UInt64) {
        swiftgc_collection_event(Int32(swiftgc_event_pre_start_world.rawValue), 0)
        OS.releaseStop(epoch)
        forEachOther(than: current) { record in
            OS.sendRestart(to: record.pointee.thread)
            swiftgc_collection_event(Int32(swiftgc_event_thread_unsuspended.rawValue), record.pointee.thread)
        }
        swiftgc_collection_event(Int32(swiftgc_event_post_start_world.rawValue), 0)
    }

    func forEachOther(than current: UnsafeMutablePointer<ThreadRecord>?,
                      _ body: (UnsafeMutablePointer<ThreadRecord>) -> Void) {
        var cursor = threads
        while let record = cursor {
            cursor = record.pointee.next
            if record != current { body(record) }
        }
    }
}

extension UnsafeMutablePointer where Pointee == ThreadRecord {
    /// Whether the thread's handler has acknowledged stop `epoch`. Acquiring:
    /// it pairs with the handler's releasing store of the epoch, so the stack
    /// pointer the handler recorded before it is visible once this is true.
    func hasStopped(for epoch: UInt64) -> Bool {
        withUnsafePointer(to: &pointee.suspension.acknowledged_epoch) { Atomics.load(acquiring: $0) } == epoch
    }
}
