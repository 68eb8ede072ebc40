import _CSwiftGC

/// The process: its identity, errno, environment, and the hooks libc runs
/// at exit and around fork.
extension OS {
    /// Post: this process's id; it changes only across fork. (getpid)
    static var processIdentifier: Int32 { swiftgc_process_id() }

    /// Post: the calling thread's errno. (errno)
    static var errno: Int32 { swiftgc_errno() }

    /// Post: the calling thread's errno is `value`. (errno = value)
    static func setErrno(_ value: Int32) { swiftgc_set_errno(value) }

    /// Post: the process's `NAME=value` array, ended by a nil entry, or nil;
    /// read from `environ` directly, so it works before libc's getenv is
    /// safe to call. (environ)
    static var environment: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? { swiftgc_environment() }

    /// Pre: `handler` may run on any thread that calls exit. Post: it runs
    /// once when the process exits normally; false if it could not be
    /// registered. libc may call malloc here. (atexit)
    @discardableResult
    static func atExit(_ handler: @convention(c) () -> Void) -> Bool { atexit(handler) == 0 }

    /// Post: fork calls `prepare` before it, then `parent` in the parent and
    /// `child` in the child; false if they could not be registered.
    /// (pthread_atfork)
    @discardableResult
    static func atFork(prepare: @convention(c) () -> Void, parent: @convention(c) () -> Void,
                       child: @convention(c) () -> Void) -> Bool {
        swiftgc_at_fork(prepare, parent, child) == 0
    }

    /// Post: the process ends at once with `SIGABRT`. (abort)
    static func abortProcess() -> Never { abort() }

    /// Post: stdio is flushed and the process ends at once with `status`;
    /// no further exit handlers run. (fflush(NULL), then _exit)
    static func flushAndExit(status: Int32) -> Never { swiftgc_flush_and_exit(status) }
}
