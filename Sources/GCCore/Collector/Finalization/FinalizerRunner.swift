import _CSwiftGC

/// Running queued finalizers: outside the heap lock and after the world has
/// restarted, on the thread that asks. By default that is the thread whose
/// allocation or gc_collect ran the collection, when the call is about to
/// return (as in bdwgc). In on-demand mode only gc_run_finalizers runs them,
/// and the notifier, if any, is told when some become ready.
///
/// One thread at a time runs finalizers; a finalizer that allocates or
/// collects does not start the others in its own frame.
extension UnsafeMutablePointer where Pointee == CollectorState {
    /// Called at the end of slow-path allocations and gc_collect, without
    /// the lock. Cheap when nothing is queued.
    @inline(__always) func runFinalizersIfReady() {
        // Also the place, free of locks, where marking helpers are started.
        if let pool = pointee.markingPool, pool.wantsHelpers { pool.startWantedHelpers() }
        if pointee.concurrent.isAvailable { startBackgroundCollectorIfNeeded() }
        if pointee.finalization.ready.count == 0 { return }
        if pointee.finalization.runsOnlyOnDemand {
            notifyIfNewlyReady()
        } else {
            _ = runReadyFinalizers()
        }
    }

    /// Runs every queued finalizer, including those queued meanwhile, and
    /// returns how many ran. Returns 0 at once if another thread (or an
    /// outer frame of this one) is running them.
    func runReadyFinalizers() -> Int {
        lock()
        if pointee.finalization.isRunningFinalizers {
            unlock()
            return 0
        }
        pointee.finalization.isRunningFinalizers = true
        var count = 0
        while let entry = pointee.finalization.ready.popFirst() {
            // Kept alive by `running` until the finalizer returns.
            pointee.finalization.running = entry
            unlock()
            let function = unsafeBitCast(entry.function, to: FinalizerFunction.self)
            function(AddressTable.reveal(entry.hiddenObject).pointer, AddressTable.reveal(entry.hiddenData).pointer)
            count += 1
            lock()
            pointee.finalization.running = ReadyQueue.Entry(hiddenObject: 0, function: 0, hiddenData: 0)
        }
        pointee.finalization.isRunningFinalizers = false
        pointee.finalization.ready.releaseStorageIfEmpty()
        unlock()
        return count
    }

    private func notifyIfNewlyReady() {
        lock()
        let queued = pointee.finalization.queuedTotal
        let notifier = pointee.finalization.notifier
        let isNew = queued != pointee.finalization.notifiedReadyTotal
        pointee.finalization.notifiedReadyTotal = queued
        unlock()
        if isNew, let notifier { notifier() }
    }
}
