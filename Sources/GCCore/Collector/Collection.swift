import _CSwiftGC

/// One full stop-the-world collection, and the pacing that decides when to
/// run one.
///
///  1. Stop every other registered thread (StopTheWorld).
///  2. Mark from the roots: uncollectable objects, gc_add_roots ranges, data
///     segments from /proc/self/maps (minus our own region), then the
///     current thread's registers and stack above the collector's frames,
///     then every stopped thread's stack and saved registers.
///  3. Pin the slots thread caches hold, sweep the bitmaps, free empty
///     spans, rebuild the available lists.
///  4. Restart the threads; return memory of long-free spans to the OS;
///     update statistics.
extension UnsafeMutablePointer where Pointee == CollectorState {
    /// Whether allocating `upcomingBytes` more should first collect.
    @inline(__always) func shouldCollect(beforeAllocating upcomingBytes: UInt) -> Bool {
        guard pointee.disableCount == 0 && pointee.collectsAsHeapGrows else { return false }
        let allocated = pointee.heap.bytesAllocatedSinceCollection + upcomingBytes
        return allocated >= collectionBudget
    }

    /// Bytes that may be allocated between collections: the live heap times
    /// SWIFTGC_HEAP_GROWTH percent, and at least SWIFTGC_INITIAL_HEAP.
    var collectionBudget: UInt {
        let growth = UInt(pointee.options[.heapGrowth])
        var proportional = pointee.statistics.bytesInUse / 100 * growth
        let divisor = UInt(swiftgc_boehm_free_space_divisor()) // bdwgc's GC_free_space_divisor, if set
        if divisor > 0 { proportional = pointee.statistics.bytesInUse / divisor }
        return max(UInt(pointee.options[.initialHeap]), proportional)
    }

    /// Collects. The caller holds the heap lock.
    ///
    /// Registers and the stack bound are captured first, and the collection
    /// runs in frames below that bound. Its own locals (the marker, region
    /// bounds, span pointers) are therefore never scanned as roots; a
    /// collector that scanned itself would retain the object at the arena
    /// start on every cycle.
    func collect() {
        #if SWIFTGC_PRELOAD
        if MallocFamily.replacesCollection(self) { return }
        #endif
        let pageMap = pointee.heap.pageMap
        guard swiftgc_boehm_collection_may_start(pageMap.arenaStart.value, pageMap.arenaTop.value) != 0 else { return }
        Stacks.visitCurrentThread(context: UnsafeMutableRawPointer(self)) { low, high, context in
            let state = context.unsafelyUnwrapped.assumingMemoryBound(to: CollectorState.self)
            state.collect(stackLow: UInt(bitPattern: low), stackHigh: UInt(bitPattern: high))
        }
    }

    private func collect(stackLow: UInt, stackHigh: UInt) {
        let startTime = OS.monotonicNanoseconds()
        let current = ThreadLifecycle.registerCurrentThread(self)
        let epoch = pointee.threads.stopOtherThreads(except: current)

        var marker = Marker(pageMap: pointee.heap.pageMap, stack: pointee.markStack)
        marker.residency = PageResidency.open(buffer: pointee.pagemapBuffer)
        defer { marker.residency.close() }
        pointee.kinds.isMarking = true
        markUncollectableObjects(&marker)
        openParallelMarking(&marker)
        for index in 0..<pointee.roots.count {
            let range = pointee.roots.ranges[index]
            // A registered range may have been unmapped or protected since.
            let unreadableBytes = ReadableMemory.forEachReadableRun(low: range.low.value, high: range.high.value) {
                marker.scan(low: $0, high: $1)
            }
            pointee.roots.noteUnreadableBytes(unreadableBytes, inRangeAt: index)
            marker.drain()
        }
        let region = pointee.region
        var anonymousMappingsBelow: Address? = nil
        #if SWIFTGC_PRELOAD
        anonymousMappingsBelow = Address(stackLow)
        #endif
        var rootBytes: UInt = 0
        let foundDataSegments = DataSegments.forEach(buffer: pointee.mapsBuffer,
                                                     capacity: pointee.mapsBufferCapacity,
                                                     anonymousMappingsBelow: anonymousMappingsBelow) { low, high in
            rootBytes &+= Self.scanExcluding(region, pointee.threads, except: current, low: low, high: high, &marker)
        }
        pointee.statistics.rootBytes = rootBytes
        marker.scan(low: stackLow, high: stackHigh)
        marker.drain()
        markThreads(&marker, except: current)
        markOtherRoots(&marker)
        #if SWIFTGC_PRELOAD
        if preloadMode == .leakCheck {
            // A leak report: classify, sweep nothing.
            closeParallelMarking(&marker)
            LeakCheck.classify(self, &marker, hasAllRoots: foundDataSegments)
            pointee.kinds.isMarking = false
            pointee.threads.restartOtherThreads(except: current, epoch: epoch)
            return
        }
        #endif
        if foundDataSegments { finalizeAndClearWeakLinks(&marker) }
        closeParallelMarking(&marker)
        pointee.kinds.isMarking = false
        pointee.markStack = marker.stack
        pointee.markStack.release()

        let pinnedBytes = pointee.heap.pinCachedSlots()
        let verifies = foundDataSegments && pointee.options.isEnabled(.verify)
        if verifies { HeapVerifier(self).checkMarkingIsClosed(stackLow: stackLow, stackHigh: stackHigh, except: current) }
        guard foundDataSegments else {
            // Without the data segments some roots are unknown: sweeping now
            // could free live objects, so this collection frees nothing.
            pointee.heap.clearMarks()
            pointee.threads.restartOtherThreads(except: current, epoch: epoch)
            pointee.heap.bytesAllocatedSinceCollection = 0
            reportLine { $0.append("cannot read /proc/self/maps (out of file descriptors?); this collection frees nothing") }
            return
        }
        #if SWIFTGC_PRELOAD
        Quarantine.keepMarkedBlocks(self)
        #endif
        var swept = pointee.heap.sweep()
        if verifies { HeapVerifier(self).checkHeap(sweptLiveBytes: swept.liveBytes) }
        swept.liveBytes -= min(swept.liveBytes, pinnedBytes)
        pointee.threads.restartOtherThreads(except: current, epoch: epoch)
        pointee.heap.pages.ageAndDecommitFreeSpans()
        pointee.heap.bytesAllocatedSinceCollection = 0

        let pause = OS.monotonicNanoseconds() &- startTime
        pointee.statistics.recordCollection(liveBytes: swept.liveBytes, reclaimedBytes: swept.reclaimedBytes,
                                            pauseNanoseconds: pause, markStackOverflows: marker.overflowCount)
        chargeFinalizationToNextCycle()
    }

    /// Every range `ThreadRegistry.forEachRootRange` lists.
    private func markThreads(_ marker: inout Marker, except current: UnsafeMutablePointer<ThreadRecord>?) {
        withUnsafeMutablePointer(to: &marker) { markerPointer in
            pointee.threads.forEachRootRange(except: current, context: UnsafeMutableRawPointer(markerPointer)) {
                low, high, context in
                let marker = context.unsafelyUnwrapped.assumingMemoryBound(to: Marker.self)
                marker.pointee.scan(low: UInt(bitPattern: low), high: UInt(bitPattern: high))
                marker.pointee.drain()
            }
        }
    }

    private func markUncollectableObjects(_ marker: inout Marker) {
        pointee.heap.pageMap.forEachSpan { span in
            guard span.pointee.state != .free, span.pointee.kind == .uncollectable else { return }
            for index in 0..<span.pointee.objectCount where span.liveBits.isSet(index) {
                marker.markRoot(span: span, index: index)
            }
            marker.drain()
        }
    }

    /// Scans `[low, high)` but for the collector's region and the unused
    /// parts of other threads' stacks (the preload scans whole anonymous
    /// mappings, and thread stacks are such mappings: their dead frames
    /// would cost a scan of megabytes and retain stale pointers). Returns
    /// the bytes scanned.
    private static func scanExcluding(_ region: Region, _ threads: ThreadRegistry,
                                      except current: UnsafeMutablePointer<ThreadRecord>?,
                                      low: Address, high: Address, _ marker: inout Marker) -> UInt {
        var scannedBytes: UInt = 0
        var cursor = low.value
        while cursor < high.value {
            var skipped = threads.unusedStackPart(overlapping: cursor, high.value, except: current)
            if region.start.value < high.value && cursor < region.end.value
                && (skipped == nil || region.start.value < skipped!.low) {
                skipped = (region.start.value, region.end.value)
            }
            guard let (skipLow, skipHigh) = skipped else {
                marker.scan(low: cursor, high: high.value)
                scannedBytes &+= high.value &- cursor
                break
            }
            if cursor < skipLow {
                marker.scan(low: cursor, high: skipLow)
                scannedBytes &+= skipLow &- cursor
            }
            cursor = max(cursor, skipHigh)
        }
        marker.drain()
        return scannedBytes
    }
}
