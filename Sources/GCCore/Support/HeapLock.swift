import _CSwiftGC

/// A mutex for the heap's slow paths: taking spans, large objects, explicit
/// frees and collections. The allocation fast path never takes it.
///
/// The lock word lives in the collector's mapped state, so it is a plain
/// `UInt32` driven by `Atomics` and the futex calls of `OS`:
/// 0 = unlocked, 1 = locked, 2 = locked with possible sleepers. Taking the
/// lock is acquiring and giving it back releasing, so each holder sees
/// every write the previous holder made.
struct HeapLock {
    var word: UInt32 = 0
}

extension UnsafeMutablePointer where Pointee == HeapLock {
    func lock() {
        // The preload library counts the locks a thread holds, so that a
        // malloc libc makes on the collector's behalf meanwhile is served
        // by the bootstrap arena (BuildFlavor folds this test away).
        if BuildFlavor.isMallocReplacement { swiftgc_set_lock_depth(swiftgc_lock_depth() &+ 1) }
        let word = UnsafeMutableRawPointer(self).assumingMemoryBound(to: UInt32.self)
        if Atomics.compareExchange(acquiring: word, expected: 0, desired: 1) { return }
        // Contended: spin briefly, then sleep on the futex.
        for _ in 0..<100 {
            if Atomics.compareExchange(acquiring: word, expected: 0, desired: 1) { return }
        }
        while Atomics.exchange(acquiringAndReleasing: word, 2) != 0 {
            OS.futexWait(word, expected: 2)
        }
    }

    func unlock() {
        let word = UnsafeMutableRawPointer(self).assumingMemoryBound(to: UInt32.self)
        if Atomics.exchange(acquiringAndReleasing: word, 0) == 2 {
            OS.futexWake(word, count: 1)
        }
        if BuildFlavor.isMallocReplacement { swiftgc_set_lock_depth(swiftgc_lock_depth() &- 1) }
    }

    /// For a holder that keeps retaking the lock (the background collector
    /// between marking slices): unlocks, and if a thread sleeps on the lock,
    /// waits (up to 2 ms) for another thread to take it before locking
    /// again. A woken sleeper needs tens of microseconds to run; relocking
    /// at once would starve it.
    func yieldToSleepers() {
        let word = UnsafeMutableRawPointer(self).assumingMemoryBound(to: UInt32.self)
        let hasSleepers = Atomics.load(acquiring: word) == 2
        unlock()
        if hasSleepers {
            let deadline = OS.monotonicNanoseconds() &+ 2_000_000
            while Atomics.load(acquiring: word) == 0 && OS.monotonicNanoseconds() < deadline {
                swiftgc_spin_pause()
            }
        }
        lock()
    }
}
