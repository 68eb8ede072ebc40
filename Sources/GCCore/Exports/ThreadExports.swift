import _CSwiftGC

// Thread registration. gc_* are the public C API (swiftgc.h); swiftgc_* are
// called by the pthread_create wrapper in the C shim and are not exported.

@_cdecl("gc_register_thread")
public func gc_register_thread() {
    guard let state = CollectorState.shared() else { return }
    state.lock()
    _ = ThreadLifecycle.registerCurrentThread(state)
    state.unlock()
}

@_cdecl("gc_unregister_thread")
public func gc_unregister_thread() {
    ThreadLifecycle.threadWillExit()
}

@_cdecl("swiftgc_thread_start_record_acquire")
func swiftgc_thread_start_record_acquire(
    _ start: (@convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?)?,
    _ argument: UnsafeMutableRawPointer?,
    _ isDetached: Bool
) -> UnsafeMutableRawPointer? {
    ThreadLifecycle.startRecord(start: start, argument: argument, isDetached: isDetached)
}

@_cdecl("swiftgc_thread_start_record_release")
func swiftgc_thread_start_record_release(_ record: UnsafeMutableRawPointer?) {
    if let record { ThreadLifecycle.releaseStartRecord(record) }
}

@_cdecl("swiftgc_thread_did_start")
func swiftgc_thread_did_start(_ record: UnsafeMutableRawPointer?,
                              _ start: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                              _ argument: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
    guard let record, let start, let argument else { return }
    ThreadLifecycle.threadDidStart(record, start: start, argument: argument)
}

@_cdecl("swiftgc_thread_will_exit")
func swiftgc_thread_will_exit() {
    ThreadLifecycle.threadWillExit()
}

@_cdecl("swiftgc_thread_keep_result")
func swiftgc_thread_keep_result(_ result: UnsafeMutableRawPointer?) {
    ThreadLifecycle.keepResult(result)
}

@_cdecl("swiftgc_thread_result_taken")
func swiftgc_thread_result_taken(_ thread: UInt, _ isDetach: Bool) {
    ThreadLifecycle.resultTaken(thread: thread, isDetach: isDetach)
}
