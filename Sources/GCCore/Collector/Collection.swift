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
        guard collectionMayStart() else { return }
        Stacks.visitCurrentThread(context: UnsafeMutableRawPointer(self)) { low, high, context in
            let state = context.unsafelyUnwrapped.assumingMemoryBound(to: CollectorState.self)
            state.runCycle(stackLow: UInt(bitPattern: low), stackHigh: UInt(bitPattern: high))
        }
    }

    /// The collection hooks' say (bdwgc's GC_dont_gc, its start callback),
    /// given the plausible bounds of heap addresses: one byte below the
    /// arena and its reserved end, neither inside an object. Not inlined,
    /// and given no copy of the page map: this runs above the stack bound
    /// `collect` captures, where a spilled arena start would be scanned as
    /// a root and retain the object there.
    @inline(never) func collectionMayStart() -> Bool {
        let region = pointee.region
        return swiftgc_collection_may_start(region.arenaStart.value &- 1, region.arenaStart.value &+ region.arenaBytes) != 0
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
