import _CSwiftGC

// Settings and queries of swiftgc.h that the bdwgc layer also needs. Each
// function converts its arguments and forwards.

@_cdecl("gc_set_max_heap_size")
public func gc_set_max_heap_size(_ bytes: UInt) {
    guard let state = CollectorState.shared() else { return }
    state.lock()
    state.pointee.heapLimit = bytes == 0 ? UInt.max : bytes
    state.unlock()
}

@_cdecl("gc_is_disabled")
public func gc_is_disabled() -> Int32 {
    guard let state = CollectorState.shared() else { return 0 }
    return state.pointee.disableCount > 0 ? 1 : 0
}

@_cdecl("gc_get_suspend_signal")
public func gc_get_suspend_signal() -> Int32 {
    guard let state = CollectorState.shared() else { return -1 }
    return Int32(truncatingIfNeeded: state.pointee.options[.suspendSignal])
}

@_cdecl("gc_get_restart_signal")
public func gc_get_restart_signal() -> Int32 {
    guard let state = CollectorState.shared() else { return -1 }
    return Int32(truncatingIfNeeded: state.pointee.options[.restartSignal])
}

@_cdecl("gc_concurrent_cycles")
public func gc_concurrent_cycles() -> UInt64 {
    guard let state = CollectorState.shared() else { return 0 }
    state.lock()
    defer { state.unlock() }
    return state.pointee.concurrent.isAvailable ? state.pointee.concurrent.cycles : 0
}

@_cdecl("gc_enable_concurrent")
public func gc_enable_concurrent() -> Int32 {
    guard let state = CollectorState.shared() else { return 0 }
    state.lock()
    defer { state.unlock() }
    return state.enableConcurrentMarking() ? 1 : 0
}

@_cdecl("gc_is_concurrent")
public func gc_is_concurrent() -> Int32 {
    guard let state = CollectorState.shared() else { return 0 }
    return state.pointee.concurrent.isAvailable ? 1 : 0
}

@_cdecl("gc_collect_a_little")
public func gc_collect_a_little() -> Int32 {
    guard let state = CollectorState.shared() else { return 0 }
    state.lock()
    defer { state.unlock() }
    return state.doSliceOfCollection() ? 1 : 0
}
