/// The engine's process-wide variables. Everything else the collector
/// knows is in `CollectorState`, the state root; each variable here says
/// why it cannot be there. (Every layer that has such variables lists them
/// in one file: Heap/HeapGlobals.swift, MallocAPI/MallocGlobals.swift.)
///
/// Written once (at initialisation) unless noted; fork keeps them as they
/// are, which is right for each.

/// The state root, nil until the first call that needs it maps the region
/// (CollectorState.shared). Published last, after the state and the
/// front end's policy are set up, so a thread that sees it sees them.
nonisolated(unsafe) var collectorState: UnsafeMutablePointer<CollectorState>? = nil

/// Whether the failure to reserve the heap has been reported; when it is
/// set there is no state to hold it. Written under the initialisation lock.
nonisolated(unsafe) var hasReportedReservationFailure = false
