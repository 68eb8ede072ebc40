import _CSwiftGC

// Typed allocation of swiftgc.h. Each function converts its arguments and
// forwards; the contracts are documented in include/swiftgc.h.

@_cdecl("gc_make_descriptor")
public func gc_make_descriptor(_ bitmap: UnsafePointer<UInt>?, _ wordCount: UInt) -> UInt {
    guard let bitmap, wordCount > 0, wordCount <= 1 << 32 else { return 0 }
    return TypedObjects.makeDescriptor(bitmap: bitmap, wordCount: Int(wordCount)) ?? 0
}

@_cdecl("gc_malloc_typed")
public func gc_malloc_typed(_ size: UInt, _ descriptor: UInt) -> UnsafeMutableRawPointer? {
    TypedObjects.allocate(byteCount: size, descriptor: descriptor, periodWords: TypedObjects.neverRepeats)
}

@_cdecl("gc_calloc_typed")
public func gc_calloc_typed(_ count: UInt, _ elementSize: UInt, _ descriptor: UInt) -> UnsafeMutableRawPointer? {
    let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
    if overflow { return Allocation.outOfMemory() }
    return TypedObjects.allocate(byteCount: bytes, descriptor: descriptor, periodWords: (elementSize &+ 7) / 8)
}
