import _CSwiftGC

/// One full stop-the-world collection: the order of its phases
/// (CollectionCycle.swift) and where the policy's hooks are called
/// (CollectionPolicy.swift). When to collect is decided in Pacing.swift.
extension UnsafeMutablePointer where Pointee == CollectorState {
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
        guard swiftgc_collection_may_start(pageMap.arenaStart.value, pageMap.arenaTop.value) != 0 else { return }
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
