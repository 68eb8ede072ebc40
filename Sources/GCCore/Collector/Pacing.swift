import _CSwiftGC

/// Pacing: every decision of when to collect.
///
/// A collection starts, unless gc_disable is in force or the policy
/// replaces it (`CollectionPolicy.replacesCollection`):
/// - when an allocation slow path finds the budget spent or a stress
///   collection due (`collectIfDue`, asked by `Allocation`), or, with
///   concurrency, requests a cycle at the trigger (`concurrentTrigger`);
/// - when an allocation finds no memory: it collects once and retries
///   (`collectsWhenOutOfMemory`);
/// - before a finalizer or weak-link registration would double a big table
///   (`collectIfRegistrationWouldGrow`);
/// - in safe-free mode, when the quarantine passes its limit
///   (`collectsForQuarantine`, asked by `Quarantine`'s free once the
///   lock-free count passes the limit);
/// - when the program asks: gc_collect (leak-check's reports replace it).
///
/// The budget is the bytes that may be allocated between collections:
///
///     budget = max(SWIFTGC_INITIAL_HEAP, bytesInUse × SWIFTGC_HEAP_GROWTH / 100)
///
/// (bdwgc's GC_free_space_divisor, when a program sets it, replaces the
/// percentage by bytesInUse / divisor). Explicit frees take their bytes off
/// the count (`Heap.free`).
///
/// Finalization and weak links count too. Without this, a program that
/// registers a finalizer on most of what it allocates settles on a heap
/// several times its live data:
/// - objects queued for finalization survive their collection, so they
///   count as live and raise the next budget by their own size, cycle after
///   cycle;
/// - registrations cost table memory that no allocation counter saw.
///
/// bdwgc in spirit: it counts the bytes queued for finalization as if they
/// had been allocated again in the next cycle, and its finalization entries
/// are allocated in its heap, so registrations count as allocation.
extension UnsafeMutablePointer where Pointee == CollectorState {
    // MARK: Allocation

    /// The slow paths' whole decision before allocating `upcomingBytes`:
    /// nothing, a stop-the-world collection, a request for a concurrent
    /// cycle, or a marking slice for a cycle that falls behind (an assist).
    /// A sweep phase in progress gets a slice first. The caller holds the
    /// lock.
    ///
    /// With concurrency wanted (`concurrentCyclesAreWanted`), a cycle is
    /// requested at the trigger (`concurrentTrigger`), below the budget.
    /// Past the budget an allocating thread helps mark; past twice the
    /// budget it collects stopping the world, abandoning the cycle (a long
    /// pause, but the heap stays bounded when the program outruns the
    /// marker).
    @inline(__always) func collectIfDue(beforeAllocating upcomingBytes: UInt) {
        if pointee.heap.isSweeping {
            // A big object would otherwise grow the heap beside the dead
            // ones the sweep has not reached yet; its zeroing costs more
            // than the rest of the sweep.
            if upcomingBytes >= Pacing.finishesSweepFromBytes { finishSweeping() } else { sweepSliceAndAccount() }
        }
        if stressCollectionIsDue() {
            collect()
            return
        }
        guard pointee.disableCount == 0 && pointee.policy.collectsAsHeapGrows else { return }
        let allocated = pointee.heap.bytesAllocatedSinceCollection + upcomingBytes
        let budget = collectionBudget
        switch pointee.concurrent.phase {
        case .marking:
            if allocated >= budget &* 2 {
                collect()
            } else if allocated >= budget {
                assistConcurrentMarking()
            }
        case .requested:
            if allocated >= budget &* 2 { collect() }
        case .idle:
            if allocated >= budget &* 2 {
                // Too late for a concurrent cycle (a big allocation, or
                // collections were disabled): stopping the world bounds the heap.
                collect()
            } else if allocated >= concurrentTrigger(budget: budget) && concurrentCyclesAreWanted {
                requestConcurrentCycle()
            } else if allocated >= budget {
                collect()
            }
        }
    }

    /// Whether the next cycle should be concurrent: a backend fit for it
    /// works, and the live heap has reached `liveHeapThreshold`. Under
    /// SWIFTGC_CONCURRENT=auto, the first time it is reached probes the
    /// backend, quietly. The caller holds the lock.
    var concurrentCyclesAreWanted: Bool {
        guard pointee.statistics.bytesInUse >= pointee.concurrent.liveHeapThreshold else { return false }
        if pointee.concurrent.isAvailable { return true }
        guard !pointee.concurrent.hasProbedBackend else { return false }
        pointee.concurrent.hasProbedBackend = true
        pointee.concurrent.isAvailable = pointee.arenaWrites.probe(pointee.options, isQuiet: true)
        return pointee.concurrent.isAvailable
    }

    /// When a concurrent cycle starts: early enough that, allocating as fast
    /// as during the last cycle, the program reaches the budget as marking
    /// ends (Go's pacer, without its integral term): the budget less what
    /// the last cycle saw allocated, with a quarter more for safety, kept
    /// between 30% and 90% of the budget.
    func concurrentTrigger(budget: UInt) -> UInt {
        let runway = pointee.concurrent.bytesAllocatedDuringLastCycle / 4 &* 5
        let low = budget / 10 &* 3
        let high = budget / 10 &* 9
        return min(high, max(low, budget &- min(budget, runway)))
    }


    /// Bytes that may be allocated between collections: the live heap times
    /// SWIFTGC_HEAP_GROWTH percent, and at least SWIFTGC_INITIAL_HEAP.
    ///
    /// After a concurrent cycle, the live bytes leave out what the cycle
    /// allocated (born marked, so counted live by its sweep, though most
    /// of it is often garbage by then): otherwise floating garbage raises
    /// every budget, and the heap grows cycle after cycle. What was really
    /// live is counted by the next cycle; until then collections come
    /// sooner, never later.
    var collectionBudget: UInt {
        let growth = UInt(pointee.options[.heapGrowth])
        let measured = pointee.statistics.bytesInUse
        let live = measured &- min(measured, pointee.concurrent.bornMarkedBytesOfLastCycle)
        var proportional = live / 100 * growth
        let divisor = UInt(swiftgc_free_space_divisor()) // 0 unless a collection hook sets one (bdwgc's GC_free_space_divisor)
        if divisor > 0 { proportional = live / divisor }
        return max(UInt(pointee.options[.initialHeap]), proportional)
    }

    /// An allocation found no memory: whether to collect and try once more
    /// (not while collections are disabled: it fails at once).
    var collectsWhenOutOfMemory: Bool { pointee.disableCount == 0 }

    /// Stress mode (SWIFTGC_STRESS=N): a collection at every Nth allocation,
    /// so that tests exercise the collector at every point where one could
    /// run. With stress on, thread caches claim one slot at a time
    /// (`Heap.claimsOneSlotAtATime`), so every allocation reaches a slow
    /// path; the lock-free fast path is the same code with stress on or
    /// off. Counts one allocation and says whether a stress collection is
    /// due before it; never while collections are disabled.
    @inline(__always) func stressCollectionIsDue() -> Bool {
        let interval = pointee.options[.stress]
        if interval == 0 || pointee.disableCount != 0 { return false }
        pointee.allocationsSinceStressCollection &+= 1
        if pointee.allocationsSinceStressCollection < interval { return false }
        pointee.allocationsSinceStressCollection = 0
        return true
    }

    // MARK: Finalization and weak links

    /// Adds the table memory of one new registration to the bytes allocated
    /// since the collection. The caller holds the lock.
    @inline(__always) func chargeRegistration() {
        pointee.heap.bytesAllocatedSinceCollection &+= UInt(AddressTable.bytesPerRegistration)
    }

    /// Collects before a registration would double a table of at least
    /// `collectionBeforeGrowthCapacity` slots, as bdwgc does: the entries of
    /// dead objects leave the table, which then often rehashes at the same
    /// size instead of doubling. (A full table whose load is mostly deleted
    /// slots rehashes in place without a collection.) Only when the doubled
    /// table would take more than 1/8 of the allocation budget: a large
    /// heap, whose collections are long, pays for table memory instead.
    /// Not while collections are disabled. The caller holds the lock and
    /// keeps the registered object on its stack.
    func collectIfRegistrationWouldGrow(_ table: AddressTable, key: Address) {
        guard table.isFull, table.count &* 2 > table.capacity, table.capacity >= collectionBeforeGrowthCapacity,
              pointee.disableCount == 0 else { return }
        let doubledBytes = UInt(table.capacity) &* 2 &* UInt(MemoryLayout<AddressTable.Entry>.stride)
        guard doubledBytes > collectionBudget / 8, table.find(key) == nil else { return }
        collect()
    }

    /// Called at the end of a collection, after the statistics are updated
    /// and the allocation counter is reset: starts the next cycle's counter
    /// at the bytes this collection queued for finalization (at most half
    /// the budget, so that it never collects again before the finalizers
    /// have had a chance to run).
    func chargeFinalizationToNextCycle() {
        let queuedBytes = pointee.finalization.bytesQueuedByCollection
        pointee.finalization.bytesQueuedByCollection = 0
        pointee.heap.bytesAllocatedSinceCollection &+= min(queuedBytes, collectionBudget / 2)
    }

    // MARK: safe-free's quarantine

    /// The bytes free may add to the quarantine between collections:
    /// SWIFTGC_QUARANTINE percent of what a collection scans, the heap in
    /// use plus the roots, as measured by the last one; at least
    /// SWIFTGC_INITIAL_HEAP. With the roots counted, the marking work per
    /// byte freed stays the same whatever the share of roots: gcc keeps
    /// ten times more memory in its own mappings than in malloc blocks.
    /// The caller holds the lock.
    var quarantineBudget: UInt64 {
        let percent = UInt64(pointee.options[.quarantine])
        let scanned = UInt64(pointee.statistics.bytesInUse) &+ UInt64(pointee.statistics.rootBytes)
        let proportional = scanned / 100 &* percent
        return max(pointee.options[.initialHeap], proportional)
    }

    /// Whether free should collect now that the quarantine holds
    /// `quarantinedBytes`, of which the last collection left `keptBytes`
    /// (still pointed to). Sets `limit`, the count at which free asks
    /// again: the kept bytes plus a budget (which grows with the heap in
    /// use, measured only after the last collection set the limit), or,
    /// while collections are disabled, another budget's worth from now.
    /// The caller holds the lock.
    func collectsForQuarantine(holding quarantinedBytes: UInt64, keptByLastCollection keptBytes: UInt64,
                               limit: inout UInt64) -> Bool {
        limit = keptBytes &+ quarantineBudget
        guard quarantinedBytes >= limit else { return false }
        if pointee.disableCount == 0 { return true }
        limit = quarantinedBytes &+ quarantineBudget
        return false
    }
}

enum Pacing {
    /// Allocations from this size finish a sweep phase in progress first.
    static let finishesSweepFromBytes: UInt = 1 << 20
}

/// Slots from which a table about to grow first triggers a collection.
let collectionBeforeGrowthCapacity = 4096
