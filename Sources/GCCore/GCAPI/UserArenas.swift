import _CSwiftGC

/// The operations behind gc_arena_*: creation, bump allocation (fast path
/// inline and lock-free, slow path under the lock), reset, destroy and the
/// check, with the misuse reports of each. The chunks are managed in
/// Heap/Heap+UserArenas.swift; the check is Collector/UserArenaCheck.swift.
enum UserArenas {
    /// gc_arena_create. Registers the calling thread, whose stack may hold
    /// the only pointers to what it puts in the arena.
    static func create() -> UnsafeMutableRawPointer? {
        guard let state = CollectorState.shared() else { return Allocation.outOfMemory() }
        state.lock()
        defer { state.unlock() }
        guard ThreadLifecycle.registerCurrentThread(state) != nil,
              let arena = state.pointee.heap.makeUserArena() else { return Allocation.outOfMemory() }
        return UnsafeMutableRawPointer(arena)
    }

    /// The live arena record at `pointer`, read only after the pointer is
    /// found to lie in the metadata, aligned as records are. Nil for
    /// anything else; the slow path says which.
    @inline(__always) static func liveArena(_ pointer: UnsafeMutableRawPointer?) -> UnsafeMutablePointer<UserArena>? {
        let address = UInt(bitPattern: pointer)
        let range = userArenaRecordRange
        guard address &- range.low < range.bytes, address & (UserArena.recordAlignment &- 1) == 0 else { return nil }
        let arena = pointer.unsafelyUnwrapped.assumingMemoryBound(to: UserArena.self)
        return arena.pointee.identity == UserArena.liveIdentity ? arena : nil
    }

    /// gc_arena_malloc and gc_arena_malloc_atomic: a bump in the lane's
    /// current chunk, or the slow path.
    @inline(__always) static func allocate(_ pointer: UnsafeMutableRawPointer?, byteCount: UInt,
                                           isScanned: Bool) -> UnsafeMutableRawPointer? {
        if let arena = liveArena(pointer), let bytes = UserArena.objectBytes(byteCount) {
            let object = isScanned ? arena.pointee.scanned.bump(bytes) : arena.pointee.atomic.bump(bytes)
            if let object { return object }
        }
        return allocateSlowly(pointer, byteCount: byteCount, isScanned: isScanned)
    }

    @inline(never) static func allocateSlowly(_ pointer: UnsafeMutableRawPointer?, byteCount: UInt,
                                              isScanned: Bool) -> UnsafeMutableRawPointer? {
        let function: StaticString = isScanned ? "gc_arena_malloc" : "gc_arena_malloc_atomic"
        guard let state = collectorState else {
            reportMisuse(function, pointer)
            return nil
        }
        state.lock()
        defer { state.unlock() }
        guard let arena = validArena(pointer, function: function, state) else { return nil }
        guard let bytes = UserArena.objectBytes(byteCount), bytes <= state.pointee.heapLimit,
              bytes <= state.pointee.region.arenaBytes else { return Allocation.outOfMemory() }
        if state.stressCollectionIsDue() { state.collect() }
        _ = ThreadLifecycle.registerCurrentThread(state)
        let heapLimit = state.pointee.heapLimit
        if let object = state.pointee.heap.allocateInNewUserArenaChunk(arena, bytes: bytes, isScanned: isScanned,
                                                                       heapLimit: heapLimit) {
            return object
        }
        guard state.collectsWhenOutOfMemory else { return Allocation.outOfMemory() }
        state.collect()
        return state.pointee.heap.allocateInNewUserArenaChunk(arena, bytes: bytes, isScanned: isScanned,
                                                              heapLimit: heapLimit) ?? Allocation.outOfMemory()
    }

    /// gc_arena_reset: with SWIFTGC_ARENA_CHECK=1 the check runs first, and
    /// an arena still pointed into keeps nothing: its chunks are
    /// quarantined and it starts again empty.
    static func reset(_ pointer: UnsafeMutableRawPointer?) {
        guard let state = collectorState else { return reportMisuse("gc_arena_reset", pointer) }
        state.lock()
        defer { state.unlock() }
        guard let arena = validArena(pointer, function: "gc_arena_reset", state) else { return }
        if isPointedIntoWhenChecked(arena, function: "gc_arena_reset", state) {
            state.pointee.heap.releaseUserArenaChunks(arena, quarantining: true)
        } else {
            state.pointee.heap.resetUserArena(arena)
        }
    }

    /// gc_arena_destroy: the chunks go back (or into quarantine, as for
    /// reset), then the record is retired.
    static func destroy(_ pointer: UnsafeMutableRawPointer?) {
        guard let state = collectorState else { return reportMisuse("gc_arena_destroy", pointer) }
        state.lock()
        defer { state.unlock() }
        guard let arena = validArena(pointer, function: "gc_arena_destroy", state) else { return }
        let quarantines = isPointedIntoWhenChecked(arena, function: "gc_arena_destroy", state)
        state.pointee.heap.releaseUserArenaChunks(arena, quarantining: quarantines)
        state.pointee.heap.retireUserArena(arena)
    }

    /// gc_arena_check: the number of words pointing into the arena.
    static func check(_ pointer: UnsafeMutableRawPointer?) -> UInt {
        guard let state = collectorState else {
            reportMisuse("gc_arena_check", pointer)
            return 0
        }
        state.lock()
        defer { state.unlock() }
        guard let arena = validArena(pointer, function: "gc_arena_check", state) else { return 0 }
        return state.countPointers(into: arena, function: "gc_arena_check")
    }

    /// With SWIFTGC_ARENA_CHECK=1: whether words still point into `arena`
    /// (reported, then one line saying the memory is quarantined; or an
    /// abort under SWIFTGC_ABORT_ON_ERROR=1).
    private static func isPointedIntoWhenChecked(_ arena: UnsafeMutablePointer<UserArena>, function: StaticString,
                                                 _ state: UnsafeMutablePointer<CollectorState>) -> Bool {
        guard state.pointee.options.isEnabled(.arenaCheck) else { return false }
        let count = state.countPointers(into: arena, function: function)
        guard count > 0 else { return false }
        reportLine { message in
            message.append(function)
            message.append("(")
            message.append(address: Address(UInt(bitPattern: arena)))
            message.append("): ")
            message.append(decimal: UInt64(count))
            message.append(" words still point into the arena; its memory is quarantined")
            message.append(" (reads as zeros, never reused)")
        }
        if state.pointee.options.isEnabled(.abortOnError) { OS.abortProcess() }
        return true
    }

    // MARK: Misuse

    /// The live arena at `pointer`, or one misuse line saying what it is
    /// instead. The caller holds the lock (records change only under it).
    private static func validArena(_ pointer: UnsafeMutableRawPointer?, function: StaticString,
                                   _ state: UnsafeMutablePointer<CollectorState>) -> UnsafeMutablePointer<UserArena>? {
        if let arena = liveArena(pointer) { return arena }
        reportMisuse(function, pointer)
        return nil
    }

    private static func reportMisuse(_ function: StaticString, _ pointer: UnsafeMutableRawPointer?) {
        let address = Address(UInt(bitPattern: pointer))
        if pointer == nil {
            Misuse.report(function, address, "the arena is NULL")
        } else if isDestroyedArena(pointer) {
            Misuse.report(function, address, "the arena was already destroyed")
        } else {
            Misuse.report(function, address, "pointer is not an arena from gc_arena_create")
        }
    }

    private static func isDestroyedArena(_ pointer: UnsafeMutableRawPointer?) -> Bool {
        let address = UInt(bitPattern: pointer)
        let range = userArenaRecordRange
        guard address &- range.low < range.bytes, address & (UserArena.recordAlignment &- 1) == 0 else { return false }
        return pointer.unsafelyUnwrapped.assumingMemoryBound(to: UserArena.self).pointee.identity
            == UserArena.destroyedIdentity
    }
}
