#if SWIFTGC_PRELOAD
import _CSwiftGC

// The malloc family of libswiftgc-preload.so. The C shim
// (Sources/_CSwiftGCPreload) defines the reserved names and forwards to these;
// each converts its arguments and forwards to MallocFamily.

@_cdecl("swiftgc_malloc")
public func swiftgc_malloc(_ size: UInt) -> UnsafeMutableRawPointer? {
    MallocFamily.allocate(size)
}

@_cdecl("swiftgc_free")
public func swiftgc_free(_ pointer: UnsafeMutableRawPointer?) {
    MallocFamily.free(Address(pointer))
}

@_cdecl("swiftgc_calloc")
public func swiftgc_calloc(_ count: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
    MallocFamily.allocateZeroed(count: count, size: size)
}

@_cdecl("swiftgc_realloc")
public func swiftgc_realloc(_ pointer: UnsafeMutableRawPointer?, _ size: UInt) -> UnsafeMutableRawPointer? {
    MallocFamily.reallocate(Address(pointer), size: size)
}

@_cdecl("swiftgc_reallocarray")
public func swiftgc_reallocarray(_ pointer: UnsafeMutableRawPointer?, _ count: UInt, _ size: UInt)
    -> UnsafeMutableRawPointer? {
    MallocFamily.reallocateArray(Address(pointer), count: count, size: size)
}

@_cdecl("swiftgc_posix_memalign")
public func swiftgc_posix_memalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ alignment: UInt,
                                   _ size: UInt) -> Int32 {
    MallocFamily.posixMemalign(result, alignment: alignment, size: size)
}

@_cdecl("swiftgc_aligned_alloc")
public func swiftgc_aligned_alloc(_ alignment: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
    MallocFamily.memalign(alignment: alignment, size: size)
}

@_cdecl("swiftgc_memalign")
public func swiftgc_memalign(_ alignment: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
    MallocFamily.memalign(alignment: alignment, size: size)
}

@_cdecl("swiftgc_valloc")
public func swiftgc_valloc(_ size: UInt) -> UnsafeMutableRawPointer? {
    MallocFamily.allocateAligned(alignment: OS.systemPageSize, size: size)
}

@_cdecl("swiftgc_pvalloc")
public func swiftgc_pvalloc(_ size: UInt) -> UnsafeMutableRawPointer? {
    MallocFamily.pageAlignedWholePages(size)
}

@_cdecl("swiftgc_malloc_usable_size")
public func swiftgc_malloc_usable_size(_ pointer: UnsafeMutableRawPointer?) -> UInt {
    MallocFamily.usableSize(of: Address(pointer))
}
#endif
