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

    /// The phases, in order. Every one runs with the world stopped. A
    /// concurrent cycle in progress (ConcurrentCycle) is abandoned: this
    /// collection is asked for by the program (gc_collect) or by a heap
    /// that outgrew twice its budget, and finishing the cycle would keep
    /// everything allocated during it, born marked. A sweep phase in
    /// progress is completed first.
    private func runCycle(stackLow: UInt, stackHigh: UInt) {
        finishSweeping()
        if pointee.concurrent.phase == .requested { pointee.concurrent.phase = .idle }
        var cycle = CollectionCycle(self, stackLow: stackLow, stackHigh: stackHigh)
        cycle.stopWorld()
        if isConcurrentCycleActive { abandonConcurrentCycle() }
        pointee.concurrent.bornMarkedBytesOfLastCycle = 0
        cycle.markRoots()
        cycle.markHeap()
        completeCycle(&cycle, sweepsLazily: false)
    }

    /// The phases after marking, shared by stop-the-world collections and
    /// the final pause of concurrent cycles, which sweep lazily.
    func completeCycle(_ cycle: inout CollectionCycle, sweepsLazily: Bool) {
        let keepsMarks = withUnsafeMutablePointer(to: &cycle) { pointee.policy.afterMarking(UnsafeMutableRawPointer($0)) }
        guard keepsMarks else { return cycle.endWithoutSweeping() }
        cycle.finalizeAndClearWeakLinks()
        cycle.finishMarking(defersStackRelease: sweepsLazily)
        cycle.pinCachedSlots()
        cycle.verifyMarking()
        guard cycle.hasAllRoots else { return cycle.abandon() }
        pointee.policy.beforeSweep(UnsafeMutableRawPointer(self))
        if sweepsLazily && !cycle.verifies { return cycle.beginLazySweepAndRestart() }
        cycle.sweep()
        cycle.verifyHeap()
        cycle.restartWorld()
        cycle.account()
    }
}
