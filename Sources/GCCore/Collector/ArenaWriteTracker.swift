import _CSwiftGC

/// The arena's written pages, for concurrent cycles: `OS/DirtyPages` over
/// the used part of the arena, grown as the arena top rises.
///
/// Only what the arena uses is tracked (userfaultfd allocates page tables
/// for every protected page, even unpopulated ones), so pages handed out
/// above the tracked end are not tracked at first. Each take of written
/// pages therefore first extends tracking to the arena top, then reports
/// the added pages whole (what was written there before the extension is
/// unknown), then the pages the kernel saw written.
///
/// Used under the heap lock only.
struct ArenaWriteTracker {
    /// Scratch memory for PAGEMAP_SCAN's region vector.
    static let scratchBytes = 64 * 1024

    var pages = DirtyPages(backend: .none)
    var scratch: UnsafeMutableRawBufferPointer? = nil

    /// Chooses the backend SWIFTGC_DIRTY_PAGES asks for (each candidate
    /// self-tests first; see DirtyPages.probe) and says whether concurrent
    /// marking can use it, with one `swiftgc:` line when it cannot. Called
    /// once, at start-up, when SWIFTGC_CONCURRENT asks for concurrency.
    mutating func probe(_ options: Options) -> Bool {
        let backend = DirtyPages.probeOnce(requested: options.dirtyPageRequest,
                                           refusingUserfaultfd: options.isEnabled(.refuseUserfaultfd))
        pages = DirtyPages(backend: backend, refusingUserfaultfd: options.isEnabled(.refuseUserfaultfd))
        let isUsable = ArenaWriteTracker.supportsConcurrentMarking(backend)
        if !isUsable {
            reportLine { message in
                message.append("concurrent marking needs the uffd dirty-page backend, and this process has ")
                message.append(backend.name)
                message.append("; collections stop the world")
            }
        }
        return isUsable
    }

    /// Whether concurrent marking can rely on this backend: reports must
    /// be exact while threads run, and system calls must be able to write
    /// into the heap (mprotect makes them fail with EFAULT).
    static func supportsConcurrentMarking(_ backend: DirtyPageBackend) -> Bool {
        backend == .userfaultfd
    }

    /// Starts or extends tracking to the arena top and forgets what was
    /// written so far: from now on every write is reported. False if the
    /// backend failed (the cycle then runs stop-the-world).
    mutating func restart(pageMap: PageMap, metadata: inout Metadata) -> Bool {
        if scratch == nil {
            guard let memory = metadata.allocate(bytes: UInt(ArenaWriteTracker.scratchBytes), alignment: 4096)
            else { return false }
            scratch = UnsafeMutableRawBufferPointer(start: memory, count: ArenaWriteTracker.scratchBytes)
        }
        let top = max(pageMap.arenaTop, pageMap.arenaStart + PageMap.pageSize)
        if !pages.isTracking {
            return pages.track(pageMap.arenaStart..<top, growingTo: pageMap.arenaEnd) == nil
        }
        return forEachWrittenRun(pageMap: pageMap) { _, _ in } != nil
    }

    /// Calls `visit` with each run of arena pages written since the last
    /// call (the runs are protected again first). Returns the pages
    /// reported, or nil if the backend failed: then the caller must treat
    /// every page as written.
    mutating func forEachWrittenRun(pageMap: PageMap, _ visit: (UInt, UInt) -> Void) -> Int? {
        guard let scratch, pages.isTracking else { return nil }
        var count = 0
        let trackedEnd = pages.tracked.upperBound
        if pageMap.arenaTop > trackedEnd {
            guard pages.extendTracking(to: pageMap.arenaTop) else { return nil }
            visit(trackedEnd.value, pageMap.arenaTop.value)
            count &+= Int((pageMap.arenaTop - trackedEnd) / PageMap.pageSize)
        }
        let isExact = pages.collectAndReprotect(pageMap.arenaStart..<min(trackedEnd, pageMap.arenaTop),
                                                scratch: scratch) { run in
            visit(run.lowerBound.value, run.upperBound.value)
            count &+= Int((run.upperBound - run.lowerBound) / PageMap.pageSize)
        }
        return isExact ? count : nil
    }
}
