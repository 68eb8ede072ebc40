/// The heap's process-wide variables (see Collector/CollectorGlobals.swift
/// for the list of every layer's); each says why it is not in the state.

/// The value malloc mode's free writes into the second word of a block it
/// keeps in a ring, so that a second free of it is noticed; set once at
/// initialisation (RecentlyFreedBlocks.chooseKey), 0 in other modes. A
/// global because malloc mode's lock-free free and realloc compare every
/// block against it before they need the state.
nonisolated(unsafe) var recentlyFreedKey: UInt = 0
