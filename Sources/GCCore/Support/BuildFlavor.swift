/// What differs between the libraries at compile time: the constants that
/// must stay static because hot paths read them (a `let` with a literal
/// value folds into the code that reads it, so the allocation fast path
/// pays no load for it).
///
/// This is the only `#if SWIFTGC_PRELOAD` below the front ends (MallocAPI/
/// and Exports/ hold the others). Behaviour that a mode chooses at run time
/// goes through `CollectionPolicy` instead.
enum BuildFlavor {
    #if SWIFTGC_PRELOAD
    /// Built as libswiftgc-preload.so, the malloc replacement.
    static let isMallocReplacement = true
    /// malloc promises nothing one past the end, and a padding byte would
    /// push every power-of-two request up a size class.
    static let objectPaddingBytes: UInt = 0
    /// A real-time signal programs rarely use: the preload library runs
    /// programs that were not written for a collector, and some handle
    /// SIGXCPU themselves (xz exits on it).
    static let defaultRestartSignal: UInt64 = 63
    #else
    static let isMallocReplacement = false
    /// A pointer one past the requested end still points into the object.
    static let objectPaddingBytes: UInt = 1
    /// SIGXCPU, as bdwgc.
    static let defaultRestartSignal: UInt64 = 24
    #endif
}
