import _CSwiftGC

/// The signal handshake that stops the other registered threads for a
/// collection (the handlers are C, in the shim's threads.c). The collector
/// begins a stop, signals each thread, waits for acknowledgements (each
/// stopped thread stores the epoch in its `swiftgc_suspension`), and later
/// releases the epoch and signals again so the threads return from their
/// handlers.
extension OS {
    /// Pre: called once, before any thread is stopped. Post: the suspend and
    /// restart handlers are installed for the two signal numbers; false if a
    /// number is invalid, they are equal, or sigaction refused. (sigaction)
    static func installStopSignals(suspend: Int32, restart: Int32) -> Bool {
        swiftgc_install_stop_signals(suspend, restart) == 0
    }

    /// Post: the calling thread can receive the suspend and restart signals
    /// (thread pools may have blocked them). (pthread_sigmask SIG_UNBLOCK)
    static func acceptStopSignals() { swiftgc_accept_stop_signals() }

    /// Pre: the heap lock is held. Post: a new stop epoch, which threads
    /// store in their suspension record once they have stopped for it.
    static func beginStop() -> UInt64 { swiftgc_begin_stop() }

    /// Post: threads stopped for `epoch` or earlier may leave their handlers
    /// once a restart signal wakes them.
    static func releaseStop(_ epoch: UInt64) { swiftgc_release_stop(epoch) }

    /// Post: returned once some thread acknowledged a stop since the last
    /// wait, or after about `milliseconds`. (sem_timedwait)
    static func waitForAcknowledgement(milliseconds: UInt32) { swiftgc_wait_for_acknowledgement(milliseconds) }

    /// Pre: `thread` is a live pthread_t. Post: the suspend signal is on its
    /// way; returns 0 or an error number (ESRCH once it has exited). (pthread_kill)
    @discardableResult
    static func sendSuspend(to thread: UInt) -> Int32 { swiftgc_send_suspend(thread) }

    /// Pre: `thread` is a live pthread_t. Post: the restart signal is on its
    /// way; returns 0 or an error number. (pthread_kill)
    @discardableResult
    static func sendRestart(to thread: UInt) -> Int32 { swiftgc_send_restart(thread) }
}
