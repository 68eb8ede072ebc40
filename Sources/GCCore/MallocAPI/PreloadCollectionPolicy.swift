import _CSwiftGC

/// How the preload modes change a collection: every hook of
/// `CollectionPolicy` they set, in one place. Installed once by
/// `MallocFamily.configure`, before the state is published.
///
/// | Mode | Collections | Hooks and settings |
/// |---|---|---|
/// | all | as the mode says | anonymous mappings are roots: the whole C heap is ours, and programs keep pointers wherever they map memory |
/// | malloc | never (blocks are not scanned; a collection would free live ones) | `replacesCollection` always; `threadWillExit` frees the thread's rings of recently freed blocks |
/// | collect, ignore-free | as the heap grows, as in libswiftgc.so | none |
/// | leak-check | only leak reports (gc_collect, exit) | `replacesRequestedCollection` reports new leaks; `replacesCollection` unless a report asked; `afterMarking` classifies the blocks and sweeps nothing; its tables are a pointer-free mapping |
/// | safe-free | when the quarantine fills (Pacing), not as the heap grows | `beforeSweep` keeps blocks never freed and the quarantined blocks still pointed to |
///
/// Modes that do not collect on their own (malloc, leak-check) also hold
/// collections disabled, as one gc_disable would, so that no allocation
/// failure starts one either.
enum PreloadCollectionPolicy {
    static func install(mode: PreloadMode, _ state: UnsafeMutablePointer<CollectorState>) {
        var policy = CollectionPolicy.collecting
        policy.anonymousMappingsAreRoots = true
        policy.allowsConcurrentMarking = false
        switch mode {
        case .malloc:
            policy.replacesCollection = { _ in true }
            policy.threadWillExit = { state, cache in
                MallocModeFree.releaseRings(cache.assumingMemoryBound(to: ThreadCache.self),
                                            state.assumingMemoryBound(to: CollectorState.self))
            }
        case .collect, .ignoreFree:
            break
        case .leakCheck:
            policy.replacesRequestedCollection = { _ in
                LeakCheck.reportNewLeaks()
                return true
            }
            policy.replacesCollection = { _ in !LeakCheck.isReportRequested }
            policy.afterMarking = { cycle in
                let cycle = cycle.assumingMemoryBound(to: CollectionCycle.self)
                cycle.pointee.endParallelMarking()
                LeakCheck.classify(cycle)
                return false
            }
        case .safeFree:
            policy.collectsAsHeapGrows = false
            policy.beforeSweep = { state in Quarantine.keepMarkedBlocks(state.assumingMemoryBound(to: CollectorState.self)) }
        }
        state.pointee.policy = policy
        if !mode.collectsAutomatically { state.pointee.disableCount += 1 }
    }
}
