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
/// Used under the heap lock, but for `restart`, which the background
/// collector runs without it while a cycle is requested and not started:
/// then no other thread uses the tracker (only a started cycle's pauses
/// and re-marking rounds do).
struct ArenaWriteTracker {
    /// Scratch memory for PAGEMAP_SCAN's region vector.
    static let scratchBytes = 64 * 1024

    /// Spans skipped by a re-marking round (`ownedSpanRanges`).
    static let skippedRangeCapacity = 4096

    var pages = DirtyPages(backend: .none)
    var scratch: UnsafeMutableRawBufferPointer? = nil
    var skippedRanges: UnsafeMutablePointer<Range<Address>>? = nil

    /// Chooses the backend SWIFTGC_DIRTY_PAGES asks for (each candidate
    /// self-tests first; see DirtyPages.probe) and says whether concurrent
    /// marking can use it, with one `swiftgc:` line when it cannot. Called
    /// once: at start-up under SWIFTGC_CONCURRENT=1, by gc_enable_concurrent,
    /// or when the live heap first reaches SWIFTGC_CONCURRENT_HEAP under
    /// `auto`. Under `auto` (`isQuiet`) nothing is printed, and only uffd
    /// is tried unless SWIFTGC_DIRTY_PAGES names a backend: the others
    /// cannot serve concurrent marking, and the mprotect self-test installs
    /// a SIGSEGV handler, which a program that never asked should not get.
    mutating func probe(_ options: Options, isQuiet: Bool = false) -> Bool {
        let refuses = options.isEnabled(.refuseUserfaultfd)
        let backend: DirtyPageBackend
        if isQuiet && options.dirtyPageRequest == .automatic {
            backend = DirtyPages.selfTest(.userfaultfd, refusingUserfaultfd: refuses) == nil ? .userfaultfd : .none
        } else {
            backend = DirtyPages.probeOnce(requested: options.dirtyPageRequest, refusingUserfaultfd: refuses)
        }
        pages = DirtyPages(backend: backend, refusingUserfaultfd: refuses)
        let isUsable = ArenaWriteTracker.supportsConcurrentMarking(backend)
        if !isUsable && !isQuiet {
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

    /// Maps the scratch memory on first use. The caller holds the lock.
    mutating func prepare(metadata: inout Metadata) -> Bool {
        if scratch == nil {
            guard let memory = metadata.allocate(bytes: UInt(ArenaWriteTracker.scratchBytes), alignment: 4096)
            else { return false }
            scratch = UnsafeMutableRawBufferPointer(start: memory, count: ArenaWriteTracker.scratchBytes)
        }
        if skippedRanges == nil {
            let bytes = UInt(ArenaWriteTracker.skippedRangeCapacity * MemoryLayout<Range<Address>>.stride)
            guard let memory = metadata.allocate(bytes: bytes, alignment: 4096) else { return false }
            skippedRanges = memory.bindMemory(to: Range<Address>.self, capacity: ArenaWriteTracker.skippedRangeCapacity)
        }
        return true
    }

    /// Starts or extends tracking to the arena top and forgets what was
    /// written so far: from now on every write is reported. False if the
    /// backend failed (the cycle then runs stop-the-world).
    ///
    /// The background collector calls it without the heap lock, before the
    /// start pause (re-protecting a big heap takes tens of milliseconds);
    /// `pageMap` is then its copy, and `prepare` ran under the lock.
    mutating func restart(pageMap: PageMap) -> Bool {
        guard scratch != nil else { return false }
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
    ///
    /// `skippedCount` ranges of `skippedRanges` (in address order, from
    /// `Heap.ownedSpanRanges`) are left out: neither reported nor protected
    /// again, so what was written there is reported by a later call. A
    /// re-marking round skips the spans caches allocate from, which the
    /// program keeps writing and which `Heap.unprotectForAllocation` left
    /// unprotected; the final pause skips nothing.
    mutating func forEachWrittenRun(pageMap: PageMap, skippedCount: Int = 0, _ visit: (UInt, UInt) -> Void) -> Int? {
        guard let scratch, pages.isTracking else { return nil }
        var count = 0
        let trackedEnd = pages.tracked.upperBound
        if pageMap.arenaTop > trackedEnd {
            guard pages.extendTracking(to: pageMap.arenaTop) else { return nil }
            visit(trackedEnd.value, pageMap.arenaTop.value)
            count &+= Int((pageMap.arenaTop - trackedEnd) / PageMap.pageSize)
        }
        let end = min(trackedEnd, pageMap.arenaTop)
        var low = pageMap.arenaStart
        var isExact = true
        var skipped = 0
        while low < end && isExact {
            var high = end
            if skipped < skippedCount, let skippedRanges {
                let range = skippedRanges[skipped]
                skipped &+= 1
                if range.upperBound <= low { continue }
                high = min(end, range.lowerBound)
                if high <= low {
                    low = range.upperBound
                    continue
                }
                isExact = collect(low..<high, scratch: scratch, count: &count, visit)
                low = range.upperBound
                continue
            }
            isExact = collect(low..<high, scratch: scratch, count: &count, visit)
            low = high
        }
        return isExact ? count : nil
    }

    private mutating func collect(_ range: Range<Address>, scratch: UnsafeMutableRawBufferPointer, count: inout Int,
                                  _ visit: (UInt, UInt) -> Void) -> Bool {
        pages.collectAndReprotect(range, scratch: scratch) { run in
            visit(run.lowerBound.value, run.upperBound.value)
            count &+= Int((run.upperBound - run.lowerBound) / PageMap.pageSize)
        }
    }
}
