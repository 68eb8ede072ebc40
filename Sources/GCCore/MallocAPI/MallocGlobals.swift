/// The malloc front end's process-wide variables (see
/// Collector/CollectorGlobals.swift for the list of every layer's). Each is
/// read on a path that runs for every malloc or free without the heap lock
/// and, mostly, before it has the state pointer: as a global it costs one
/// load from a fixed address, where the state would cost two dependent
/// ones. What the front end keeps otherwise is in CollectorState (the
/// policy, Heap's counters) or in leak-check's own reservation.

/// The mode SWIFTGC_MODE selected, set once at initialisation (before the
/// state is published). Tested by malloc, free and realloc.
nonisolated(unsafe) var preloadMode: PreloadMode = .malloc

/// The kind of every block malloc hands out: atomic in malloc mode, where
/// nothing is scanned or collected, normal (scanned) in the other modes.
/// Set with `preloadMode`; indexes the cache entry on malloc's fast path.
nonisolated(unsafe) var mallocObjectKind: ObjectKind = .atomic

/// Leak-check's own reservation (LeakCheckState), set once by
/// `LeakCheck.start`; nil outside leak-check mode. Every allocation records
/// its stack through it.
nonisolated(unsafe) var leakCheckState: UnsafeMutablePointer<LeakCheckState>? = nil

extension Quarantine {
    /// Bytes of quarantined blocks, less the threads' unadded tallies;
    /// updated atomically by free, recounted by each collection.
    nonisolated(unsafe) static var quarantinedBytes: UInt64 = 0
    /// quarantinedBytes at which free asks whether to collect: what the
    /// last collection left quarantined plus a budget (Pacing). Read by
    /// free without the lock, written under it.
    nonisolated(unsafe) static var limit: UInt64 = 4 << 20
    /// Collections done, which dates each thread's tally; read by every
    /// free, written by the collection with the world stopped.
    nonisolated(unsafe) static var collectionCount: UInt64 = 0
    /// Bytes the last collection left quarantined (still pointed to).
    /// Under the lock; kept with the counters it sets the limit from, since
    /// CollectorState names no front end.
    nonisolated(unsafe) static var bytesKeptByLastCollection: UInt64 = 0
}
