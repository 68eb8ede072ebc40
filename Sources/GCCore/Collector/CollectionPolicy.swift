import _CSwiftGC

/// How a front end changes what the engine does: the only seam between the
/// collection cycle and the modes of the preload library. The engine calls
/// these hooks at fixed points of the cycle (see `CollectionCycle`) and
/// knows nothing else of the modes; `collecting`, the gc_* library's
/// policy, leaves every collection as the engine runs it.
///
/// Hooks are C function pointers (no existentials, nothing allocated), and
/// take the state or the cycle as a raw pointer because a C function
/// pointer cannot name Swift types. Each is called from one place:
///
/// | Hook | Called | Lock, world |
/// |---|---|---|
/// | `replacesRequestedCollection` | gc_collect, first | no lock |
/// | `replacesCollection` | before a collection starts | heap lock, running |
/// | `afterMarking` | once the closure of the roots is marked | heap lock, stopped |
/// | `beforeSweep` | after finalization, verification and pinning | heap lock, stopped |
/// | `threadWillExit` | an exiting thread, before it unregisters | no lock |
///
/// The policy is installed once, before the state is published: the
/// state's initialisation calls `swiftgc_configure_front_end`, which the
/// library's front end defines (Exports/FrontEndExports.swift), so the
/// engine names no front end. Hooks are read without the lock afterwards.
struct CollectionPolicy {
    typealias StateQuestion = @convention(c) (_ state: UnsafeMutableRawPointer) -> Bool

    /// gc_collect was called: true when the mode did something else
    /// instead (leak-check prints a report of new leaks).
    var replacesRequestedCollection: StateQuestion = { _ in false }
    /// A collection is about to run: true when the mode skips it (malloc
    /// mode never collects; leak-check only for its reports).
    var replacesCollection: StateQuestion = { _ in false }
    /// Marking has reached the closure of the roots (`CollectionCycle`,
    /// as a raw pointer): false when the mode has used the marks itself
    /// and nothing may be finalized or swept (leak-check classifies
    /// blocks). The cycle then clears the marks and restarts the world.
    var afterMarking: @convention(c) (_ cycle: UnsafeMutableRawPointer) -> Bool = { _ in true }
    /// The sweep is next: the mode may set more mark bits, so that the
    /// sweep keeps those objects (safe-free keeps blocks never freed and
    /// drains its quarantine).
    var beforeSweep: @convention(c) (_ state: UnsafeMutableRawPointer) -> Void = { _ in }
    /// The calling thread is exiting; `cache` is its thread cache (malloc
    /// mode frees the blocks its rings hold).
    var threadWillExit: @convention(c) (_ state: UnsafeMutableRawPointer,
                                        _ cache: UnsafeMutableRawPointer) -> Void = { _, _ in }

    /// Whether anonymous private writable mappings are roots besides data
    /// segments (the preload's collecting modes: the whole C heap is ours,
    /// so programs keep pointers anywhere they map memory).
    var anonymousMappingsAreRoots = false
    /// A mapping of a front end's own, outside the region, that holds no
    /// pointers and is never a root (leak-check's stack tables).
    var pointerFreeMapping: (start: UInt, end: UInt) = (0, 0)
    /// Whether allocation starts a collection once the heap has grown by
    /// the budget (Pacing). False in safe-free mode, where the quarantine
    /// filling up starts them (and running out of memory, as in every mode).
    var collectsAsHeapGrows = true
    /// Whether collections may mark mostly concurrently (ConcurrentCycle)
    /// when SWIFTGC_CONCURRENT asks for it. False in the preload: its roots
    /// include every anonymous mapping, which no dirty-page record covers.
    var allowsConcurrentMarking = true

    /// The gc_* library's policy: every hook leaves the cycle as it is.
    static var collecting: CollectionPolicy { CollectionPolicy() }
}
