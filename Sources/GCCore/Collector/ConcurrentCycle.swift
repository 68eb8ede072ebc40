import _CSwiftGC

/// Mostly-concurrent collection (Boehm, Demers and Shenker, PLDI 1991):
/// the heap is marked while the program runs, and only two short pauses
/// stop the world.
///
///  0. Before the start pause, without the heap lock, the background
///     collector has the kernel forget the arena pages written so far and
///     protect them again (`restartWriteTracking`): from then on every
///     write is reported. Over a big heap this takes tens of milliseconds,
///     which is why it is not in the pause.
///  1. Start (pause): allocation starts to hand out marked objects, and
///     the roots are scanned onto the mark stack (not traced).
///  2. Concurrent marking: the background collector drains the mark stack
///     without the heap lock, in slices of `sliceEntries` scans, while the
///     program runs and allocates (`drainSliceBesideProgram`). Allocating
///     threads that outrun it help, a slice per slow-path allocation, under
///     the lock (an assist).
///  3. Re-marking: up to `maximumRemarkRounds` times, the arena pages
///     written since the last look are taken from the kernel (and
///     protected again in the same step), their marked objects are queued
///     again and drained concurrently. It stops early once a round finds
///     at most `finalPauseDirtyPageTarget` pages.
///  4. Finish (pause): every root is scanned again, the last written pages
///     are re-marked, marking is completed (in parallel), then weak links,
///     finalizers and the verifier run as in a stop-the-world collection
///     (`completeCycle` in Collection.swift), and a lazy sweep phase
///     begins instead of the sweep (LazySweeping.swift). The mark stack's
///     pages are given back after the pause, in slices.
///
/// Why nothing live is freed: a reachable object is unmarked at the end
/// only if the last pointer to it was stored, after tracking began, into
/// a root or into an object already scanned. Tracking begins (step 0)
/// before any object is scanned (step 2), so every such store is reported.
/// Roots are rescanned whole in the final pause; a store into an object
/// marks its page written, and every marked object on a written page is
/// scanned again after the page was reported (step 3, or step 4 with the
/// world stopped). Objects allocated during the cycle are marked from
/// birth, and their contents are covered the same way, through the pages
/// their initialisation wrote.
///
/// Marking without the lock: see MarkingBesideProgram.swift.
///
/// Shared state: everything here is read and written under the heap lock,
/// except `wakeWord`, which the background collector sleeps on,
/// `markerIsOut` and `markerIsWanted` (above), the marker itself while it
/// is out, and `backgroundProcess`, claimed with a compare-and-exchange by
/// the thread that starts the background collector. `isAvailable` is also
/// read without the lock as a hint (it only ever goes from true to false).
struct ConcurrentCycle {
    enum Phase: UInt8 {
        case idle
        /// A slow path asked for a cycle; the background collector has not
        /// started it yet.
        case requested
        /// Between the two pauses.
        case marking
    }

    static let sliceEntries = 2048
    /// Entries between two looks at `markerIsWanted` during a slice beside
    /// the program: bounds how long a thread waits for the marker.
    static let wantedCheckEntries = 256
    /// `markerIsOut` during a re-marking round, which does not look at
    /// `markerIsWanted`: assists skip it instead of waiting.
    static let markerIsOutRemarking: UInt32 = 2
    static let maximumRemarkRounds = 4
    static let finalPauseDirtyPageTarget = 512

    var phase = Phase.idle
    /// The cycle's marker, kept between slices (its mark stack is the
    /// collector's).
    var marker: Marker? = nil
    /// Bumped at every cycle start and finish, so the background collector
    /// notices a cycle another thread finished while it slept.
    var generation: UInt64 = 0
    /// Bumped (then woken) when a cycle is requested.
    var wakeWord: UInt32 = 0
    /// Whether the program asked for concurrent collection, the policy
    /// allows it and a dirty-page backend fit for it passed its self-test.
    var isAvailable = false
    /// Whether the dirty-page backend has been probed for concurrency (at
    /// start-up under SWIFTGC_CONCURRENT=1, by gc_enable_concurrent, or
    /// under `auto` when the live heap first reaches the threshold).
    var hasProbedBackend = false
    /// The live heap from which cycles are concurrent: SWIFTGC_CONCURRENT_HEAP
    /// under SWIFTGC_CONCURRENT=auto, 0 under 1 or after
    /// gc_enable_concurrent, UInt.max when concurrency is off. Smaller
    /// heaps collect faster stopping the world (BENCHMARKS.md).
    var liveHeapThreshold = UInt.max
    /// The process that runs the background collector (0: none): a forked
    /// child starts its own.
    var backgroundProcess: UInt64 = 0
    var backgroundStack: UnsafeMutableRawPointer? = nil
    /// Bytes allocated between the trigger and the end of the last cycle,
    /// for the pacer.
    /// Nonzero while the background collector uses the marker without the
    /// lock: 1 in a slice, `markerIsOutRemarking` in a re-marking round
    /// (release store of 0 when it is back in `marker`).
    var markerIsOut: UInt32 = 0
    /// 1 while a lock holder waits for the marker to come back.
    var markerIsWanted: UInt32 = 0
    var bytesAllocatedDuringLastCycle: UInt = 0
    var bytesAllocatedAtStart: UInt = 0
    /// Bytes allocated between the start pause and the end of the last
    /// cycle: born marked, so counted live by its sweep whether or not
    /// they were (the pacer takes them off; see `collectionBudget`).
    var bornMarkedBytesOfLastCycle: UInt = 0
    var bytesAllocatedAtStartPause: UInt = 0
    var startPauseNanoseconds: UInt64 = 0
    // Statistics.
    var cycles: UInt64 = 0
    var assists: UInt64 = 0
    var remarkedPages: UInt64 = 0
    var abandonedCycles: UInt64 = 0
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    var isConcurrentCycleActive: Bool { pointee.concurrent.phase == .marking }

    /// Asks the background collector to start a cycle. The caller holds
    /// the heap lock.
    func requestConcurrentCycle() {
        guard pointee.concurrent.phase == .idle else { return }
        // bdwgc kinds and mark procedures of the program's were not written
        // to run beside it (as with parallel marking).
        guard pointee.kinds.kindCount == ObjectKinds.predefinedCount, pointee.kinds.procedureCount == 0,
              collectionMayStart() else {
            collect()
            return
        }
        pointee.concurrent.phase = .requested
        pointee.concurrent.bytesAllocatedAtStart = pointee.heap.bytesAllocatedSinceCollection
        withUnsafeMutablePointer(to: &pointee.concurrent.wakeWord) { word in
            // Ordered before the wake, so the collector's wait sees it.
            _ = Atomics.fetchAdd(acquiringAndReleasing: word, 1)
            OS.futexWake(word, count: 1)
        }
    }

    /// Turns concurrent marking on at run time (gc_enable_concurrent,
    /// bdwgc's GC_enable_incremental) if the policy allows it and a backend
    /// fit for it passes its self-test; returns whether it is on. The
    /// caller holds the lock. The background collector starts with the
    /// next slow path.
    func enableConcurrentMarking() -> Bool {
        pointee.concurrent.liveHeapThreshold = 0
        if pointee.concurrent.isAvailable { return true }
        guard pointee.policy.allowsConcurrentMarking, !pointee.concurrent.hasProbedBackend else { return false }
        pointee.concurrent.hasProbedBackend = true
        pointee.concurrent.isAvailable = pointee.arenaWrites.probe(pointee.options)
        return pointee.concurrent.isAvailable
    }

    /// gc_collect_a_little (bdwgc's GC_collect_a_little): a slice of the
    /// work in progress, a sweep slice or a marking slice, by the calling
    /// thread. Returns whether work is left. The caller holds the lock.
    func doSliceOfCollection() -> Bool {
        if pointee.heap.isSweeping {
            sweepSliceAndAccount()
            return pointee.heap.isSweeping || isConcurrentCycleActive
        }
        guard isConcurrentCycleActive else { return false }
        assistConcurrentMarking()
        return true
    }

    /// One marking slice on behalf of an allocating thread that has used
    /// up its budget before the cycle finished. The caller holds the lock.
    func assistConcurrentMarking() {
        guard isConcurrentCycleActive else { return }
        // A re-marking round cannot stop early (the pages it took are
        // protected again, so their rescan must finish): rather than wait
        // for it (12 ms over 18 000 pages), this slow path does not assist.
        let isOut = withUnsafeMutablePointer(to: &pointee.concurrent.markerIsOut) { $0 }
        if Atomics.load(acquiring: isOut) == ConcurrentCycle.markerIsOutRemarking { return }
        waitForConcurrentMarker()
        pointee.concurrent.assists &+= 1
        pointee.concurrent.marker!.pageMap = pointee.heap.pageMap
        if pointee.concurrent.marker!.drain(entryBudget: ConcurrentCycle.sliceEntries) {
            pointee.concurrent.marker!.recoverFromOverflow()
        }
    }

    /// Step 0, by the background collector once a cycle is requested. The
    /// caller holds the lock, which is let go meanwhile. Returns whether
    /// the cycle can start: tracking restarted and the request stands (a
    /// stop-the-world collection may have taken its place).
    func restartWriteTracking() -> Bool {
        guard pointee.arenaWrites.prepare(metadata: &pointee.heap.metadata) else { return giveUpConcurrency() }
        let pageMap = pointee.heap.pageMap
        // Spans handed out from now on are unprotected again (Heap.unprotectForAllocation).
        pointee.heap.protectionEpoch &+= 1
        lockPointer.unlock()
        // Without the lock: no other thread uses the tracker while the
        // cycle is only requested (see ArenaWriteTracker).
        let isRestarted = pointee.arenaWrites.restart(pageMap: pageMap)
        lockPointer.lock()
        pointee.heap.unprotectionDescriptor = pointee.arenaWrites.pages.unprotectionDescriptor
        guard isRestarted else { return giveUpConcurrency() }
        return pointee.concurrent.phase == .requested
    }

    /// The tracker failed: the request is dropped, and collections stop the
    /// world from now on. Returns false, for `restartWriteTracking`.
    private func giveUpConcurrency() -> Bool {
        pointee.concurrent.phase = .idle
        pointee.concurrent.isAvailable = false
        return false
    }

    /// Step 1, after `restartWriteTracking`. The caller holds the lock;
    /// the world runs on return.
    func startConcurrentCycle() {
        finishSweeping()
        var cycle = CollectionCycle(backgroundOf: self)
        cycle.stopWorld()
        pointee.concurrent.generation &+= 1
        pointee.concurrent.bytesAllocatedAtStartPause = pointee.heap.bytesAllocatedSinceCollection
        pointee.heap.allocatesMarked = true
        cycle.markRootsDeferringTracing()
        pointee.concurrent.marker = cycle.marker
        pointee.concurrent.phase = .marking
        cycle.restartWorld()
        pointee.concurrent.startPauseNanoseconds = OS.monotonicNanoseconds() &- cycle.startTime
        traceConcurrentCycleStart(cycle)
    }

    /// Steps 2 and 3, run by the background collector. The caller holds the
    /// lock, which is released between slices. Returns false if another
    /// thread finished the cycle meanwhile.
    func markConcurrently() -> Bool {
        let generation = pointee.concurrent.generation
        var round = 0
        var share = CPUShare(percentOfProcessors: pointee.options[.markCPUShare])
        while true {
            // Drain in slices without the lock, checking between them that
            // no other thread finished the cycle, within the CPU share.
            while true {
                let sliceStart = OS.monotonicNanoseconds()
                if drainSliceBesideProgram() || pointee.concurrent.generation != generation { break }
                let pause = share.pauseAfter(busyNanoseconds: OS.monotonicNanoseconds() &- sliceStart)
                if pause > 0 {
                    lockPointer.unlock()
                    OS.sleep(nanoseconds: pause)
                    lockPointer.lock()
                    if pointee.concurrent.generation != generation { break }
                }
            }
            if pointee.concurrent.generation != generation { return false }
            if round == ConcurrentCycle.maximumRemarkRounds { return true }
            round &+= 1
            guard let pages = remarkWrittenPagesBesideProgram(), pointee.concurrent.generation == generation else {
                return false
            }
            if pages <= ConcurrentCycle.finalPauseDirtyPageTarget && round > 1 { return true }
        }
    }

    /// Queues the marked objects of every arena page written since the last
    /// take (but for the `skippedCount` ranges of the tracker's
    /// `skippedRanges`), and protects those pages again. Returns the page
    /// count. If the backend fails, every page counts as written. The final
    /// pause's take (step 6) skips nothing; a re-marking round
    /// (`remarkWrittenPagesBesideProgram`) runs it without the lock.
    func rescanWrittenPages(_ marker: inout Marker, pageMap: PageMap, skippedCount: Int = 0) -> Int {
        if let pages = pointee.arenaWrites.forEachWrittenRun(pageMap: pageMap, skippedCount: skippedCount, { low, high in
            marker.rescanMarkedObjects(low: low, high: high)
        }) {
            return pages
        }
        marker.rescanMarkedObjects(low: pageMap.arenaStart.value, high: pageMap.arenaTop.value)
        return Int((pageMap.arenaTop - pageMap.arenaStart) / PageMap.pageSize)
    }

    /// Step 4, in `cycle` with the world stopped by the background
    /// collector: takes the cycle's marker, marks from every root again and
    /// from the last written pages. Draining is the caller's `markHeap`.
    func finishConcurrentMarking(_ cycle: inout CollectionCycle) {
        waitForConcurrentMarker()
        cycle.adoptConcurrentMarker(pointee.concurrent.marker.take()!)
        cycle.markRoots()
        let pages = rescanWrittenPages(&cycle.marker, pageMap: pointee.heap.pageMap)
        pointee.concurrent.remarkedPages &+= UInt64(pages)
        pointee.heap.allocatesMarked = false
        pointee.concurrent.phase = .idle
        pointee.concurrent.generation &+= 1
        pointee.concurrent.cycles &+= 1
        let allocated = pointee.heap.bytesAllocatedSinceCollection
        pointee.concurrent.bytesAllocatedDuringLastCycle =
            allocated &- min(allocated, pointee.concurrent.bytesAllocatedAtStart)
        pointee.concurrent.bornMarkedBytesOfLastCycle =
            allocated &- min(allocated, pointee.concurrent.bytesAllocatedAtStartPause)
    }

    /// Drops the cycle in progress for a stop-the-world collection that
    /// starts afresh (Collection.swift, `runCycle`): its marks are cleared,
    /// those of the objects allocated during it too, so the new marking
    /// decides what lives. The caller holds the lock with the world stopped.
    func abandonConcurrentCycle() {
        waitForConcurrentMarker()
        pointee.concurrent.marker?.residency.close()
        pointee.concurrent.marker = nil
        pointee.kinds.isMarking = false
        pointee.heap.clearMarks()
        pointee.heap.allocatesMarked = false
        pointee.concurrent.phase = .idle
        pointee.concurrent.generation &+= 1
        pointee.concurrent.abandonedCycles &+= 1
    }

    /// The background collector's final pause (step 4), then the rest of
    /// the collection, which ends with a sweep phase.
    func collectFinishingConcurrentCycle() {
        var cycle = CollectionCycle(backgroundOf: self)
        cycle.stopWorld()
        finishConcurrentMarking(&cycle)
        cycle.markHeap()
        completeCycle(&cycle, sweepsLazily: true)
        reportCollectionEnd()
    }

    /// In a forked child, a cycle the parent had open is abandoned: its
    /// marks are dropped (objects allocated marked are live regardless) and
    /// the child's first collection starts afresh.
    func abandonConcurrentCycleAfterFork() {
        // The child's mapping lost its registration: track again (the next
        // take reports every page), or stop the world from now on.
        if pointee.arenaWrites.pages.reinitializeAfterFork() == .mustCollectStopTheWorld {
            pointee.concurrent.isAvailable = false
        }
        pointee.heap.unprotectionDescriptor = pointee.arenaWrites.pages.unprotectionDescriptor
        pointee.heap.protectionEpoch &+= 1
        // The parent's background collector is not the child's.
        pointee.concurrent.backgroundProcess = 0
        // The background collector did not come with the fork: a marker it
        // had out is lost with its thread.
        pointee.concurrent.markerIsOut = 0
        pointee.concurrent.markerIsWanted = 0
        guard pointee.concurrent.phase != .idle else { return }
        if pointee.concurrent.phase == .marking {
            pointee.concurrent.marker = nil
            pointee.kinds.isMarking = false
            pointee.heap.clearMarks()
        }
        pointee.heap.allocatesMarked = false
        pointee.concurrent.phase = .idle
        pointee.concurrent.generation &+= 1
    }
}
