import _CSwiftGC

/// Sleeping on a 32-bit word of this process's memory (private futexes):
/// the heap lock and the marking helpers' session word sleep here.
extension OS {
    /// Pre: `word` is 4-byte aligned. Post: returned after a wake on `word`,
    /// a signal, or at once if `*word != expected` when checked; callers
    /// re-check the word, as wake-ups may be spurious. (futex FUTEX_WAIT_PRIVATE)
    static func futexWait(_ word: UnsafeMutablePointer<UInt32>, expected: UInt32) {
        swiftgc_futex_wait(word, expected)
    }

    /// Post: up to `count` threads sleeping in `futexWait` on `word` are
    /// woken. (futex FUTEX_WAKE_PRIVATE)
    static func futexWake(_ word: UnsafeMutablePointer<UInt32>, count: Int32) {
        swiftgc_futex_wake(word, count)
    }
}
