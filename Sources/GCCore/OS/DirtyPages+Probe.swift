import _CSwiftGC

/// Choosing a backend: each candidate must pass a self-test on a scratch
/// mapping of its own before the collector relies on it. A kernel can
/// accept every system call and still not track (soft-dirty bits on a kernel
/// built without CONFIG_MEM_SOFT_DIRTY read as clean forever), so the test
/// checks what comes back, not whether the calls succeed.
extension DirtyPages {
    /// The backend to use: `requested` if it passes its self-test, else the
    /// first of `DirtyPageBackend.automaticOrder` that does, else `none`.
    /// A backend asked for by name that fails prints one `swiftgc:` line
    /// (what failed, and the backend used instead); `auto` prints nothing.
    static func probe(requested: DirtyPageRequest, refusingUserfaultfd: Bool) -> DirtyPageBackend {
        guard let wanted = requested.backend else {
            return firstPassing(skipping: nil, refusingUserfaultfd: refusingUserfaultfd)
        }
        if wanted == .none { return .none }
        guard let refusal = selfTest(wanted, refusingUserfaultfd: refusingUserfaultfd) else { return wanted }
        let fallback = firstPassing(skipping: wanted, refusingUserfaultfd: refusingUserfaultfd)
        reportLine { message in
            message.append("SWIFTGC_DIRTY_PAGES=")
            message.append(wanted.name)
            message.append(" is not available: ")
            message.append(refusal.reason)
            if refusal.errorNumber != 0 {
                message.append(" (errno ")
                message.append(decimal: UInt64(refusal.errorNumber))
                message.append(")")
            }
            message.append("; using ")
            message.append(fallback.name)
        }
        return fallback
    }

    /// `probe` once per process, for `gc_dirty_pages_backend()`: the kernel's
    /// answer does not change, and a self-test costs a few system calls per
    /// backend. The first caller probes under a lock; the others wait.
    static func probeOnce(requested: DirtyPageRequest, refusingUserfaultfd: Bool) -> DirtyPageBackend {
        let lock = UnsafeMutableRawPointer(swiftgc_dirty_pages_probe_lock_word()).assumingMemoryBound(to: HeapLock.self)
        lock.lock()
        defer { lock.unlock() }
        if let backend = probedBackend { return backend }
        let backend = probe(requested: requested, refusingUserfaultfd: refusingUserfaultfd)
        probedBackend = backend
        return backend
    }

    private static func firstPassing(skipping skipped: DirtyPageBackend?, refusingUserfaultfd: Bool) -> DirtyPageBackend {
        let order = DirtyPageBackend.automaticOrder
        for index in 0..<3 {
            let candidate = index == 0 ? order.0 : index == 1 ? order.1 : order.2
            if candidate == skipped { continue }
            if selfTest(candidate, refusingUserfaultfd: refusingUserfaultfd) == nil { return candidate }
        }
        return .none
    }

    /// Pages of the scratch mapping the self-test tracks (one more page
    /// after them is its scratch buffer).
    private static let testPages: UInt = 32

    /// Tracks a fresh mapping whose even pages are populated and odd ones
    /// not, then checks, round by round, that exactly the pages written come
    /// back: none before any write, a scattered set (a run of three, pages
    /// populated and not), none right after (so they were re-protected), then
    /// a second write to a page already reported plus a new one. Nil when
    /// the backend passed; otherwise why not.
    static func selfTest(_ backend: DirtyPageBackend, refusingUserfaultfd: Bool) -> DirtyPageRefusal? {
        if backend == .none { return nil }
        let pageSize = OS.systemPageSize
        let mappingBytes = (testPages + 1) * pageSize
        guard let mapping = OS.reserve(bytes: mappingBytes) else {
            return DirtyPageRefusal("cannot map pages for its self-test", errorNumber: swiftgc_errno())
        }
        defer { OS.release(mapping, bytes: mappingBytes) }
        let range = mapping..<(mapping + testPages * pageSize)
        let scratch = UnsafeMutableRawBufferPointer(start: range.upperBound.pointer, count: Int(pageSize))
        for page in stride(from: 0, to: testPages, by: 2) { write(page: page, of: mapping, pageSize: pageSize) }

        var tracker = DirtyPages(backend: backend, refusingUserfaultfd: refusingUserfaultfd)
        if let refusal = tracker.track(range, growingTo: range.upperBound) { return refusal }
        defer { tracker.stopTracking() }
        // Round by round, the pages to write (bit i: page i).
        let scatteredPages: UInt64 = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 17 | 1 << 30
        let rewrittenPages: UInt64 = 1 << 2 | 1 << 31
        for round in 0..<4 {
            let pages = round == 1 ? scatteredPages : round == 3 ? rewrittenPages : 0
            for page in 0..<testPages where pages & (1 << UInt64(page)) != 0 {
                write(page: page, of: mapping, pageSize: pageSize)
            }
            guard let seen = tracker.writtenPages(in: range, scratch: scratch) else {
                return DirtyPageRefusal("collecting written pages failed in its self-test", errorNumber: swiftgc_errno())
            }
            if seen == pages { continue }
            if backend == .softDirty && seen == 0 {
                return DirtyPageRefusal("the kernel sets no soft-dirty bits (built without CONFIG_MEM_SOFT_DIRTY)")
            }
            return DirtyPageRefusal("its self-test saw other pages than those written")
        }
        return nil
    }

    private static func write(page: UInt, of mapping: Address, pageSize: UInt) {
        (mapping + page * pageSize + 8).pointer!.storeBytes(of: UInt64(page) &+ 1, as: UInt64.self)
    }

    /// One collection over `range` (at most 64 pages) as a bit per page, or
    /// nil if it failed or reported a page outside `range`.
    private mutating func writtenPages(in range: Range<Address>, scratch: UnsafeMutableRawBufferPointer) -> UInt64? {
        var seen: UInt64 = 0
        var isInside = true
        let pageSize = self.pageSize
        let isComplete = collectAndReprotect(range, scratch: scratch) { run in
            var page = run.lowerBound
            while page < run.upperBound {
                if page < range.lowerBound || !(page < range.upperBound) {
                    isInside = false
                } else {
                    seen |= 1 << UInt64((page - range.lowerBound) / pageSize)
                }
                page = page + pageSize
            }
        }
        return isComplete && isInside ? seen : nil
    }
}

/// The result of `DirtyPages.probeOnce`; written once, under its lock.
nonisolated(unsafe) private var probedBackend: DirtyPageBackend? = nil
