import _CSwiftGC

/// The gc_mark.h front end over `ObjectKinds` (Collector/Marking/): new
/// kinds and mark procedures, allocation of an object of a kind, and the
/// kind of an object. The bdwgc layer calls these through KindExports.swift.
extension ObjectKinds {
    /// GC_new_kind: the number of a new kind, or nil when the table is full.
    static func makeKind(descriptor: UInt, addsObjectSize: Bool, clearsNewObjects: Bool) -> Int? {
        guard let state = CollectorState.shared() else { return nil }
        state.lock()
        defer { state.unlock() }
        guard state.pointee.kinds.prepare(&state.pointee.heap.metadata),
              state.pointee.kinds.kindCount < capacity else { return nil }
        var storage = ObjectKind.described
        if descriptor == 0 { storage = addsObjectSize ? .normal : .atomic }
        let number = state.pointee.kinds.kindCount
        state.pointee.kinds.kinds![number] = Kind(descriptor: descriptor, addsObjectSize: addsObjectSize,
                                                  clearsNewObjects: clearsNewObjects, storage: storage)
        state.pointee.kinds.kindCount = number + 1
        return number
    }

    /// GC_new_proc: the index of a new mark procedure, or nil when full.
    static func makeProcedure(_ procedure: swiftgc_mark_procedure?) -> Int? {
        guard let state = CollectorState.shared() else { return nil }
        state.lock()
        defer { state.unlock() }
        guard state.pointee.kinds.prepare(&state.pointee.heap.metadata),
              state.pointee.kinds.procedureCount < procedureCapacity else { return nil }
        let index = state.pointee.kinds.procedureCount
        state.pointee.kinds.procedures![index] = procedure
        state.pointee.kinds.procedureCount = index + 1
        return index
    }

    /// GC_generic_malloc: an object of kind `number`, or nil (ENOMEM, or
    /// EINVAL with a misuse message for an unknown kind).
    static func allocate(byteCount: UInt, kind number: Int) -> UnsafeMutableRawPointer? {
        guard let state = CollectorState.shared() else { return Allocation.outOfMemory() }
        if number >= 0 && number < predefinedCount {
            let storage: ObjectKind = number == 0 ? .atomic : number == 1 ? .normal : .uncollectable
            return Allocation.allocate(byteCount: byteCount, kind: storage)
        }
        guard let kinds = state.pointee.kinds.kinds, number >= 0, number < state.pointee.kinds.kindCount else {
            Misuse.report("GC_generic_malloc", .null, "unknown object kind (not made by GC_new_kind)")
            OS.setErrno(EINVAL)
            return nil
        }
        let kind = kinds[number]
        if kind.storage != .described {
            guard let object = Allocation.allocate(byteCount: byteCount, kind: kind.storage) else { return nil }
            if kind.storage == .atomic && kind.clearsNewObjects { memset(object, 0, Int(byteCount)) }
            return object
        }
        let (total, overflow) = byteCount.addingReportingOverflow(trailerBytes)
        if overflow { return Allocation.outOfMemory() }
        guard let object = Allocation.allocate(byteCount: total, kind: .described) else { return nil }
        let slotBytes = Allocation.usableSize(of: Address(object)) + Allocation.paddingBytes
        (object + Int(slotBytes - trailerBytes)).storeBytes(of: UInt(number), as: UInt.self)
        return object
    }

    /// GC_get_kind_and_size: the kind of the object containing `address`
    /// (-1 if none) and its usable size.
    static func kindAndSize(of address: Address) -> (kind: Int, size: UInt) {
        guard let state = collectorState,
              let (span, index) = state.pointee.heap.object(containing: address) else { return (-1, 0) }
        let size = span.pointee.objectSize - Allocation.paddingBytes
        switch span.pointee.kind {
        case .atomic: return (0, size)
        case .normal, .typed: return (1, size)
        case .uncollectable: return (2, size)
        case .described:
            let trailer = span.objectStart(index).value &+ span.pointee.objectSize &- trailerBytes
            let number = UnsafePointer<UInt>(bitPattern: trailer).unsafelyUnwrapped.pointee
            let isKnown = state.pointee.kinds.descriptor(ofKind: number, slotBytes: span.pointee.objectSize) != nil
            return (isKnown ? Int(number) : 1, size - trailerBytes)
        }
    }
}
