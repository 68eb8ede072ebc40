import _CSwiftGC

/// Threads as libc sees them: stack bounds, the key whose destructor runs at
/// thread exit, and the collector's own marking threads.
extension OS {
    /// Post: the highest address of the calling thread's stack (stacks grow
    /// down); cached per thread after the first call. The first call may
    /// call malloc (pthread_getattr_np).
    static var currentStackBase: UnsafeMutableRawPointer? { swiftgc_current_stack_base() }

    /// Post: the lowest address of the calling thread's stack, or nil when
    /// unknown (the main thread's stack grows on demand); cached like
    /// `currentStackBase`. (pthread_getattr_np)
    static var currentStackLimit: UnsafeMutableRawPointer? { swiftgc_current_stack_limit() }

    /// Pre: called once. Post: a thread for which `armThreadExitKey` was
    /// called runs `destructor(value)` when it exits; false if no key was
    /// left. (pthread_key_create)
    @discardableResult
    static func createThreadExitKey(_ destructor: @convention(c) (UnsafeMutableRawPointer?) -> Void) -> Bool {
        swiftgc_create_exit_key(destructor) == 0
    }

    /// Pre: `createThreadExitKey` succeeded. Post: the calling thread's exit
    /// runs the key's destructor with `value`. (pthread_setspecific)
    static func armThreadExitKey(_ value: UnsafeMutableRawPointer?) { swiftgc_arm_exit_key(value) }

    /// Pre: [stack, stack + stackBytes) is memory of the caller's that
    /// outlives the thread. Post: a detached thread that the collector does
    /// not register runs `body(argument)` on that stack with every signal
    /// blocked; false if it could not be created. Never call it while other
    /// threads are stopped: it takes libc's locks and may call malloc.
    /// (the next library's pthread_create)
    static func startCollectorThread(_ body: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer?,
                                     argument: UnsafeMutableRawPointer?, stack: UnsafeMutableRawPointer,
                                     stackBytes: Int) -> Bool {
        swiftgc_start_marking_thread(body, argument, stack, stackBytes) == 0
    }

    /// Post: the number of CPUs this process may run on, at least 1.
    /// (sched_getaffinity)
    static var availableProcessors: Int { Int(swiftgc_available_cpus()) }

    /// Post: the calling thread has offered its CPU to other runnable
    /// threads. (sched_yield)
    static func yieldProcessor() { _ = sched_yield() }
}
