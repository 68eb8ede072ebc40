import _CSwiftGC

// The front end the library is built with, for the engine's initialisation
// (swiftgc_configure_front_end in _CSwiftGC.h): the collecting gc_* API
// keeps the default policy; the preload library installs its modes'. Not
// exported from the library (the version scripts keep swiftgc_* local).

@_cdecl("swiftgc_configure_front_end")
func configureFrontEnd(_ state: UnsafeMutableRawPointer?) {
    #if SWIFTGC_PRELOAD
    MallocFamily.configure(state.unsafelyUnwrapped.assumingMemoryBound(to: CollectorState.self))
    #endif
}
