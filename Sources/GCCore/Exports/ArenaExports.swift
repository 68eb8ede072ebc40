import _CSwiftGC

// The arena functions of swiftgc.h (gc_arena_*). Each converts its
// arguments and forwards to GCAPI/UserArenas.swift; the contracts are in
// include/swiftgc.h.

@_cdecl("gc_arena_create")
public func gc_arena_create() -> UnsafeMutableRawPointer? {
    UserArenas.create()
}

@_cdecl("gc_arena_malloc")
public func gc_arena_malloc(_ arena: UnsafeMutableRawPointer?, _ size: UInt) -> UnsafeMutableRawPointer? {
    UserArenas.allocate(arena, byteCount: size, isScanned: true)
}

@_cdecl("gc_arena_malloc_atomic")
public func gc_arena_malloc_atomic(_ arena: UnsafeMutableRawPointer?, _ size: UInt) -> UnsafeMutableRawPointer? {
    UserArenas.allocate(arena, byteCount: size, isScanned: false)
}

@_cdecl("gc_arena_reset")
public func gc_arena_reset(_ arena: UnsafeMutableRawPointer?) {
    UserArenas.reset(arena)
}

@_cdecl("gc_arena_destroy")
public func gc_arena_destroy(_ arena: UnsafeMutableRawPointer?) {
    UserArenas.destroy(arena)
}

@_cdecl("gc_arena_check")
public func gc_arena_check(_ arena: UnsafeMutableRawPointer?) -> UInt {
    Stacks.clearUnusedStack()
    return UserArenas.check(arena)
}
