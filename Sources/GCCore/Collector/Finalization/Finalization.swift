import _CSwiftGC

/// How a finalizable object's own pointers count when ordering finalizers.
enum FinalizationOrder: UInt {
    /// Its pointees are finalized only after it (bdwgc's default). An object
    /// reachable from itself through other objects is in a cycle: it is
    /// never finalized, and the cycle is reported.
    case topological = 0
    /// Like topological, but pointers from the object into itself are
    /// ignored, so self-reference is not a cycle.
    case ignoringSelf = 1
    /// Its pointers do not delay any finalizer, nor does it wait for anyone.
    case unordered = 2
    /// Its pointers delay nothing, but it waits until no other finalizable
    /// object reaches it.
    case unreachable = 3
}

typealias FinalizerFunction = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void

/// Finalizers and weak links: what the collector remembers between
/// collections, and the queue of finalizers ready to run.
///
/// Tables (all keyed and valued with hidden addresses, see AddressTable):
/// - `finalizers`: key object; first = function, second = hidden data,
///   third = FinalizationOrder.
/// - `shortLinks`, `longLinks`: key link location; first = hidden target.
///
/// The collection-time algorithm is in Collection+Finalization.swift;
/// running the queued finalizers is in FinalizerRunner.swift.
struct Finalization {
    var finalizers = AddressTable()
    var shortLinks = AddressTable()
    var longLinks = AddressTable()
    var ready = ReadyQueue()
    /// True while some thread runs finalizers: a finalizer that allocates
    /// must not start running the others in its own frame.
    var isRunningFinalizers = false
    /// The entry whose finalizer runs now, taken off `ready`; empty (all
    /// zero) otherwise. Marked like a ready entry: between leaving the
    /// lock and the call, the runner may hold the object only hidden, and
    /// another thread's collection must not reclaim it (disclaim_test of
    /// bdwgc's suite caught a finalizer called on a reclaimed object).
    /// Written under the lock by the one thread running finalizers.
    var running = ReadyQueue.Entry(hiddenObject: 0, function: 0, hiddenData: 0)
    /// gc_set_finalize_on_demand: finalizers run only from gc_run_finalizers.
    var runsOnlyOnDemand = false
    /// Called (outside the lock) when finalizers become ready and they run
    /// only on demand.
    var notifier: (@convention(c) () -> Void)? = nil
    /// Ready entries already announced to the notifier.
    var notifiedReadyTotal: UInt64 = 0
    /// Entries ever queued.
    var queuedTotal: UInt64 = 0
    /// Finalizable objects found in cycles by the last collection.
    var cycleCount = 0
    /// Bytes of the objects the current collection queued; charged to the
    /// next cycle's allocation budget (Pacing.swift).
    var bytesQueuedByCollection: UInt = 0
}

extension Finalization {
    /// Memory the finalizer, weak-link and ready tables map now; part of
    /// gc_stats.metadata_size.
    var tableBytes: UInt {
        let tableEntryBytes = UInt(finalizers.capacity + shortLinks.capacity + longLinks.capacity)
            * UInt(MemoryLayout<AddressTable.Entry>.stride)
        return tableEntryBytes + UInt(ready.capacity) * UInt(MemoryLayout<ReadyQueue.Entry>.stride)
    }

    /// At the end of a collection: tables sized for a burst of
    /// registrations that has died give their memory back
    /// (`AddressTable.shrinkIfSparse`).
    mutating func shrinkSparseTables() {
        finalizers.shrinkIfSparse()
        shortLinks.shrinkIfSparse()
        longLinks.shrinkIfSparse()
    }
}

/// Entries whose object became unreachable, in the order they must run.
/// Its own anonymous mapping, never scanned; the collection marks the
/// queued objects and data explicitly, so they survive until run.
struct ReadyQueue {
    struct Entry {
        var hiddenObject: UInt
        var function: UInt
        var hiddenData: UInt
    }

    var entries: UnsafeMutablePointer<Entry>? = nil
    var capacity = 0
    var head = 0
    var tail = 0

    var count: Int { tail &- head }

    mutating func append(_ entry: Entry) -> Bool {
        if tail == capacity {
            let newCapacity = max(256, count &* 2 &+ 16)
            guard let memory = OS.reserve(bytes: UInt(newCapacity &* MemoryLayout<Entry>.stride)) else { return false }
            let newEntries = memory.bindMemory(to: Entry.self, capacity: newCapacity)
            if let entries {
                for index in head..<tail { newEntries[index &- head] = entries[index] }
                OS.release(UnsafeMutableRawPointer(entries),
                           bytes: UInt(capacity &* MemoryLayout<Entry>.stride))
            }
            entries = newEntries
            tail = count
            head = 0
            capacity = newCapacity
        }
        entries.unsafelyUnwrapped[tail] = entry
        tail &+= 1
        return true
    }

    mutating func popFirst() -> Entry? {
        guard head < tail, let entries else { return nil }
        let entry = entries[head]
        head &+= 1
        if head == tail {
            head = 0
            tail = 0
        }
        return entry
    }

    func forEach(_ body: (Entry) -> Void) {
        guard let entries else { return }
        for index in head..<tail { body(entries[index]) }
    }

    /// Unmaps the storage of an empty queue larger than the initial size,
    /// so that a burst of finalization does not keep its memory.
    mutating func releaseStorageIfEmpty() {
        guard count == 0, capacity > 256, let entries else { return }
        OS.release(UnsafeMutableRawPointer(entries), bytes: UInt(capacity &* MemoryLayout<Entry>.stride))
        self.entries = nil
        capacity = 0
        head = 0
        tail = 0
    }
}

/// Results of the registration functions, matching bdwgc's codes.
enum RegistrationResult: Int32 {
    case success = 0
    case duplicate = 1
    case noMemory = 2
    case notFound = 4
    case invalidArgument = -1
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    // MARK: Finalizers

    /// Registers, replaces or (with a nil function) removes the finalizer
    /// of the object starting at `object`, returning the previous one.
    /// Objects outside the heap are ignored, as in bdwgc.
    func registerFinalizer(object: Address, function: FinalizerFunction?, data: Address,
                           order: FinalizationOrder) -> (previous: FinalizerFunction?, previousData: Address) {
        lock()
        defer { unlock() }
        guard let (span, index) = pointee.heap.object(containing: object) else { return (nil, .null) }
        let start = span.objectStart(index)
        var previous: FinalizerFunction? = nil
        var previousData = Address.null
        guard let function else {
            if let slot = pointee.finalization.finalizers.find(start) {
                previous = unsafeBitCast(slot.pointee.first, to: FinalizerFunction?.self)
                previousData = AddressTable.reveal(slot.pointee.second)
                pointee.finalization.finalizers.remove(slot)
            }
            return (previous, previousData)
        }
        collectIfRegistrationWouldGrow(pointee.finalization.finalizers, key: start)
        guard let (slot, isNew) = pointee.finalization.finalizers.findOrInsert(start) else {
            reportRepeatedLine(occurrences: &pointee.warnings.finalizerTableFull) {
                $0.append("out of memory for the finalizer table; finalizer not registered")
            }
            return (previous, previousData)
        }
        if isNew {
            chargeRegistration()
        } else {
            previous = unsafeBitCast(slot.pointee.first, to: FinalizerFunction?.self)
            previousData = AddressTable.reveal(slot.pointee.second)
        }
        slot.pointee.first = unsafeBitCast(function, to: UInt.self)
        slot.pointee.second = AddressTable.hide(data)
        slot.pointee.third = order.rawValue
        return (previous, previousData)
    }

    /// Forgets the finalizer of an object freed explicitly.
    func forgetFinalizer(ofFreedObject object: Address) {
        if pointee.finalization.finalizers.count == 0 { return }
        if let slot = pointee.finalization.finalizers.find(object) { pointee.finalization.finalizers.remove(slot) }
    }

    /// Queues every registered finalizer, reachable or not (gc_finalize_all).
    func queueAllFinalizers() {
        lock()
        pointee.finalization.finalizers.forEach { slot in
            queueFinalizer(slot)
        }
        unlock()
    }

    /// Moves one table entry to the ready queue. The caller holds the lock.
    func queueFinalizer(_ slot: UnsafeMutablePointer<AddressTable.Entry>) {
        let entry = ReadyQueue.Entry(hiddenObject: slot.pointee.hiddenKey, function: slot.pointee.first,
                                     hiddenData: slot.pointee.second)
        if pointee.finalization.ready.append(entry) {
            pointee.finalization.queuedTotal &+= 1
            pointee.finalization.finalizers.remove(slot)
        }
    }

    // MARK: Weak links

    /// Registers `link` to be cleared when the object containing `target`
    /// dies: before finalization ordering for a short link, after it for a
    /// long one. A link already registered keeps its target (duplicate).
    func registerWeakLink(_ link: Address, target: Address, isLong: Bool) -> RegistrationResult {
        guard link != .null, link.isAligned(to: 8) else { return .invalidArgument }
        lock()
        defer { unlock() }
        collectIfRegistrationWouldGrow(isLong ? pointee.finalization.longLinks : pointee.finalization.shortLinks, key: link)
        guard let (slot, isNew) = isLong ? pointee.finalization.longLinks.findOrInsert(link)
                                         : pointee.finalization.shortLinks.findOrInsert(link) else { return .noMemory }
        guard isNew else { return .duplicate }
        chargeRegistration()
        slot.pointee.first = AddressTable.hide(target)
        return .success
    }

    func unregisterWeakLink(_ link: Address, isLong: Bool) -> Bool {
        lock()
        defer { unlock() }
        guard let slot = isLong ? pointee.finalization.longLinks.find(link)
                                : pointee.finalization.shortLinks.find(link) else { return false }
        if isLong { pointee.finalization.longLinks.remove(slot) } else { pointee.finalization.shortLinks.remove(slot) }
        return true
    }

    /// Moves the registration of `link` to `newLink`, keeping its target.
    func moveWeakLink(_ link: Address, to newLink: Address, isLong: Bool) -> RegistrationResult {
        guard newLink != .null, newLink.isAligned(to: 8) else { return .invalidArgument }
        lock()
        defer { unlock() }
        if isLong { return Self.move(link, to: newLink, in: &pointee.finalization.longLinks) }
        return Self.move(link, to: newLink, in: &pointee.finalization.shortLinks)
    }

    private static func move(_ link: Address, to newLink: Address, in table: inout AddressTable) -> RegistrationResult {
        guard let slot = table.find(link) else { return .notFound }
        if link == newLink { return .success }
        if table.find(newLink) != nil { return .duplicate }
        let hiddenTarget = slot.pointee.first
        table.remove(slot)
        guard let (newSlot, _) = table.findOrInsert(newLink) else { return .noMemory }
        newSlot.pointee.first = hiddenTarget
        return .success
    }
}
