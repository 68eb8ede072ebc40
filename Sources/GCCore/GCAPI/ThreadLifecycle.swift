import _CSwiftGC

/// Thread start, registration and exit, under the heap lock. Called from
/// the pthread_create wrapper (C), from gc_register_thread and from the
/// allocation slow path, which registers a thread on its first allocation.
enum ThreadLifecycle {
    /// The calling thread's record, registering it if needed.
    static func registerCurrentThread(_ state: UnsafeMutablePointer<CollectorState>)
        -> UnsafeMutablePointer<ThreadRecord>? {
        state.pointee.threads.registerCurrentThread(heap: &state.pointee.heap)
    }

    static func startRecord(start: (@convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?)?,
                            argument: UnsafeMutableRawPointer?, isDetached: Bool) -> UnsafeMutableRawPointer? {
        guard let state = CollectorState.shared() else { return nil }
        state.lock()
        defer { state.unlock() }
        guard let record = state.pointee.threads.acquireStartRecord(metadata: &state.pointee.heap.metadata) else {
            return nil
        }
        record.pointee.start = start
        record.pointee.argument = argument
        record.pointee.isDetached = isDetached
        return UnsafeMutableRawPointer(record)
    }

    static func releaseStartRecord(_ raw: UnsafeMutableRawPointer) {
        guard let state = collectorState else { return }
        state.lock()
        state.pointee.threads.releaseStartRecord(raw.assumingMemoryBound(to: StartRecord.self))
        state.unlock()
    }

    /// The new thread registers, then takes its start routine and argument;
    /// the argument stays a root until then.
    static func threadDidStart(_ raw: UnsafeMutableRawPointer,
                               start: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                               argument: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        guard let state = collectorState else { return }
        state.lock()
        let thread = registerCurrentThread(state)
        let record = raw.assumingMemoryBound(to: StartRecord.self)
        thread?.pointee.isDetached = record.pointee.isDetached
        start.pointee = unsafeBitCast(record.pointee.start, to: UnsafeMutableRawPointer?.self)
        argument.pointee = record.pointee.argument
        state.pointee.threads.releaseStartRecord(record)
        state.unlock()
    }

    static func keepResult(_ result: UnsafeMutableRawPointer?) {
        guard let state = collectorState else { return }
        state.lock()
        state.pointee.threads.keepResult(result, metadata: &state.pointee.heap.metadata)
        state.unlock()
    }

    static func resultTaken(thread: UInt, isDetach: Bool) {
        guard let state = collectorState else { return }
        state.lock()
        state.pointee.threads.resultTaken(thread: thread, isDetach: isDetach)
        state.unlock()
    }

    static func threadWillExit() {
        collectorState?.unregisterExitingThread()
    }
}
