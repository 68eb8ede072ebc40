import _CSwiftGC

/// bdwgc's object kinds (GC_new_kind) and mark procedures (GC_new_proc).
///
/// A kind is a mark descriptor template (bdwgc's encoding, see
/// include/boehm/gc/gc_mark.h), whether the object's size is added to it,
/// and whether new objects are zeroed. Kinds 0...3 are bdwgc's predefined
/// ones (pointer-free, normal, uncollectable, atomic uncollectable). A new
/// kind whose descriptor means "scan everything" or "scan nothing" is stored
/// as a plain `.normal` or `.atomic` object; any other kind is `.described`:
///
///     [ user words ... | kind number ]      (the last word of the slot)
///
/// The marker reads the kind number there and scans the object as its
/// descriptor says (MarkProcedures.swift). A zero or out-of-range number
/// (an object not yet initialised, or overwritten) means "scan every word",
/// which can only retain more.
///
/// The table is mapped on first use from metadata and only grows; entries
/// are written before the count that publishes them.
struct ObjectKinds {
    static let capacity = 64
    static let predefinedCount = 4
    static let procedureCapacity = 64
    /// bdwgc-format entries a mark procedure may leave at once.
    static let workCapacity = 4096
    static let trailerBytes: UInt = 8

    struct Kind {
        var descriptor: UInt = 0
        var addsObjectSize = false
        var clearsNewObjects = false
        var storage: ObjectKind = .normal
    }

    var kinds: UnsafeMutablePointer<Kind>? = nil
    var kindCount = ObjectKinds.predefinedCount
    var procedures: UnsafeMutablePointer<swiftgc_mark_procedure?>? = nil
    var procedureCount = 0
    /// The stack mark procedures push onto; entry 0 is never used, so an
    /// empty stack's top is a valid pointer (bdwgc passes the last entry).
    var work: UnsafeMutablePointer<swiftgc_mark_stack_entry>? = nil
    var workTop = 0
    /// True between the start and the end of marking: mark bits mean
    /// something and GC_mark_and_push may set them.
    var isMarking = false
    /// GC_mark_and_push found the work stack full and flagged a span.
    var workOverflowed = false

    /// Maps the tables on first use. The caller holds the heap lock.
    mutating func prepare(_ metadata: inout Metadata) -> Bool {
        if kinds != nil { return true }
        let kindBytes = UInt(ObjectKinds.capacity * MemoryLayout<Kind>.stride)
        let procedureBytes = UInt(ObjectKinds.procedureCapacity * 8)
        let workBytes = UInt((ObjectKinds.workCapacity + 1) * MemoryLayout<swiftgc_mark_stack_entry>.stride)
        guard let kindMemory = metadata.allocate(bytes: kindBytes),
              let procedureMemory = metadata.allocate(bytes: procedureBytes),
              let workMemory = metadata.allocate(bytes: workBytes) else { return false }
        let table = kindMemory.bindMemory(to: Kind.self, capacity: ObjectKinds.capacity)
        table.initialize(repeating: Kind(), count: ObjectKinds.capacity)
        table[0] = Kind(descriptor: 0, addsObjectSize: false, clearsNewObjects: false, storage: .atomic)
        table[1] = Kind(descriptor: 0, addsObjectSize: true, clearsNewObjects: true, storage: .normal)
        table[2] = Kind(descriptor: 0, addsObjectSize: true, clearsNewObjects: true, storage: .uncollectable)
        table[3] = Kind(descriptor: 0, addsObjectSize: true, clearsNewObjects: true, storage: .uncollectable)
        procedures = procedureMemory.bindMemory(to: swiftgc_mark_procedure?.self, capacity: ObjectKinds.procedureCapacity)
        procedures!.initialize(repeating: nil, count: ObjectKinds.procedureCapacity)
        work = workMemory.bindMemory(to: swiftgc_mark_stack_entry.self, capacity: ObjectKinds.workCapacity + 1)
        kinds = table
        return true
    }

    /// The descriptor of a described object whose trailer holds `number`
    /// and whose slot is `slotBytes` long; nil if `number` is not a
    /// described kind.
    func descriptor(ofKind number: UInt, slotBytes: UInt) -> UInt? {
        guard let kinds, number >= UInt(ObjectKinds.predefinedCount), number < UInt(kindCount) else { return nil }
        let kind = kinds[Int(number)]
        guard kind.storage == .described else { return nil }
        return kind.addsObjectSize ? kind.descriptor &+ (slotBytes &- ObjectKinds.trailerBytes) : kind.descriptor
    }
}

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
