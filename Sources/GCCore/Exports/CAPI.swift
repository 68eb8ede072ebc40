import _CSwiftGC

// The C API of swiftgc.h. Each function converts its arguments and forwards;
// the contracts are documented in include/swiftgc.h.

@_cdecl("gc_malloc")
public func gc_malloc(_ size: UInt) -> UnsafeMutableRawPointer? {
    Allocation.allocate(byteCount: size, kind: .normal)
}

@_cdecl("gc_malloc_atomic")
public func gc_malloc_atomic(_ size: UInt) -> UnsafeMutableRawPointer? {
    Allocation.allocate(byteCount: size, kind: .atomic)
}

@_cdecl("gc_malloc_uncollectable")
public func gc_malloc_uncollectable(_ size: UInt) -> UnsafeMutableRawPointer? {
    Allocation.allocate(byteCount: size, kind: .uncollectable)
}

@_cdecl("gc_calloc")
public func gc_calloc(_ count: UInt, _ size: UInt) -> UnsafeMutableRawPointer? {
    Allocation.allocateZeroed(count: count, size: size)
}

@_cdecl("gc_realloc")
public func gc_realloc(_ pointer: UnsafeMutableRawPointer?, _ size: UInt) -> UnsafeMutableRawPointer? {
    Allocation.reallocate(Address(pointer), byteCount: size)
}

@_cdecl("gc_free")
public func gc_free(_ pointer: UnsafeMutableRawPointer?) {
    Allocation.free(Address(pointer))
}

@_cdecl("gc_base")
public func gc_base(_ pointer: UnsafeRawPointer?) -> UnsafeMutableRawPointer? {
    Allocation.base(of: Address(pointer)).pointer
}

@_cdecl("gc_size")
public func gc_size(_ pointer: UnsafeRawPointer?) -> UInt {
    Allocation.callerBytes(of: Address(pointer))
}

@_cdecl("gc_collect")
public func gc_collect() {
    Stacks.clearUnusedStack()
    Control.collect()
}

@_cdecl("gc_add_roots")
public func gc_add_roots(_ start: UnsafeMutableRawPointer?, _ end: UnsafeMutableRawPointer?) {
    Control.addRoots(low: Address(start), high: Address(end))
}

@_cdecl("gc_remove_roots")
public func gc_remove_roots(_ start: UnsafeMutableRawPointer?, _ end: UnsafeMutableRawPointer?) {
    Control.removeRoots(low: Address(start), high: Address(end))
}

@_cdecl("gc_disable")
public func gc_disable() {
    Control.disable()
}

@_cdecl("gc_enable")
public func gc_enable() {
    Control.enable()
}

@_cdecl("gc_get_stats")
public func gc_get_stats(_ out: UnsafeMutablePointer<gc_stats>?) {
    Control.statistics(into: out)
}
