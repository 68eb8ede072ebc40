import _CSwiftGC

/// A mutex for the heap's slow paths: taking spans, large objects, explicit
/// frees and collections. The allocation fast path never takes it.
///
/// The lock word lives in the collector's mapped state, so it is a plain
/// `UInt32` driven by the shim's atomic operations and futex calls:
/// 0 = unlocked, 1 = locked, 2 = locked with possible sleepers.
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
        if swiftgc_atomic_compare_exchange_u32(word, 0, 1) != 0 { return }
        // Contended: spin briefly, then sleep on the futex.
        for _ in 0..<100 {
            if swiftgc_atomic_compare_exchange_u32(word, 0, 1) != 0 { return }
        }
        while swiftgc_atomic_exchange_u32(word, 2) != 0 {
            swiftgc_futex_wait(word, 2)
        }
    }

    func unlock() {
        let word = UnsafeMutableRawPointer(self).assumingMemoryBound(to: UInt32.self)
        if swiftgc_atomic_exchange_u32(word, 0) == 2 {
            swiftgc_futex_wake(word, 1)
        }
        if BuildFlavor.isMallocReplacement { swiftgc_set_lock_depth(swiftgc_lock_depth() &- 1) }
    }
}
