import _CSwiftGC

// Entry points for the bdwgc layer's allocation lock and heap enumeration
// (Sources/_CSwiftGCBoehm/boehm_lock.c). Not part of swiftgc.h and not
// exported from the library (exports.map keeps swiftgc_* local). Each
// forwards to GCAPI/HeapAccess.swift.

@_cdecl("swiftgc_heap_lock")
public func swiftgc_heap_lock() {
    HeapAccess.lock()
}

@_cdecl("swiftgc_heap_unlock")
public func swiftgc_heap_unlock() {
    HeapAccess.unlock()
}

@_cdecl("swiftgc_heap_for_each_object")
public func swiftgc_heap_for_each_object(
    _ visitor: (@convention(c) (UnsafeMutableRawPointer?, UInt, UnsafeMutableRawPointer?) -> Void)?,
    _ data: UnsafeMutableRawPointer?) {
    guard let visitor else { return }
    HeapAccess.forEachObject(visitor, data: data)
}

/// The usable bytes of an object of `bytes` requested bytes, or UInt.max
/// above the size classes.
@_cdecl("swiftgc_heap_usable_bytes_for_request")
public func swiftgc_heap_usable_bytes_for_request(_ bytes: UInt) -> UInt {
    HeapAccess.usableBytes(forRequest: bytes) ?? UInt.max
}
