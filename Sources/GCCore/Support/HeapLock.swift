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
        #if SWIFTGC_PRELOAD
        swiftgc_set_lock_depth(swiftgc_lock_depth() &+ 1)
        #endif
        let word = UnsafeMutableRawPointer(self).assumingMemoryBound(to: UInt32.self)
        if swiftgc_atomic_compare_exchange_u32(word, 0, 1) != 0 { return }
        // Contended: spin briefly, then sleep on the futex.
        for _ in 0..<100 {
            if swiftgc_atomic_compare_exchange_u32(word, 0, 1) != 0 { return }
        }
        while swiftgc_atomic_exchange_u32(word, 2) != 0 {
            OS.futexWait(word, expected: 2)
        }
    }

    func unlock() {
        let word = UnsafeMutableRawPointer(self).assumingMemoryBound(to: UInt32.self)
        if swiftgc_atomic_exchange_u32(word, 0) == 2 {
            OS.futexWake(word, count: 1)
        }
        #if SWIFTGC_PRELOAD
        swiftgc_set_lock_depth(swiftgc_lock_depth() &- 1)
        #endif
    }
}
