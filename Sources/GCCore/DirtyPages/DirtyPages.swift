import _CSwiftGC

/// Which pages of a range the program has written since the collector last
/// asked. The program is uninstrumented C, so there is no write barrier:
/// the kernel has to tell us. This is the one interface the mostly-concurrent
/// marker uses; each backend (`DirtyPageBackend`) lives in its own file:
/// `DirtyPages+Userfaultfd.swift`, `DirtyPages+SoftDirty.swift`,
/// `DirtyPages+Mprotect.swift`.
///
/// How the marker is meant to use it:
///
///     let backend = DirtyPages.probe(requested: request, refusingUserfaultfd: refuses)
///     var dirty = DirtyPages(backend: backend, refusingUserfaultfd: refuses)
///     dirty.track(arenaStart..<arenaTop, growingTo: arenaEnd)   // before roots are read
///     ... mark while the program runs ...
///     dirty.collectAndReprotect(arenaStart..<arenaTop, scratch: buffer) { run in rescan(run) }
///
/// The contract of `collectAndReprotect`, for every backend:
/// - every page of the range written since the previous call (or since it
///   became tracked), by a thread or by the kernel on its behalf, is
///   reported, inside a page-aligned run, in address order;
/// - a page may be reported without having been written (after
///   MADV_DONTNEED with uffd, after fork, after the mprotect backend ran out
///   of mappings), never the reverse;
/// - a page is protected again before `visit` sees it (except with
///   soft-dirty, see `needsStoppedWorldToCollect`), so contents read in
///   `visit` or later include every write made before, and any write made
///   after is reported by the next call.
///
/// Threads: one thread at a time calls these methods (the collector, under
/// its lock); the program's threads write the tracked memory meanwhile.
/// Nothing here allocates: scratch memory is the caller's, and the mprotect
/// backend's bitmap is mapped with mmap.
///
/// After fork, the child's copy refuses every call (returns false, visits
/// nothing) until `reinitializeAfterFork()`; the descriptors it inherited
/// still act on the parent (see `reinitializeAfterFork`). The first
/// collection after reinitialising may report the whole tracked range.
struct DirtyPages {
    let backend: DirtyPageBackend
    /// Testing (SWIFTGC_REFUSE_USERFAULTFD): opening a userfaultfd fails
    /// as if the kernel had refused it with EPERM.
    let refusesUserfaultfd: Bool
    let pageSize: UInt
    /// The range being tracked; empty when not tracking. Only the methods
    /// here write it; the stored properties below are internal rather
    /// than private only so that the backend files can reach them.
    var tracked: Range<Address> = Address.null..<Address.null
    /// How far `extendTracking` may grow the range (the mprotect bitmap's
    /// capacity).
    var limit = Address.null
    /// The userfaultfd (uffd) or /proc/self/clear_refs (soft-dirty), or -1.
    var descriptor: Int32 = -1
    /// /proc/self/pagemap (uffd, soft-dirty), or -1. A pagemap descriptor
    /// acts on the process that opened it, even from a forked child.
    var pagemap: Int32 = -1
    /// mprotect: the mapped fault record and bitmap (its layout is in
    /// DirtyPages+Mprotect.swift).
    var faultRecord: UnsafeMutablePointer<UInt64>? = nil
    /// The process that started tracking; any other is a forked child.
    var owner: Int32 = 0
    /// Set when the written pages since the last call are unknown (after
    /// fork): the next collection reports the whole range once.
    var reportsWholeRangeNext = false

    init(backend: DirtyPageBackend, refusingUserfaultfd: Bool = false) {
        self.backend = backend
        self.refusesUserfaultfd = refusingUserfaultfd
        self.pageSize = OS.systemPageSize
    }

    var isTracking: Bool { tracked.lowerBound < tracked.upperBound }

    /// Whether `collectAndReprotect` is exact only while every other thread
    /// is stopped. Soft-dirty bits are read, then cleared process-wide by a
    /// second system call; a write between the two is lost.
    var needsStoppedWorldToCollect: Bool { backend == .softDirty }

    /// Starts tracking `range` (page-aligned), which later calls to
    /// `extendTracking` may grow up to `limit`. Pages count as not written
    /// when this returns. Returns nil on success, or why the backend refused
    /// (then nothing is tracked). With uffd, protecting unpopulated pages
    /// allocates page tables: about 2 KiB per MiB tracked, so track what
    /// the arena uses, not its whole reservation.
    mutating func track(_ range: Range<Address>, growingTo limit: Address) -> DirtyPageRefusal? {
        guard !isTracking else { return DirtyPageRefusal("this tracker is tracking a range already") }
        guard range.lowerBound.isAligned(to: pageSize), range.upperBound.isAligned(to: pageSize),
              range.lowerBound < range.upperBound, range.upperBound <= limit else {
            return DirtyPageRefusal("the range is empty or not page-aligned")
        }
        owner = swiftgc_process_id()
        reportsWholeRangeNext = false
        let refusal: DirtyPageRefusal?
        switch backend {
        case .none: refusal = nil
        case .userfaultfd: refusal = startUserfaultfd(range)
        case .softDirty: refusal = startSoftDirty(range)
        case .mprotect: refusal = startMprotect(range, limit: limit)
        }
        if refusal == nil {
            tracked = range
            self.limit = limit
        }
        return refusal
    }

    /// Grows the tracked range to end at `high` (page-aligned, at most the
    /// limit given to `track`). The new pages count as not written
    /// (soft-dirty may report them once). Returns
    /// false if it could not, in a forked child, or if `high` is not past
    /// the current end; then the tracked range is unchanged.
    mutating func extendTracking(to high: Address) -> Bool {
        guard isTracking, isOwner, high.isAligned(to: pageSize), tracked.upperBound < high, high <= limit else {
            return false
        }
        let added = tracked.upperBound..<high
        let isExtended: Bool
        switch backend {
        case .none: isExtended = true
        case .userfaultfd: isExtended = extendUserfaultfd(added)
        case .softDirty: isExtended = true
        case .mprotect: isExtended = extendMprotect(added)
        }
        if isExtended { tracked = tracked.lowerBound..<high }
        return isExtended
    }

    /// Calls `visit` with each run of pages in `range` written since the
    /// previous call, after protecting them again (see the contract above).
    /// `range` is clipped to the tracked range; soft-dirty widens it to the
    /// whole tracked range (its clear covers the process), so `visit` may
    /// see runs outside `range` there. `scratch` is the caller's buffer of at
    /// least `DirtyPages.minimumScratchBytes`; bigger means fewer system
    /// calls. Returns false if the pages written could not be told: then
    /// some of `range` may not have been visited and the caller must treat
    /// all of it as written. Backend `none` returns false.
    mutating func collectAndReprotect(_ range: Range<Address>, scratch: UnsafeMutableRawBufferPointer,
                                      visit: (Range<Address>) -> Void) -> Bool {
        guard isTracking, isOwner, scratch.count >= DirtyPages.minimumScratchBytes,
              let clipped = clip(range) else { return false }
        if reportsWholeRangeNext {
            // Everything since fork is unknown: protect the whole range
            // again, then report it.
            guard reprotectAll() else { return false }
            reportsWholeRangeNext = false
            visit(tracked)
            return true
        }
        switch backend {
        case .none: return false
        case .userfaultfd: return collectUserfaultfd(clipped, scratch: scratch, visit: visit)
        case .softDirty: return collectSoftDirty(scratch: scratch, visit: visit)
        case .mprotect: return collectMprotect(clipped, visit: visit)
        }
    }

    /// Lifts the write protection of `range` through the userfaultfd
    /// `descriptor` (from `unprotectionDescriptor`), so writes there stop
    /// faulting. Its pages then count as written: the next
    /// `collectAndReprotect` over them reports them and protects them
    /// again, so lifting protection never hides a write. A static function
    /// on a copied descriptor, because allocation calls it under the heap
    /// lock while the background collector may be inside
    /// `collectAndReprotect`; the kernel serialises the two. Returns
    /// whether the kernel did it.
    @discardableResult
    static func unprotect(_ range: Range<Address>, descriptor: Int32) -> Bool {
        swiftgc_userfaultfd_write_protect(descriptor, range.lowerBound.value,
                                          Int(range.upperBound - range.lowerBound), 0) == 0
    }

    /// The descriptor `unprotect` takes, or -1 when this tracker cannot
    /// lift protection cheaply (every backend but uffd, a forked child).
    var unprotectionDescriptor: Int32 {
        backend == .userfaultfd && isTracking && isOwner ? descriptor : -1
    }

    /// Stops tracking: every page becomes writable without faults, and the
    /// backend's descriptors and mappings are released. In a forked child
    /// that has not reinitialised, it only closes the descriptors it
    /// inherited, since acting through them would change the parent.
    mutating func stopTracking() {
        guard isTracking else { return }
        if isOwner {
            switch backend {
            case .none: break
            case .userfaultfd: stopUserfaultfd()
            case .softDirty: stopSoftDirty()
            case .mprotect: stopMprotect()
            }
        } else {
            closeDescriptors()
            if backend == .mprotect { stopMprotect() }
        }
        tracked = Address.null..<Address.null
        reportsWholeRangeNext = false
    }

    /// For the child of a fork, before any other call. The child's copy of
    /// a uffd-registered mapping is no longer registered, and the
    /// descriptors it inherited (the userfaultfd, pagemap, clear_refs) act on
    /// the parent's memory: a PAGEMAP_SCAN through them would report and
    /// re-protect the parent's pages, which the parent's marker then never
    /// sees. So the child closes them and starts again with its own:
    /// - uffd, soft-dirty: new descriptors, every page protected again; the
    ///   next collection reports the whole range once (what was written
    ///   between the parent's last collection and now is unknown);
    /// - mprotect: protections, bitmap and handler are inherited as they
    ///   were, so tracking continues exactly;
    /// - none, or not tracking: nothing to do.
    /// Returns `.mustCollectStopTheWorld` if the kernel refused (the child
    /// then tracks nothing).
    mutating func reinitializeAfterFork() -> DirtyPagesAfterFork {
        guard isTracking, !isOwner else { return .tracking }
        closeDescriptors()
        owner = swiftgc_process_id()
        let range = tracked
        let refusal: DirtyPageRefusal?
        switch backend {
        case .none: return .tracking
        case .mprotect:
            // Only this thread exists in the child, and it is not in the handler.
            swiftgc_write_fault_handlers_forget_running()
            return .tracking
        case .userfaultfd: refusal = startUserfaultfd(range)
        case .softDirty: refusal = startSoftDirty(range)
        }
        guard refusal == nil else {
            tracked = Address.null..<Address.null
            return .mustCollectStopTheWorld
        }
        reportsWholeRangeNext = true
        return .tracking
    }

    /// Room for one PAGEMAP_SCAN region or pagemap window, at least.
    static let minimumScratchBytes = 4096

    var isOwner: Bool { owner == swiftgc_process_id() }

    private func clip(_ range: Range<Address>) -> Range<Address>? {
        let low = max(range.lowerBound.alignedDown(to: pageSize), tracked.lowerBound)
        let high = min(range.upperBound.alignedUp(to: pageSize), tracked.upperBound)
        return low < high ? low..<high : nil
    }

    private mutating func reprotectAll() -> Bool {
        switch backend {
        case .none: return false
        case .userfaultfd: return reprotectAllUserfaultfd()
        case .softDirty: return clearSoftDirtyBits()
        case .mprotect: return true
        }
    }

    mutating func closeDescriptors() {
        if descriptor >= 0 { OS.close(descriptor) }
        if pagemap >= 0 { OS.close(pagemap) }
        descriptor = -1
        pagemap = -1
    }
}

/// Why a backend refused to track, for the one `swiftgc:` line printed when
/// it was asked for by name.
struct DirtyPageRefusal {
    let reason: StaticString
    /// errno of the system call that failed, or 0.
    let errorNumber: Int32

    init(_ reason: StaticString, errorNumber: Int32 = 0) {
        self.reason = reason
        self.errorNumber = errorNumber
    }
}

/// What a forked child's tracker does (`reinitializeAfterFork`).
enum DirtyPagesAfterFork {
    /// Tracking again (the next collection may report the whole range).
    case tracking
    /// No tracking in the child: its collections must stop the world.
    case mustCollectStopTheWorld
}
