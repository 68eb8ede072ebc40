import _CSwiftGC

/// Which parts of a range of this process's memory can be read without a
/// fault, asked of the kernel: a range registered with gc_add_roots may
/// have been unmapped, made PROT_NONE or unloaded (a dlclose'd library's
/// data) since, and reading it would kill the collection with SIGSEGV.
///
/// Two steps. First madvise(MADV_POPULATE_READ) over the range's pages
/// (Linux 5.14 and later): it faults them in for reading as the scan would,
/// without copying, and fails if any page is unmapped (ENOMEM), not
/// readable (EINVAL) or past the end of its file (EFAULT, where the scan
/// would get SIGBUS). It succeeds for almost every range; populating is
/// what the scan's reads do anyway. If it fails (or the kernel is older),
/// process_vm_readv on ourselves reads one byte of each page,
/// `pagesPerProbe` pages a call, and stops with EFAULT at the first page a
/// read would fault on, which the scan then skips.
///
/// Rejected: mincore sees unmapped pages, not PROT_NONE ones; the
/// permissions in /proc/self/maps cost a read of every mapping at each
/// collection (20 µs with 24 mappings, 600 µs with 2 000) and show neither
/// guard regions nor where a file ends; process_vm_readv alone takes the
/// kernel 0.3–1.4 µs a page.
///
/// Cost, measured on the busy 2-core development machine as the median
/// pause of 21 collections with registered ranges of resident memory,
/// divided by their number; in brackets, the same without the probe:
/// a range of one page 0.8 µs (0.6 µs), of 16 pages 6.1 µs (2.3 µs), of
/// 256 pages 83 µs (35 µs), of 64 MiB 7.3 ms (2.7 ms). So about 0.3 µs a
/// page, which is 1.5 to 3 times what scanning costs there (it costs more
/// where the words look like pointers); for the usual small range (a malloc
/// block, a table) it is the cost of one system call.
///
/// What the probe says holds while the world is stopped and the program's
/// threads cannot change their mappings. Marking concurrently with them
/// will need to read the range itself through the kernel (process_vm_readv
/// into a buffer) or to survive the fault.
enum ReadableMemory {
    /// Pages asked about per call. Their iovec array takes 1 KiB of stack:
    /// Embedded Swift keeps temporary allocations up to that size off the
    /// heap (above it they would come from malloc).
    static let pagesPerProbe = 64

    /// Calls `body` with each readable run of [low, high), in address order
    /// and clipped to it, and returns how many bytes it left out. If the
    /// kernel refuses the probe itself (no process_vm_readv, or a seccomp
    /// filter forbids it), every byte counts as readable, as before probes.
    static func forEachReadableRun(low: UInt, high: UInt, _ body: (UInt, UInt) -> Void) -> UInt {
        guard low < high else { return 0 }
        let pageSize = OS.systemPageSize
        let pagesLow = low & ~(pageSize &- 1)
        let pagesHigh = (high &+ pageSize &- 1) & ~(pageSize &- 1)
        if madvise(UnsafeMutableRawPointer(bitPattern: pagesLow), Int(pagesHigh &- pagesLow), MADV_POPULATE_READ) == 0 {
            body(low, high)
            return 0
        }
        var unreadableBytes: UInt = 0
        var runStart = low
        withUnsafeTemporaryAllocation(of: iovec.self, capacity: pagesPerProbe) { remote in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: pagesPerProbe) { scratch in
                var page = pagesLow
                while page < high {
                    var count = 0
                    while count < pagesPerProbe && page &+ UInt(count) &* pageSize < high {
                        let probed = max(low, page &+ UInt(count) &* pageSize)
                        remote[count] = iovec(iov_base: UnsafeMutableRawPointer(bitPattern: probed), iov_len: 1)
                        count &+= 1
                    }
                    var local = iovec(iov_base: UnsafeMutableRawPointer(scratch.baseAddress), iov_len: count)
                    let copied = swiftgc_read_own_memory(&local, 1, remote.baseAddress, UInt(count))
                    // -1 with EFAULT: the first page is unreadable. Any other
                    // error: no answer, so the rest counts as readable.
                    if copied < 0 && swiftgc_errno() != EFAULT { return }
                    let readablePages = max(0, copied)
                    if readablePages == count {
                        page &+= UInt(count) &* pageSize
                        continue
                    }
                    let unreadable = page &+ UInt(readablePages) &* pageSize
                    let unreadableLow = max(low, unreadable)
                    let unreadableHigh = min(high, unreadable &+ pageSize)
                    if runStart < unreadableLow { body(runStart, unreadableLow) }
                    unreadableBytes &+= unreadableHigh &- unreadableLow
                    runStart = unreadableHigh
                    page = unreadable &+ pageSize
                }
            }
        }
        if runStart < high { body(runStart, high) }
        return unreadableBytes
    }
}
