import _CSwiftGC

extension OS {
    /// Sleeps about 100 µs (less if a signal interrupts it).
    static func sleepBriefly() {
        var request = timespec(tv_sec: 0, tv_nsec: 100_000)
        _ = nanosleep(&request, nil)
    }
}
