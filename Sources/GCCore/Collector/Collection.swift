import _CSwiftGC

/// One full stop-the-world collection: the order of its phases
/// (CollectionCycle.swift) and where the policy's hooks are called
/// (CollectionPolicy.swift); and, for now, the pacing that decides when to
/// run one.
extension UnsafeMutablePointer where Pointee == CollectorState {
    /// Whether allocating `upcomingBytes` more should first collect.
    @inline(__always) func shouldCollect(beforeAllocating upcomingBytes: UInt) -> Bool {
        guard pointee.disableCount == 0 && pointee.policy.collectsAsHeapGrows else { return false }
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
        if pointee.policy.replacesCollection(UnsafeMutableRawPointer(self)) { return }
        let pageMap = pointee.heap.pageMap
        guard swiftgc_boehm_collection_may_start(pageMap.arenaStart.value, pageMap.arenaTop.value) != 0 else { return }
        Stacks.visitCurrentThread(context: UnsafeMutableRawPointer(self)) { low, high, context in
            let state = context.unsafelyUnwrapped.assumingMemoryBound(to: CollectorState.self)
            state.runCycle(stackLow: UInt(bitPattern: low), stackHigh: UInt(bitPattern: high))
        }
    }

    /// The phases, in order. Every one runs with the world stopped.
    private func runCycle(stackLow: UInt, stackHigh: UInt) {
        var cycle = CollectionCycle(self, stackLow: stackLow, stackHigh: stackHigh)
        cycle.stopWorld()
        cycle.markRoots()
        cycle.markHeap()
        let keepsMarks = withUnsafeMutablePointer(to: &cycle) { pointee.policy.afterMarking(UnsafeMutableRawPointer($0)) }
        guard keepsMarks else { return cycle.endWithoutSweeping() }
        cycle.finalizeAndClearWeakLinks()
        cycle.finishMarking()
        cycle.pinCachedSlots()
        cycle.verifyMarking()
        guard cycle.hasAllRoots else { return cycle.abandon() }
        pointee.policy.beforeSweep(UnsafeMutableRawPointer(self))
        cycle.sweep()
        cycle.verifyHeap()
        cycle.restartWorld()
        cycle.account()
    }
}
