/// What libswiftgc-preload.so does with the memory of the program's malloc
/// (SWIFTGC_MODE). libswiftgc.so reads the option but has no use for it.
enum PreloadMode: UInt8 {
    /// A general-purpose allocator: free frees at once, nothing is collected.
    case malloc = 0
    /// Leak plugging: unreachable blocks never freed are collected; free frees.
    case collect = 1
    /// free does nothing; the collector reclaims every unreachable block.
    case ignoreFree = 2
    /// Nothing is reclaimed automatically; unreachable blocks never freed are
    /// reported at exit (and at each gc_collect).
    case leakCheck = 3
    /// free quarantines the block until a collection proves it unreachable;
    /// blocks never freed are never reclaimed, as with malloc.
    case safeFree = 4

    /// Whether the collector runs on its own (safe-free: when the
    /// quarantine fills up, not as the heap grows).
    var collectsAutomatically: Bool { self == .collect || self == .ignoreFree || self == .safeFree }
}
