import _CSwiftGC

/// Mostly-concurrent collection (Boehm, Demers and Shenker, PLDI 1991):
/// the heap is marked while the program runs, and only two short pauses
/// stop the world.
///
///  1. Start (pause): the kernel's written-page record for the arena is
///     cleared, allocation starts to hand out marked objects, and the
///     roots are scanned onto the mark stack (not traced).
///  2. Concurrent marking: the background collector drains the mark stack
///     in slices of `sliceEntries` scans, each under the heap lock, while
///     the program runs. Allocating threads that outrun it help, a slice
///     per slow-path allocation (an assist).
///  3. Re-marking: up to `maximumRemarkRounds` times, the arena pages
///     written since the last look are taken from the kernel (and
///     protected again in the same step), their marked objects are queued
///     again and drained concurrently. It stops early once a round finds
///     at most `finalPauseDirtyPageTarget` pages.
///  4. Finish (pause): every root is scanned again, the last written pages
///     are re-marked, marking is completed (in parallel), then weak links,
///     finalizers and the verifier run as in a stop-the-world collection
///     (`completeCycle` in Collection.swift), and a lazy sweep phase
///     begins instead of the sweep (LazySweeping.swift).
///
/// Why nothing live is freed: a reachable object is unmarked at the end
/// only if the last pointer to it was stored, after tracking began, into
/// a root or into an object already scanned. Roots are rescanned whole in
/// the final pause; a store into an object marks its page written, and
/// every marked object on a written page is scanned again after the page
/// was reported (step 3, or step 4 with the world stopped). Objects
/// allocated during the cycle are marked from birth, and their contents
/// are covered the same way, through the pages their initialisation wrote.
///
/// Shared state: everything here is read and written under the heap lock,
/// except `wakeWord`, which the background collector sleeps on, and
/// `backgroundProcess`, claimed with a compare-and-exchange by the thread
/// that starts the background collector. `isAvailable` is also read
/// without the lock as a hint (it only ever goes from true to false).
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
    /// start-up under SWIFTGC_CONCURRENT=1, or by gc_enable_concurrent).
    var hasProbedBackend = false
    /// The process that runs the background collector (0: none): a forked
    /// child starts its own.
    var backgroundProcess: UInt64 = 0
    var backgroundStack: UnsafeMutableRawPointer? = nil
    /// Bytes allocated between the trigger and the end of the last cycle,
    /// for the pacer.
    var bytesAllocatedDuringLastCycle: UInt = 0
    var bytesAllocatedAtStart: UInt = 0
    var startPauseNanoseconds: UInt64 = 0
    // Statistics.
    var cycles: UInt64 = 0
    var assists: UInt64 = 0
    var remarkedPages: UInt64 = 0
    var synchronousFinishes: UInt64 = 0
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    var isConcurrentCycleActive: Bool { pointee.concurrent.phase == .marking }

    /// Asks the background collector to start a cycle. The caller holds
    /// the heap lock.
    func requestConcurrentCycle() {
        guard pointee.concurrent.phase == .idle else { return }
        // bdwgc kinds and mark procedures of the program's were not written
        // to run beside it (as with parallel marking).
        let pageMap = pointee.heap.pageMap
        guard pointee.kinds.kindCount == ObjectKinds.predefinedCount, pointee.kinds.procedureCount == 0,
              swiftgc_collection_may_start(pageMap.arenaStart.value, pageMap.arenaTop.value) != 0 else {
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
        pointee.concurrent.assists &+= 1
        pointee.concurrent.marker!.pageMap = pointee.heap.pageMap
        _ = pointee.concurrent.marker!.drain(entryBudget: ConcurrentCycle.sliceEntries)
    }

    /// Step 1. The caller holds the lock; the world runs on return.
    func startConcurrentCycle() {
        finishSweeping()
        var cycle = CollectionCycle(backgroundOf: self)
        cycle.stopWorld()
        pointee.concurrent.generation &+= 1
        guard pointee.arenaWrites.restart(pageMap: pointee.heap.pageMap, metadata: &pointee.heap.metadata) else {
            // The backend failed: the next collection stops the world.
            pointee.concurrent.phase = .idle
            pointee.concurrent.isAvailable = false
            cycle.marker.residency.close()
            cycle.restartWorld()
            return
        }
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
        while true {
            // Drain in slices, letting the program's slow paths in between.
            while true {
                pointee.concurrent.marker!.pageMap = pointee.heap.pageMap
                if pointee.concurrent.marker!.drain(entryBudget: ConcurrentCycle.sliceEntries) { break }
                lockPointer.yieldToSleepers()
                if pointee.concurrent.generation != generation { return false }
            }
            if round == ConcurrentCycle.maximumRemarkRounds { return true }
            round &+= 1
            pointee.concurrent.marker!.pageMap = pointee.heap.pageMap
            let pages = withUnsafeMutablePointer(to: &pointee.concurrent.marker!) { remarkWrittenPages($0) }
            if pages <= ConcurrentCycle.finalPauseDirtyPageTarget && round > 1 { return true }
        }
    }

    /// Queues the marked objects of every arena page written since the last
    /// take, and protects those pages again. Returns the page count. If the
    /// backend fails, every page counts as written.
    @discardableResult
    func remarkWrittenPages(_ marker: UnsafeMutablePointer<Marker>) -> Int {
        let pageMap = pointee.heap.pageMap
        var pages = pointee.arenaWrites.forEachWrittenRun(pageMap: pageMap) { low, high in
            marker.pointee.rescanMarkedObjects(low: low, high: high)
        }
        if pages == nil {
            marker.pointee.rescanMarkedObjects(low: pageMap.arenaStart.value, high: pageMap.arenaTop.value)
            pages = Int((pageMap.arenaTop - pageMap.arenaStart) / PageMap.pageSize)
        }
        pointee.concurrent.remarkedPages &+= UInt64(pages!)
        return pages!
    }

    /// Step 4, in `cycle` with the world stopped (by the background
    /// collector, or by a thread that finishes the cycle itself): takes the
    /// cycle's marker, marks from every root again and from the last
    /// written pages. Draining is the caller's `markHeap`.
    func finishConcurrentMarking(_ cycle: inout CollectionCycle) {
        cycle.adoptConcurrentMarker(pointee.concurrent.marker.take()!)
        cycle.markRoots()
        withUnsafeMutablePointer(to: &cycle.marker) { _ = remarkWrittenPages($0) }
        pointee.heap.allocatesMarked = false
        pointee.concurrent.phase = .idle
        pointee.concurrent.generation &+= 1
        pointee.concurrent.cycles &+= 1
        let allocated = pointee.heap.bytesAllocatedSinceCollection
        pointee.concurrent.bytesAllocatedDuringLastCycle =
            allocated &- min(allocated, pointee.concurrent.bytesAllocatedAtStart)
    }

    /// The background collector's final pause (step 4), then the rest of
    /// the collection, which ends with a sweep phase.
    func collectFinishingConcurrentCycle() {
        var cycle = CollectionCycle(backgroundOf: self)
        cycle.stopWorld()
        finishConcurrentMarking(&cycle)
        cycle.markHeap()
        completeCycle(&cycle, sweepsLazily: true)
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
