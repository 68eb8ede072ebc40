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

    /// Post: nanoseconds of CPU time the calling thread has used.
    /// (clock_gettime CLOCK_THREAD_CPUTIME_ID)
    static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}

extension OS {
    /// Post: the calling thread has slept about 100 µs, or less if a signal
    /// interrupted it. (nanosleep)
    static func sleepBriefly() {
        var request = timespec(tv_sec: 0, tv_nsec: 100_000)
        _ = nanosleep(&request, nil)
    }
}

extension OS {
    /// Post: the calling thread has slept about `nanoseconds` (below one
    /// second), or less if a signal interrupted it. (nanosleep)
    static func sleep(nanoseconds: UInt64) {
        var request = timespec(tv_sec: 0, tv_nsec: Int(min(nanoseconds, 999_999_999)))
        _ = nanosleep(&request, nil)
    }
}
