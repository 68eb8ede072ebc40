import _CSwiftGC

/// Time, for statistics and pauses; never for deciding what to collect.
extension OS {
    /// Post: nanoseconds from a clock that never goes backwards (its origin
    /// is arbitrary). (clock_gettime CLOCK_MONOTONIC)
    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
