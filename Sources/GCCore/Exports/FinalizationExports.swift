import _CSwiftGC

// Finalizers and weak links of swiftgc.h. Each function converts its
// arguments and forwards; the contracts are documented in include/swiftgc.h.

@_cdecl("gc_register_finalizer")
public func gc_register_finalizer(_ object: UnsafeMutableRawPointer?, _ function: gc_finalizer?,
                                  _ data: UnsafeMutableRawPointer?) {
    gc_register_finalizer_with_order(object, function, data, 0, nil, nil)
}

@_cdecl("gc_register_finalizer_with_order")
public func gc_register_finalizer_with_order(_ object: UnsafeMutableRawPointer?, _ function: gc_finalizer?,
                                             _ data: UnsafeMutableRawPointer?, _ order: Int32,
                                             _ previousFunction: UnsafeMutablePointer<gc_finalizer?>?,
                                             _ previousData: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) {
    guard let state = CollectorState.shared() else { return }
    let previous = state.registerFinalizer(object: Address(object), function: function, data: Address(data),
                                           order: FinalizationOrder(rawValue: UInt(UInt32(bitPattern: order)))
                                               ?? .topological)
    previousFunction?.pointee = previous.previous
    previousData?.pointee = previous.previousData.pointer
}

@_cdecl("gc_run_finalizers")
public func gc_run_finalizers() -> Int32 {
    guard let state = collectorState else { return 0 }
    return Int32(clamping: state.runReadyFinalizers())
}

@_cdecl("gc_pending_finalizers")
public func gc_pending_finalizers() -> UInt {
    guard let state = collectorState else { return 0 }
    return UInt(state.pointee.finalization.ready.count)
}

@_cdecl("gc_finalize_all")
public func gc_finalize_all() {
    guard let state = collectorState else { return }
    state.queueAllFinalizers()
    _ = state.runReadyFinalizers()
}

@_cdecl("gc_set_finalize_on_demand")
public func gc_set_finalize_on_demand(_ isOnDemand: Int32) {
    guard let state = CollectorState.shared() else { return }
    state.pointee.finalization.runsOnlyOnDemand = isOnDemand != 0
}

@_cdecl("gc_get_finalize_on_demand")
public func gc_get_finalize_on_demand() -> Int32 {
    guard let state = CollectorState.shared() else { return 0 }
    return state.pointee.finalization.runsOnlyOnDemand ? 1 : 0
}

@_cdecl("gc_set_finalizer_notifier")
public func gc_set_finalizer_notifier(_ notifier: (@convention(c) () -> Void)?) {
    guard let state = CollectorState.shared() else { return }
    state.pointee.finalization.notifier = notifier
}

@_cdecl("gc_get_finalizer_notifier")
public func gc_get_finalizer_notifier() -> (@convention(c) () -> Void)? {
    CollectorState.shared()?.pointee.finalization.notifier
}

@_cdecl("gc_register_weak_link")
public func gc_register_weak_link(_ link: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                  _ object: UnsafeRawPointer?) -> Int32 {
    guard let state = CollectorState.shared() else { return RegistrationResult.noMemory.rawValue }
    return state.registerWeakLink(Address(UnsafeRawPointer(link)), target: Address(object), isLong: false).rawValue
}

@_cdecl("gc_register_long_weak_link")
public func gc_register_long_weak_link(_ link: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                       _ object: UnsafeRawPointer?) -> Int32 {
    guard let state = CollectorState.shared() else { return RegistrationResult.noMemory.rawValue }
    return state.registerWeakLink(Address(UnsafeRawPointer(link)), target: Address(object), isLong: true).rawValue
}

@_cdecl("gc_unregister_weak_link")
public func gc_unregister_weak_link(_ link: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guard let state = collectorState else { return 0 }
    return state.unregisterWeakLink(Address(UnsafeRawPointer(link)), isLong: false) ? 1 : 0
}

@_cdecl("gc_unregister_long_weak_link")
public func gc_unregister_long_weak_link(_ link: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guard let state = collectorState else { return 0 }
    return state.unregisterWeakLink(Address(UnsafeRawPointer(link)), isLong: true) ? 1 : 0
}

@_cdecl("gc_move_weak_link")
public func gc_move_weak_link(_ link: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                              _ newLink: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guard let state = collectorState else { return RegistrationResult.notFound.rawValue }
    return state.moveWeakLink(Address(UnsafeRawPointer(link)), to: Address(UnsafeRawPointer(newLink)),
                              isLong: false).rawValue
}

@_cdecl("gc_move_long_weak_link")
public func gc_move_long_weak_link(_ link: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                   _ newLink: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32 {
    guard let state = collectorState else { return RegistrationResult.notFound.rawValue }
    return state.moveWeakLink(Address(UnsafeRawPointer(link)), to: Address(UnsafeRawPointer(newLink)),
                              isLong: true).rawValue
}
