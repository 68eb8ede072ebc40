import _CSwiftGC

// Entry points for the bdwgc layer's gc_mark.h functions
// (Sources/_CSwiftGCBoehm/boehm_marking.c). Not part of swiftgc.h and not
// exported from the library (exports.map keeps swiftgc_* local). Each
// converts its arguments and forwards.

@_cdecl("swiftgc_kinds_new_kind")
public func swiftgc_kinds_new_kind(_ descriptor: UInt, _ addsObjectSize: Int32, _ clearsNewObjects: Int32) -> Int32 {
    Int32(ObjectKinds.makeKind(descriptor: descriptor, addsObjectSize: addsObjectSize != 0,
                               clearsNewObjects: clearsNewObjects != 0) ?? -1)
}

@_cdecl("swiftgc_kinds_new_procedure")
public func swiftgc_kinds_new_procedure(_ procedure: swiftgc_mark_procedure?) -> Int32 {
    Int32(ObjectKinds.makeProcedure(procedure) ?? -1)
}

@_cdecl("swiftgc_kinds_allocate")
public func swiftgc_kinds_allocate(_ size: UInt, _ kind: Int32) -> UnsafeMutableRawPointer? {
    ObjectKinds.allocate(byteCount: size, kind: Int(kind))
}

@_cdecl("swiftgc_kinds_kind_and_size")
public func swiftgc_kinds_kind_and_size(_ pointer: UnsafeRawPointer?, _ size: UnsafeMutablePointer<UInt>?) -> Int32 {
    let (kind, bytes) = ObjectKinds.kindAndSize(of: Address(pointer))
    size?.pointee = bytes
    return Int32(kind)
}

@_cdecl("swiftgc_kinds_mark_and_push")
public func swiftgc_kinds_mark_and_push(_ object: UnsafeRawPointer?, _ top: UnsafeMutablePointer<swiftgc_mark_stack_entry>?,
                                        _ limit: UnsafeMutablePointer<swiftgc_mark_stack_entry>?)
    -> UnsafeMutablePointer<swiftgc_mark_stack_entry>? {
    ObjectKinds.markAndPush(address: UInt(bitPattern: object), top: top, limit: limit)
}

@_cdecl("swiftgc_kinds_is_marked")
public func swiftgc_kinds_is_marked(_ pointer: UnsafeRawPointer?) -> Int32 {
    ObjectKinds.isMarked(Address(pointer)) ? 1 : 0
}

@_cdecl("swiftgc_kinds_set_mark_bit")
public func swiftgc_kinds_set_mark_bit(_ pointer: UnsafeRawPointer?, _ isMarked: Int32) {
    ObjectKinds.setMarkBit(Address(pointer), isMarked: isMarked != 0)
}

@_cdecl("swiftgc_roots_push_range")
public func swiftgc_roots_push_range(_ low: UnsafeRawPointer?, _ high: UnsafeRawPointer?) {
    RootEnumeration.pushRootRange(low: UInt(bitPattern: low), high: UInt(bitPattern: high))
}
