import _CSwiftGC

/// Marking without the lock: while the background collector drains, the
/// program's slow paths take spans, allocate large objects and free
/// explicitly. What makes that safe:
/// - every mark bit is set and cleared with atomic operations (the
///   marker, `Heap.refill`, `Heap.free`), so no update is lost;
/// - a span's descriptor is written before the page map entries that
///   publish it (`PageMap.setEntries`), and descriptors and the arena stay
///   mapped for the process's life, so a marker that reads a descriptor
///   being re-formatted reads memory that exists; what it then pushes is
///   kept inside the arena (`Marker.runsBesideProgram`), and the worst
///   outcome is an object kept one cycle too long;
/// - the marker's page map copy is taken at each slice: spans handed out
///   after it hold only objects born marked;
/// - nothing else uses the marker meanwhile: it is "out"
///   (`markerIsOut`) from the moment the lock is let go until its state
///   is written back; a thread that needs it (an assist, a stop-the-world
///   collection that abandons the cycle, a forked child) holds the lock and waits, and
///   asks the slice to end early (`markerIsWanted`). Overflow recovery,
///   which walks the spans, runs under the lock; a re-marking round runs
///   with the marker out too, its rescan of written pages guarded as the
///   marker is (DirtyPageRescan).
///
extension UnsafeMutablePointer where Pointee == CollectorState {
    /// Waits until the background collector's slice without the lock has
    /// given the marker back. The caller holds the lock (so no new slice
    /// starts); the slice ends within `wantedCheckEntries` scans.
    func waitForConcurrentMarker() {
        let isOut = withUnsafeMutablePointer(to: &pointee.concurrent.markerIsOut) { $0 }
        guard Atomics.load(acquiring: isOut) != 0 else { return }
        let isWanted = withUnsafeMutablePointer(to: &pointee.concurrent.markerIsWanted) { $0 }
        Atomics.store(releasing: isWanted, 1)
        while Atomics.load(acquiring: isOut) != 0 { swiftgc_spin_pause() }
        Atomics.store(releasing: isWanted, 0)
    }

    /// Lends the cycle's marker to `body`, run without the lock: takes a
    /// copy with a fresh page map, marks it out (`outState`), lets the lock
    /// go, and after `body` writes it back, marks it in (a waiter that sees
    /// that sees the marker) and takes the lock again. The caller holds the
    /// lock. Nil if there is no marker, or if another thread abandoned the
    /// cycle (taking the marker) while this one waited for the lock: the
    /// caller then sees the new generation.
    private func withMarkerBesideProgram<Result>(outState: UInt32, _ body: (inout Marker, PageMap) -> Result) -> Result? {
        guard var marker = pointee.concurrent.marker else { return nil }
        let pageMap = pointee.heap.pageMap
        marker.pageMap = pageMap
        marker.runsBesideProgram = true
        let isOut = withUnsafeMutablePointer(to: &pointee.concurrent.markerIsOut) { $0 }
        Atomics.store(releasing: isOut, outState)
        lockPointer.unlock()
        let result = body(&marker, pageMap)
        marker.runsBesideProgram = false
        pointee.concurrent.marker = marker
        // Ordered after the write-back: a waiter that sees 0 sees the marker.
        Atomics.store(releasing: isOut, 0)
        lockPointer.lock()
        return pointee.concurrent.marker == nil ? nil : result
    }

    /// A slice of step 2 by the background collector, without the lock.
    /// The caller holds the lock, which is let go during the slice and held
    /// again on return. Returns true when no marking work is left.
    func drainSliceBesideProgram() -> Bool {
        let isWanted = withUnsafeMutablePointer(to: &pointee.concurrent.markerIsWanted) { $0 }
        let drained = withMarkerBesideProgram(outState: 1) { marker, _ -> Bool in
            var entries = 0
            while entries < ConcurrentCycle.sliceEntries {
                if marker.drain(entryBudget: ConcurrentCycle.wantedCheckEntries) { return true }
                entries &+= ConcurrentCycle.wantedCheckEntries
                if Atomics.load(acquiring: isWanted) != 0 { break }
            }
            return false
        }
        guard let isDone = drained else { return true }
        if isDone && pointee.concurrent.marker!.didOverflow {
            pointee.concurrent.marker!.pageMap = pointee.heap.pageMap
            pointee.concurrent.marker!.recoverFromOverflow()
        }
        return isDone
    }

    /// A re-marking round (step 5) by the background collector, without the
    /// lock: the marker is out, as in a slice. Only the taking of the spans
    /// caches own, which walks the caches, needs the lock. With the lock
    /// held, a round over 18 000 written pages of a 64 MiB graph kept
    /// allocating threads waiting 12 ms. The tracker is the background
    /// collector's alone while a cycle marks (ArenaWriteTracker). Returns
    /// the pages, or nil if another thread abandoned the cycle.
    func remarkWrittenPagesBesideProgram() -> Int? {
        guard let ranges = pointee.arenaWrites.skippedRanges else { return nil }
        let skippedCount = pointee.heap.ownedSpanRanges(into: ranges, capacity: ArenaWriteTracker.skippedRangeCapacity) ?? 0
        let pages = withMarkerBesideProgram(outState: ConcurrentCycle.markerIsOutRemarking) { marker, pageMap in
            rescanWrittenPages(&marker, pageMap: pageMap, skippedCount: skippedCount)
        }
        if let pages { pointee.concurrent.remarkedPages &+= UInt64(pages) }
        return pages
    }
}

/// The background collector's CPU budget while it marks beside the program
/// (SWIFTGC_MARK_CPU_SHARE, a percentage of the processors the process may
/// use, as Go's 25%): after each slice it sleeps long enough that its busy
/// time stays within that share of the time since marking began. With 2
/// processors and 25%, it marks half the time.
struct CPUShare {
    /// Parts per thousand of one processor.
    let perMille: UInt64
    let start = OS.monotonicNanoseconds()
    var busyNanoseconds: UInt64 = 0

    init(percentOfProcessors percent: UInt64) {
        perMille = min(1000, percent &* 10 &* UInt64(OS.availableProcessors))
    }

    /// Counts a slice and returns how long to sleep before the next (at most
    /// a millisecond, so the cycle never stalls for long).
    mutating func pauseAfter(busyNanoseconds busy: UInt64) -> UInt64 {
        busyNanoseconds &+= busy
        guard perMille < 1000 else { return 0 }
        // Busy time allowed so far: elapsed × share. Sleep off the excess.
        let allowed = (OS.monotonicNanoseconds() &- start) / 1000 &* perMille
        return busyNanoseconds > allowed ? min(busyNanoseconds &- allowed, 1_000_000) : 0
    }
}
