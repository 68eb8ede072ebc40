import _CSwiftGC

// The dirty-page query of swiftgc.h: converts and forwards.

@_cdecl("gc_dirty_pages_backend")
public func gc_dirty_pages_backend() -> UnsafePointer<CChar> {
    let options = CollectorState.shared()?.pointee.options ?? Options.fromEnvironment()
    return DirtyPages.probeOnce(requested: options.dirtyPageRequest,
                                refusingUserfaultfd: options.isEnabled(.refuseUserfaultfd)).cName
}
