import _CSwiftGC

/// The collection's finalization phase, between marking and sweeping, with
/// the world stopped and the heap lock held. See DESIGN.md "Finalization".
///
///  1. Mark what the tables keep alive: the client data of every finalizer,
///     and the objects and data of finalizers queued but not yet run or
///     running now.
///  2. Clear short weak links whose target is unmarked.
///  3. For each unmarked finalizable object, mark what it reaches (but not
///     the object itself, unless through a cycle). An object still unmarked
///     afterwards is reachable from no other finalizable object: queue its
///     finalizer and mark it, so it and everything it reaches survive
///     (unless the front end's hook, swiftgc_finalizer_found_unreachable,
///     keeps it registered or drops it unfinalized).
///  4. Clear long weak links whose target is still unmarked: their targets
///     are reclaimed by the sweep that follows.
///  5. Forget links that live inside objects about to be reclaimed.
extension UnsafeMutablePointer where Pointee == CollectorState {
    func finalizeAndClearWeakLinks(_ marker: inout Marker) {
        let finalization = pointee.finalization
        if finalization.running.hiddenObject != 0 {
            marker.markCandidate(AddressTable.reveal(finalization.running.hiddenObject))
            marker.markCandidate(AddressTable.reveal(finalization.running.hiddenData))
            marker.drain()
        }
        if finalization.finalizers.count == 0 && finalization.ready.count == 0
            && finalization.shortLinks.count == 0 && finalization.longLinks.count == 0 { return }

        finalization.finalizers.forEach { slot in marker.markCandidate(AddressTable.reveal(slot.pointee.second)) }
        finalization.ready.forEach { entry in
            marker.markCandidate(AddressTable.reveal(entry.hiddenObject))
            marker.markCandidate(AddressTable.reveal(entry.hiddenData))
        }
        marker.drain()

        clearLinksToUnmarkedTargets(&pointee.finalization.shortLinks)
        orderAndQueueFinalizers(&marker)
        clearLinksToUnmarkedTargets(&pointee.finalization.longLinks)
        forgetLinksInUnmarkedObjects(&pointee.finalization.shortLinks)
        forgetLinksInUnmarkedObjects(&pointee.finalization.longLinks)
    }

    private func orderAndQueueFinalizers(_ marker: inout Marker) {
        if pointee.finalization.finalizers.count == 0 { return }
        let heap = pointee.heap
        var cycles = 0
        let finalizers = pointee.finalization.finalizers
        // Pass 1: mark from each unmarked finalizable object's contents.
        finalizers.forEach { slot in
            guard let (span, index) = heap.object(containing: slot.pointee.key) else { return }
            if span.markBits.isSet(index) || !span.pointee.kind.isScanned { return }
            let start = span.objectStart(index).value
            let end = start &+ span.pointee.objectSize
            switch FinalizationOrder(rawValue: slot.pointee.third) ?? .topological {
            case .topological:
                marker.scanContents(span: span, index: index)
            case .ignoringSelf where span.pointee.kind.isScannedPrecisely:
                marker.scanContents(span: span, index: index) // self-pointers count here
            case .ignoringSelf:
                var cursor = start
                while cursor < end {
                    let word = UnsafePointer<UInt>(bitPattern: cursor).unsafelyUnwrapped.pointee
                    if word < start || word >= end { marker.scan(low: cursor, high: cursor &+ 8) }
                    cursor &+= 8
                }
            case .unordered, .unreachable:
                return
            }
            marker.drain()
            if span.markBits.isSet(index) { cycles += 1 }
        }
        // Pass 2: queue the objects still unmarked, and keep them alive.
        finalizers.forEach { slot in
            guard let (span, index) = heap.object(containing: slot.pointee.key) else {
                pointee.finalization.finalizers.remove(slot) // freed explicitly
                return
            }
            if span.markBits.isSet(index) { return }
            // The front end may decide instead (bdwgc's disclaim procedures).
            switch swiftgc_finalizer_found_unreachable(UnsafeRawPointer(bitPattern: slot.pointee.key.value),
                                                       UnsafeRawPointer(bitPattern: slot.pointee.first),
                                                       UnsafeRawPointer(bitPattern: AddressTable.reveal(slot.pointee.second).value)) {
            case Int32(swiftgc_finalizer_keep.rawValue):
                marker.markRoot(span: span, index: index) // survives, still registered
                marker.drain()
                return
            case Int32(swiftgc_finalizer_drop.rawValue):
                pointee.finalization.finalizers.remove(slot) // reclaimed by this sweep, unfinalized
                return
            default:
                break
            }
            pointee.finalization.bytesQueuedByCollection &+= span.pointee.objectSize
            queueFinalizer(slot)
            marker.markRoot(span: span, index: index)
            marker.drain()
        }
        if cycles != pointee.finalization.cycleCount && cycles > 0 {
            reportRepeatedLine(occurrences: &pointee.warnings.finalizationCycles) {
                $0.append("found ")
                $0.append(decimal: UInt64(cycles))
                $0.append(" finalizable objects in cycles of finalizable objects; they are never finalized")
            }
        }
        pointee.finalization.cycleCount = cycles
    }

    /// Clears every link whose target is a heap object left unmarked, or an
    /// object no longer allocated, and forgets it. Links to memory outside
    /// the heap are never cleared.
    private func clearLinksToUnmarkedTargets(_ table: inout AddressTable) {
        if table.count == 0 { return }
        let pageMap = pointee.heap.pageMap
        let snapshot = table
        snapshot.forEach { slot in
            let target = AddressTable.reveal(slot.pointee.first)
            guard let span = pageMap.span(containing: target), span.pointee.state != .free else { return }
            let index = span.objectIndex(containing: target)
            if index < span.pointee.objectCount && span.isAllocated(index) && span.markBits.isSet(index) { return }
            if index >= span.pointee.objectCount { return }
            slot.pointee.key.pointer!.storeBytes(of: 0, as: UInt.self)
            table.remove(slot)
        }
    }

    private func forgetLinksInUnmarkedObjects(_ table: inout AddressTable) {
        if table.count == 0 { return }
        let heap = pointee.heap
        let snapshot = table
        snapshot.forEach { slot in
            guard let (span, index) = heap.object(containing: slot.pointee.key) else { return }
            if !span.markBits.isSet(index) { table.remove(slot) }
        }
    }
}

extension Marker {
    /// Marks the object `word` points into, if any, as if `word` were a root.
    mutating func markCandidate(_ word: Address) {
        var candidate = word.value
        withUnsafeMutablePointer(to: &candidate) { pointer in
            let low = UInt(bitPattern: pointer)
            scan(low: low, high: low &+ 8)
        }
    }
}
