import _CSwiftGC

/// A thread's thread-local storage as a root: its static TLS block with its
/// thread descriptor, and the TLS blocks of dlopened modules. For threads
/// other than the main one the static block is also inside the stack
/// mapping, so it is scanned twice; that costs a few kilobytes per thread.
enum ThreadStorage {
    /// Calls `visit(low, high, context)` for each TLS range of the thread
    /// whose thread pointer is `threadPointer`. The thread must be the
    /// caller or stopped.
    static func visit(threadPointer: UInt, context: UnsafeMutableRawPointer,
                      _ visit: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?,
                                               UnsafeMutableRawPointer?) -> Void) {
        swiftgc_visit_thread_storage(threadPointer, visit, context)
    }
}
