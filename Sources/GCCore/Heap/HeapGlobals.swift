/// The heap's process-wide variables (see Collector/CollectorGlobals.swift
/// for the list of every layer's); each says why it is not in the state.

/// The value malloc mode's free writes into the second word of a block it
/// keeps in a ring, so that a second free of it is noticed; set once at
/// initialisation (RecentlyFreedBlocks.chooseKey), 0 in other modes. A
/// global because malloc mode's lock-free free and realloc compare every
/// block against it before they need the state.
nonisolated(unsafe) var recentlyFreedKey: UInt = 0

/// The collector's metadata range, where every user arena record lives
/// (Heap/UserArena.swift); set once at initialisation, zero before. A
/// global because gc_arena_malloc's fast path checks the pointer it is
/// given against it before reading the record, without loading the state.
nonisolated(unsafe) var userArenaRecordRange: (low: UInt, bytes: UInt) = (0, 0)
