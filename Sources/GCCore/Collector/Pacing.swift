import _CSwiftGC

/// How finalization and weak links count when deciding the next collection,
/// and how their tables give memory back.
///
/// Without this, a program that registers a finalizer on most of what it
/// allocates settles on a heap several times its live data:
/// - objects queued for finalization survive their collection, so they
///   count as live and raise the next budget (SWIFTGC_HEAP_GROWTH percent of
///   the live heap) by their own size, cycle after cycle;
/// - registrations cost table memory that no allocation counter saw;
/// - tables sized for the largest burst kept that size for ever.
///
/// bdwgc in spirit: it counts the bytes queued for finalization as if they
/// had been allocated again in the next cycle, and its finalization entries
/// are allocated in its heap, so registrations count as allocation.
/// Slots from which a table about to grow first triggers a collection.
let collectionBeforeGrowthCapacity = 4096

extension UnsafeMutablePointer where Pointee == CollectorState {
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
    /// have had a chance to run), and shrinks sparse tables.
    func chargeFinalizationToNextCycle() {
        let queuedBytes = pointee.finalization.bytesQueuedByCollection
        pointee.finalization.bytesQueuedByCollection = 0
        pointee.heap.bytesAllocatedSinceCollection &+= min(queuedBytes, collectionBudget / 2)
        pointee.finalization.finalizers.shrinkIfSparse()
        pointee.finalization.shortLinks.shrinkIfSparse()
        pointee.finalization.longLinks.shrinkIfSparse()
    }
}

extension Finalization {
    /// Memory the finalizer, weak-link and ready tables map now; part of
    /// gc_stats.metadata_size.
    var tableBytes: UInt {
        let tableEntryBytes = UInt(finalizers.capacity + shortLinks.capacity + longLinks.capacity)
            * UInt(MemoryLayout<AddressTable.Entry>.stride)
        return tableEntryBytes + UInt(ready.capacity) * UInt(MemoryLayout<ReadyQueue.Entry>.stride)
    }
}
