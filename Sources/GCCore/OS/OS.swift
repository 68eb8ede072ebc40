import _CSwiftGC

/// The system services the collector uses, each a thin wrapper that states
/// what it guarantees. Nothing else in GCCore calls the OS directly for
/// memory or time.
enum OS {
    /// Reserves `bytes` of zeroed, readable and writable private memory
    /// without committing swap for it. Returns nil if the kernel refuses.
    static func reserve(bytes: UInt) -> Address? {
        let result = mmap(nil, Int(bytes), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        if result == UnsafeMutableRawPointer(bitPattern: -1) || result == nil { return nil }
        return Address(result)
    }

    /// Unmaps memory obtained from `reserve`.
    static func release(_ start: Address, bytes: UInt) {
        _ = munmap(start.pointer, Int(bytes))
    }

    /// Gives the physical pages of [start, start + bytes) back to the OS.
    /// The range stays mapped and reads as zero afterwards.
    static func decommit(_ start: Address, bytes: UInt) {
        let pageSize = systemPageSize
        let low = start.alignedUp(to: pageSize)
        let high = (start + bytes).alignedDown(to: pageSize)
        if low < high {
            _ = madvise(low.pointer, Int(high - low), MADV_DONTNEED)
        }
    }

    static var systemPageSize: UInt { UInt(sysconf(Int32(_SC_PAGESIZE))) }

    /// Nanoseconds from a monotonic clock.
    static func monotonicNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// Opens a file for reading; returns -1 on failure.
    static func openForReading(_ path: StaticString) -> Int32 {
        path.withUTF8Buffer { bytes in
            bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                swiftgc_open_read_only($0)
            }
        }
    }

    /// Reads up to `capacity` bytes; returns the count, 0 at end, -1 on error.
    /// Retries when interrupted by a signal.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, capacity: Int) -> Int {
        while true {
            let result = _CSwiftGC.read(descriptor, buffer, capacity)
            if result < 0 && swiftgc_errno() == EINTR { continue }
            return result
        }
    }

    /// Reads up to `capacity` bytes at file offset `offset`; returns the
    /// count, 0 at end, -1 on error. Retries when interrupted by a signal.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, capacity: Int, at offset: Int) -> Int {
        while true {
            let result = pread(descriptor, buffer, capacity, off_t(offset))
            if result < 0 && swiftgc_errno() == EINTR { continue }
            return result
        }
    }

    static func close(_ descriptor: Int32) { _ = _CSwiftGC.close(descriptor) }

    /// Lets another runnable thread have this CPU (a waiter whose writer
    /// may have been preempted).
    static func yieldProcessor() { _ = sched_yield() }

    static func setErrno(_ value: Int32) { swiftgc_set_errno(value) }

    static func abortProcess() -> Never { abort() }
}
