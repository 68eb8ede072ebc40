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
/// are written before the count that publishes them. Making kinds and
/// allocating objects of a kind is the front end's (GCAPI/KindAllocation.swift).
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
