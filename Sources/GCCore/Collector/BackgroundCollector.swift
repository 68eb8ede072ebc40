import _CSwiftGC

/// The background collector: one thread of the collector's own that runs
/// concurrent cycles (ConcurrentCycle) from start to finish.
///
/// It is started like the marking helpers (ParallelMarking): with the next
/// library's pthread_create, every signal blocked, on a stack in the
/// collector's metadata, never registered (so never stopped, and its stack
/// is never a root), and never during a collection. It sleeps on
/// `ConcurrentCycle.wakeWord` until a slow path requests a cycle.
extension UnsafeMutablePointer where Pointee == CollectorState {
    static var backgroundStackBytes: UInt { 256 << 10 }

    /// Starts the background collector of this process if concurrency is
    /// available and it is not running. Called by allocation slow paths
    /// after they release the heap lock.
    func startBackgroundCollectorIfNeeded() {
        guard pointee.concurrent.isAvailable else { return }
        let running = withUnsafeMutablePointer(to: &pointee.concurrent.backgroundProcess) {
            Atomics.load(acquiring: $0)
        }
        // A forked child clears the word (abandonConcurrentCycleAfterFork),
        // so a set word means this process's collector: no getpid per slow path.
        guard running == 0 else { return }
        let process = UInt64(OS.processIdentifier)
        // One starter at a time: claim the word for this process.
        guard withUnsafeMutablePointer(to: &pointee.concurrent.backgroundProcess, {
            Atomics.compareExchange(acquiringAndReleasing: $0, expected: running, desired: process) }) else { return }
        lock()
        if pointee.concurrent.backgroundStack == nil {
            pointee.concurrent.backgroundStack = pointee.heap.metadata.allocate(bytes: Self.backgroundStackBytes,
                                                                               alignment: 4096)
        }
        let stack = pointee.concurrent.backgroundStack
        unlock()
        guard let stack, OS.startCollectorThread(backgroundCollectorMain, argument: UnsafeMutableRawPointer(self),
                                                 stack: stack, stackBytes: Int(Self.backgroundStackBytes)) else {
            // No thread: collections stay stop-the-world.
            lock()
            pointee.concurrent.isAvailable = false
            unlock()
            return
        }
    }
}

/// The background collector's loop.
func backgroundCollectorMain(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let state = raw.unsafelyUnwrapped.assumingMemoryBound(to: CollectorState.self)
    while true {
        let seen = withUnsafeMutablePointer(to: &state.pointee.concurrent.wakeWord) { Atomics.load(acquiring: $0) }
        state.lock()
        if state.pointee.concurrent.phase == .requested && state.pointee.disableCount == 0 {
            state.runConcurrentCycle()
        }
        state.unlock()
        withUnsafeMutablePointer(to: &state.pointee.concurrent.wakeWord) { OS.futexWait($0, expected: seen) }
    }
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    /// One whole concurrent cycle. The caller holds the lock, which is
    /// released while marking runs beside the program.
    func runConcurrentCycle() {
        // What the last cycle left, in slices, never in one hold of the lock.
        while pointee.heap.isSweeping {
            sweepSliceAndAccount()
            lockPointer.yieldToSleepers()
        }
        guard pointee.concurrent.phase == .requested, restartWriteTracking() else { return }
        startConcurrentCycle()
        guard isConcurrentCycleActive else { return }
        guard markConcurrently() else { return } // another thread finished it
        // gc_disable while marking: the cycle waits to finish until enabled.
        while pointee.disableCount != 0 && isConcurrentCycleActive {
            unlock()
            OS.sleepBriefly()
            lock()
        }
        guard isConcurrentCycleActive else { return }
        collectFinishingConcurrentCycle()
        while pointee.markStack.releaseSlice() { lockPointer.yieldToSleepers() }
        while pointee.heap.isSweeping {
            sweepSliceAndAccount()
            lockPointer.yieldToSleepers()
        }
    }
}
