import _CSwiftGC

/// Everything the collector knows, in one struct mapped at start-up in the
/// region's metadata: the state root. The pointer to it is a global
/// (CollectorGlobals.swift) that points into metadata, so scanning our own
/// data segment can retain nothing.
struct CollectorState {
    var lock = HeapLock()
    var options: Options
    var region: Region
    var heap: Heap
    var roots: RootSet
    /// The visitor of the root enumeration in progress while the program's
    /// push-other-roots callback runs (RootEnumeration); nil otherwise.
    var pushedRootVisitor: PushedRootVisitor? = nil
    var threads = ThreadRegistry()
    var markStack: MarkStack
    var statistics = Statistics()
    /// Finalizers, weak links and the queue of finalizers ready to run.
    var finalization = Finalization()
    /// gc_disable calls not yet matched by gc_enable.
    var disableCount = 0
    /// How the front end changes collections; set before the state is
    /// published, read without the lock afterwards.
    var policy = CollectionPolicy.collecting
    /// Scratch space for reading /proc/self/maps.
    var mapsBuffer: UnsafeMutablePointer<UInt8>
    var mapsBufferCapacity: Int
    /// Scratch space for reading /proc/self/pagemap (PageResidency).
    var pagemapBuffer: UnsafeMutablePointer<UInt64>
    /// Parallel marking's shared state (nil if metadata ran out).
    var markingPool: UnsafeMutablePointer<MarkingPool>?
    /// Heap limit in bytes (UInt.max when unlimited).
    var heapLimit: UInt
    /// Slow-path allocations since the last stress collection (SWIFTGC_STRESS).
    var allocationsSinceStressCollection: UInt64 = 0
    /// bdwgc object kinds and mark procedures (GC_new_kind, GC_new_proc).
    var kinds = ObjectKinds()
    /// The mostly-concurrent cycle, if one runs, and the pacer's memory of the last.
    var concurrent = ConcurrentCycle()
    /// Which arena pages the program wrote, for concurrent cycles.
    var arenaWrites = ArenaWriteTracker()
    /// Bytes of cache-reserved slots the last final pause pinned, taken off
    /// the live bytes when its lazy sweep ends.
    var lazySweepPinnedBytes: UInt = 0
    /// SWIFTGC_TRACE and SWIFTGC_TRACE_FILE (Tracing/CollectionTrace.swift).
    var trace = CollectionTrace()
    /// Warnings that can recur, counted for `reportRepeatedLine`.
    var warnings = RepeatedWarnings()
}

/// How often each recurring warning of the engine and the gc_* front end
/// occurred. Written under the heap lock.
struct RepeatedWarnings {
    var finalizationCycles: UInt64 = 0
    var finalizerTableFull: UInt64 = 0
    var unknownRoots: UInt64 = 0
    var unmatchedEnable: UInt64 = 0
}

extension CollectorState {
    static let mapsBufferCapacity = 64 * 1024

    /// The state, set up on first use. Nil only if the address space could
    /// not be reserved, in which case every allocation fails with ENOMEM.
    @inline(__always) static func shared() -> UnsafeMutablePointer<CollectorState>? {
        if let state = collectorState { return state }
        return initialize()
    }

    private static func initialize() -> UnsafeMutablePointer<CollectorState>? {
        let initializationLock = UnsafeMutableRawPointer(swiftgc_initialization_lock_word())
            .assumingMemoryBound(to: HeapLock.self)
        initializationLock.lock()
        defer { initializationLock.unlock() }
        if let state = collectorState { return state }

        let options = Options.fromEnvironment()
        guard let region = Region.reserve(arenaBytes: UInt(min(options[.reserve], 1 << 46))) else {
            // Every call retries (the mappings may come back); say why once.
            if !hasReportedReservationFailure {
                hasReportedReservationFailure = true
                reportLine { $0.append("cannot reserve address space for the heap; allocations fail until it can be") }
            }
            return nil
        }
        var metadata = Metadata(start: region.metadataStart, bytes: region.metadataBytes)
        let stateMemory = metadata.allocate(bytes: UInt(MemoryLayout<CollectorState>.stride))!
        let freeLists = metadata.allocate(bytes: UInt(PageAllocator.exactListCount + 1) * 8)!
            .bindMemory(to: UnsafeMutablePointer<Span>?.self, capacity: PageAllocator.exactListCount + 1)
        let available = metadata.allocate(bytes: UInt(ThreadCache.entryCount) * 8)!
            .bindMemory(to: UnsafeMutablePointer<Span>?.self, capacity: ThreadCache.entryCount)
        let rootRanges = metadata.allocate(bytes: UInt(RootSet.capacity * MemoryLayout<RootSet.AddedRange>.stride))!
            .bindMemory(to: RootSet.AddedRange.self, capacity: RootSet.capacity)
        let mapsBuffer = metadata.allocate(bytes: UInt(mapsBufferCapacity))!
            .bindMemory(to: UInt8.self, capacity: mapsBufferCapacity)
        let pagemapBuffer = metadata.allocate(bytes: UInt(PageResidency.bufferBytes))!
            .bindMemory(to: UInt64.self, capacity: Int(PageResidency.windowPages))

        let pageMap = PageMap(entries: region.pageMapStart.pointer!.bindMemory(to: UnsafeMutablePointer<Span>?.self,
                                                                             capacity: 1),
                              arenaStart: region.arenaStart, arenaTop: region.arenaStart,
                              arenaEnd: region.arenaStart + region.arenaBytes)
        // The end of the mark stack area holds the helpers' stacks.
        var markStackCapacity = Int(region.markStackBytes - MarkingPool.helperStacksBytes)
            / MemoryLayout<MarkStack.Entry>.stride
        if options[.markStackLimit] > 0 {
            markStackCapacity = min(markStackCapacity, max(4, Int(clamping: options[.markStackLimit])))
        }
        let markStack = MarkStack(entries: region.markStackStart.pointer!.bindMemory(to: MarkStack.Entry.self,
                                                                                    capacity: markStackCapacity),
                                  capacity: markStackCapacity)
        let markingPool = UnsafeMutablePointer<MarkingPool>.make(metadata: &metadata, region: region, pageMap: pageMap,
                                                                 markStackLimit: options[.markStackLimit])
        let maxHeap = options[.maxHeap]
        var heap = Heap(pages: PageAllocator(pageMap: pageMap, freeLists: freeLists),
                        metadata: metadata, availableSpans: available)
        heap.claimsOneSlotAtATime = options[.stress] > 0
        let state = stateMemory.bindMemory(to: CollectorState.self, capacity: 1)
        state.initialize(to: CollectorState(
            options: options, region: region, heap: heap, roots: RootSet(ranges: rootRanges),
            markStack: markStack, mapsBuffer: mapsBuffer, mapsBufferCapacity: mapsBufferCapacity,
            pagemapBuffer: pagemapBuffer, markingPool: markingPool,
            heapLimit: maxHeap == 0 ? UInt.max : UInt(maxHeap)))
        state.setUpTrace()
        if options.isEnabled(.stats) { OS.atExit(printStatisticsAtExit) }
        if !OS.installStopSignals(suspend: Int32(options[.suspendSignal]), restart: Int32(options[.restartSignal])) {
            reportLine { $0.append("cannot install the suspend and restart signal handlers; check SWIFTGC_SUSPEND_SIGNAL and SWIFTGC_RESTART_SIGNAL") }
        }
        OS.createThreadExitKey(exitingThreadKeyDestructor)
        OS.atFork(prepare: lockBeforeFork, parent: unlockInParentAfterFork, child: resetInChildAfterFork)
        // The library's front end installs its policy (the preload modes),
        // before any other thread can see the state.
        swiftgc_configure_front_end(UnsafeMutableRawPointer(state))
        if state.pointee.policy.allowsConcurrentMarking {
            switch options.concurrency {
            case .on:
                _ = state.enableConcurrentMarking()
            case .automatic:
                // Probed when the live heap first reaches the threshold
                // (Pacing.concurrentCyclesAreWanted).
                state.pointee.concurrent.liveHeapThreshold = UInt(options[.concurrentHeap])
            case .off:
                break
            }
        }
        userArenaRecordRange = (region.metadataStart.value, region.metadataBytes)
        collectorState = state
        return state
    }
}

/// Key destructor for threads registered automatically or by hand.
private func exitingThreadKeyDestructor(_ record: UnsafeMutableRawPointer?) {
    collectorState?.unregisterExitingThread()
}

private func lockBeforeFork() { collectorState?.lock() }
private func unlockInParentAfterFork() { collectorState?.unlock() }

/// In the child only the forking thread exists: forget the others, then
/// release the lock it held across fork.
private func resetInChildAfterFork() {
    guard let state = collectorState else { return }
    state.pointee.threads.forgetOtherThreads()
    state.abandonConcurrentCycleAfterFork()
    state.reopenTraceFileAfterFork()
    state.unlock()
}

private func printStatisticsAtExit() {
    guard let state = collectorState else { return }
    state.lock()
    state.pointee.statistics.printSummary(state)
    state.unlock()
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    /// `lock` is the first stored property, so it sits at the state's address.
    @inline(__always) var lockPointer: UnsafeMutablePointer<HeapLock> {
        UnsafeMutableRawPointer(self).assumingMemoryBound(to: HeapLock.self)
    }
    func lock() { lockPointer.lock() }
    func unlock() { lockPointer.unlock() }
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    /// The calling thread is exiting, or asked to be unregistered: the
    /// policy's `threadWillExit` hook runs, then the thread's cache gives
    /// back the slots it reserved (keeping explicitly freed ones findable)
    /// and the thread leaves the registry. Called without the lock.
    func unregisterExitingThread() {
        guard swiftgc_thread_record() != nil else { return }
        if let cache = UnsafeMutablePointer<ThreadCache>.current {
            pointee.policy.threadWillExit(UnsafeMutableRawPointer(self), UnsafeMutableRawPointer(cache))
        }
        lock()
        if let cache = UnsafeMutablePointer<ThreadCache>.current {
            for index in 0..<ThreadCache.entryCount {
                pointee.heap.flushKeepingFreeSlots(cache.pointee.entriesStorage + index)
            }
        }
        pointee.threads.unregisterCurrentThread()
        unlock()
    }
}
