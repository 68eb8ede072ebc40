import _CSwiftGC

/// One collection in progress: what its phases share, and the phases
/// themselves. `collect` (Collection.swift) runs them in order; each is a
/// step a later, mostly concurrent cycle can run at another time or on
/// another thread, so each says what it needs from the phases before it.
///
/// Today every phase runs with the world stopped and the heap lock held:
///
///     stopWorld → markRoots → markHeap → (afterMarking hook)
///       → finalizeAndClearWeakLinks → finishMarking → pinCachedSlots
///       → verifyMarking → (beforeSweep hook) → sweep → verifyHeap
///       → restartWorld → account
struct CollectionCycle {
    let state: UnsafeMutablePointer<CollectorState>
    let startTime: UInt64
    /// The roots of this cycle, for marking and for the verifier (and, with
    /// one arena left out, for gc_arena_check: UserArenaCheck.swift).
    var roots: RootEnumeration
    var marker: Marker
    /// The stop epoch, which restarts the threads.
    var epoch: UInt64 = 0
    /// False when /proc/self/maps could not be read: some roots are unknown,
    /// so nothing may be finalized or freed. Set by `markRoots`.
    var hasAllRoots = false
    /// Bytes of the slots caches reserved, which the sweep counts as live.
    var pinnedBytes: UInt = 0
    var swept = SweepResult()
    /// For the trace (CollectionTrace): the committed heap when the cycle
    /// began, the threads that marked, and whether this cycle finishes a
    /// concurrent one.
    let heapBeforeBytes: UInt64
    var markers: UInt64 = 1
    var finishesConcurrentCycle = false

    /// Registers the collecting thread (it must not be stopped) and prepares
    /// a marker. `stackLow` is the collecting thread's stack bound, above the
    /// frames the collection runs in.
    init(_ state: UnsafeMutablePointer<CollectorState>, stackLow: UInt, stackHigh: UInt) {
        let current = state.pointee.threads.registerCurrentThread(heap: &state.pointee.heap)
        self.init(state, collectingThread: current, stackLow: stackLow, stackHigh: stackHigh)
    }

    /// A cycle run by the background collector (BackgroundCollector.swift),
    /// which is not registered: every registered thread is stopped and
    /// scanned as another thread, and no stack of its own is a root.
    init(backgroundOf state: UnsafeMutablePointer<CollectorState>) {
        self.init(state, collectingThread: nil, stackLow: 0, stackHigh: 0)
    }

    private init(_ state: UnsafeMutablePointer<CollectorState>, collectingThread current: UnsafeMutablePointer<ThreadRecord>?,
                 stackLow: UInt, stackHigh: UInt) {
        self.state = state
        startTime = OS.monotonicNanoseconds()
        heapBeforeBytes = UInt64(state.pointee.heap.pages.committedBytes)
        var roots = RootEnumeration(state: state, collectingThread: current, stackLow: stackLow, stackHigh: stackHigh)
        roots.anonymousMappingsAreRoots = state.pointee.policy.anonymousMappingsAreRoots
        roots.pointerFreeMapping = state.pointee.policy.pointerFreeMapping
        self.roots = roots
        // The pages a concurrent cycle left to return are in use again.
        state.pointee.markStack.pendingReleaseBytes = 0
        marker = Marker(pageMap: state.pointee.heap.pageMap, stack: state.pointee.markStack)
        marker.residency = PageResidency.open(buffer: state.pointee.pagemapBuffer)
    }

    var verifies: Bool { hasAllRoots && state.pointee.options.isEnabled(.verify) }

    // MARK: Phases

    /// Stops every other registered thread (StopTheWorld).
    mutating func stopWorld() {
        epoch = state.pointee.threads.stopOtherThreads(except: roots.collectingThread)
    }

    /// Marks from every root `RootEnumeration` lists: an uncollectable
    /// object is marked itself; a range is scanned and drained at once, so
    /// the mark stack stays short. Opens the parallel marking session, if
    /// this cycle has one, first.
    mutating func markRoots() {
        state.pointee.kinds.isMarking = true
        if !marker.defersTracing { state.openParallelMarking(&marker) }
        if let pool = marker.pool { markers = 1 &+ UInt64(pool.runningHelpers) }
        let roots = self.roots
        let result = withUnsafeMutablePointer(to: &marker) { markerPointer in
            roots.forEachRoot(context: UnsafeMutableRawPointer(markerPointer)) { low, high, source, context in
                let marker = context.unsafelyUnwrapped.assumingMemoryBound(to: Marker.self)
                if source == RootSource.uncollectableObject.rawValue {
                    marker.pointee.markCandidate(Address(low)) // drained with the ranges that follow
                } else {
                    marker.pointee.scan(low: low, high: high)
                    marker.pointee.drain()
                }
            }
        }
        state.pointee.statistics.rootBytes = result.mappingBytes
        hasAllRoots = result.hasAllRoots
    }

    /// A concurrent cycle's start pause: marks what the roots point to
    /// and leaves the tracing on the mark stack (no parallel session).
    mutating func markRootsDeferringTracing() {
        marker.defersTracing = true
        markRoots()
        marker.defersTracing = false
    }

    /// Takes over the marker a concurrent cycle kept between its pauses
    /// (with its mark stack and page residency reader).
    mutating func adoptConcurrentMarker(_ concurrentMarker: Marker) {
        marker.residency.close()
        marker = concurrentMarker
        marker.pageMap = state.pointee.heap.pageMap
        finishesConcurrentCycle = true
    }

    /// Marks everything the marked objects reach. The world is stopped, so
    /// `markRoots` has drained already and this finds nothing left; a
    /// concurrent cycle does its main work here instead.
    mutating func markHeap() {
        marker.drain()
    }

    /// Ends the parallel marking session (the helpers go back to sleep); a
    /// policy's `afterMarking` hook may call it before marking alone.
    mutating func endParallelMarking() {
        state.closeParallelMarking(&marker)
    }

    /// Finalization and weak links (Collection+Finalization.swift): marks
    /// what finalizers keep alive, queues the unreachable finalizable
    /// objects, clears links to unmarked targets. Only with every root known.
    mutating func finalizeAndClearWeakLinks() {
        if hasAllRoots { state.finalizeAndClearWeakLinks(&marker) }
    }

    /// No mark bit is set after this but by pinning and the policy's
    /// `beforeSweep`: ends the parallel session and gives back the pages
    /// the mark stack touched, or, in a concurrent cycle's final pause,
    /// leaves them for the background collector to give back after it
    /// (`MarkStack.releaseSlice`).
    mutating func finishMarking(defersStackRelease: Bool = false) {
        endParallelMarking()
        state.pointee.kinds.isMarking = false
        state.pointee.markStack = marker.stack
        if defersStackRelease {
            state.pointee.markStack.deferRelease()
        } else {
            state.pointee.markStack.release()
        }
        marker.residency.close()
    }

    /// Marks the slots caches have reserved, so the sweep keeps them
    /// (`Heap.pinCachedSlots`).
    mutating func pinCachedSlots() {
        pinnedBytes = state.pointee.heap.pinCachedSlots()
    }

    /// SWIFTGC_VERIFY: marking is closed over the same roots.
    func verifyMarking() {
        if verifies { HeapVerifier(state).checkMarkingIsClosed(roots) }
    }

    /// Mark bits become live bits; empty spans are freed.
    mutating func sweep() {
        swept = state.pointee.heap.sweep()
    }

    /// A concurrent cycle's end of the final pause instead of `sweep`,
    /// `verifyHeap` and `account`: a sweep phase begins (LazySweeping), the
    /// world restarts, and the pause is recorded; the sweep's totals are
    /// recorded when it ends.
    mutating func beginLazySweepAndRestart() {
        state.pointee.lazySweepPinnedBytes = pinnedBytes
        state.pointee.heap.beginSweeping()
        restartWorld()
        let allocated = state.pointee.heap.bytesAllocatedSinceCollection
        state.pointee.heap.bytesAllocatedSinceCollection = 0
        let pause = OS.monotonicNanoseconds() &- startTime
        state.pointee.statistics.recordPause(pause, markStackOverflows: marker.overflowCount)
        state.pointee.statistics.recordStartPause(state.pointee.concurrent.startPauseNanoseconds)
        state.traceFinalPause(self, pauseNanoseconds: pause, allocatedBytes: allocated)
        state.chargeFinalizationToNextCycle()
        state.pointee.finalization.shrinkSparseTables()
    }

    /// SWIFTGC_VERIFY: the heap's structure after the sweep.
    func verifyHeap() {
        if verifies { HeapVerifier(state).checkHeap(sweptLiveBytes: swept.liveBytes) }
    }

    /// Lets the stopped threads run again.
    func restartWorld() {
        state.pointee.threads.restartOtherThreads(except: roots.collectingThread, epoch: epoch)
    }

    /// Returns the memory of long-free spans to the OS, records the cycle
    /// in the statistics and starts the next cycle's allocation count.
    mutating func account() {
        swept.liveBytes -= min(swept.liveBytes, pinnedBytes)
        state.pointee.heap.pages.ageAndDecommitFreeSpans()
        let allocated = state.pointee.heap.bytesAllocatedSinceCollection
        state.pointee.heap.bytesAllocatedSinceCollection = 0
        let pause = OS.monotonicNanoseconds() &- startTime
        state.pointee.statistics.recordCollection(liveBytes: swept.liveBytes, reclaimedBytes: swept.reclaimedBytes,
                                                  pauseNanoseconds: pause, markStackOverflows: marker.overflowCount)
        state.traceCollection(self, pauseNanoseconds: pause, allocatedBytes: allocated)
        state.chargeFinalizationToNextCycle()
        state.pointee.finalization.shrinkSparseTables()
    }

    // MARK: Ends that free nothing

    /// The policy has used the marks (`afterMarking` returned false):
    /// clears them and restarts the world. Nothing is finalized or freed.
    mutating func endWithoutSweeping() {
        finishMarking()
        state.pointee.heap.clearMarks()
        restartWorld()
    }

    /// Some roots are unknown: sweeping could free live objects, so this
    /// cycle frees nothing. The marks are cleared and the world restarted.
    func abandon() {
        state.pointee.heap.clearMarks()
        restartWorld()
        state.pointee.heap.bytesAllocatedSinceCollection = 0
        reportRepeatedLine(occurrences: &state.pointee.warnings.unknownRoots) {
            $0.append("cannot read /proc/self/maps (out of file descriptors?); this collection frees nothing")
        }
    }
}
