import GCCore

extension GC {
    /// A region of memory whose objects are all freed at once, when the
    /// ``GC/withArena(_:)`` closure that made it returns. Objects are
    /// bumped out of chunks of the collected heap. What they point to stays
    /// alive while the arena lives (arena memory is scanned like a root),
    /// but the collector never frees an arena object itself.
    ///
    /// Use an arena on one thread at a time, and do not keep it, or
    /// pointers into it, past the closure: with `SWIFTGC_ARENA_CHECK=1` the
    /// collector looks for such pointers when the arena ends, reports them
    /// and keeps the memory out of reuse. Corresponds to `gc_arena *`.
    public struct Arena {
        let raw: UnsafeMutableRawPointer

        /// `byteCount` zeroed bytes, 16-byte aligned, scanned for pointers
        /// to collected memory. Corresponds to `gc_arena_malloc`.
        ///
        /// - Returns: the start of the new object. Traps if memory is exhausted.
        public func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
            precondition(byteCount >= 0, "GC.Arena.allocate: byteCount must not be negative")
            guard let pointer = GCCore.gc_arena_malloc(raw, UInt(byteCount)) else {
                fatalError("SwiftGC: out of memory allocating \(byteCount) bytes in an arena")
            }
            return pointer
        }

        /// `byteCount` bytes that are never scanned and not zeroed.
        /// Corresponds to `gc_arena_malloc_atomic`.
        public func allocateAtomic(byteCount: Int) -> UnsafeMutableRawPointer {
            precondition(byteCount >= 0, "GC.Arena.allocateAtomic: byteCount must not be negative")
            guard let pointer = GCCore.gc_arena_malloc_atomic(raw, UInt(byteCount)) else {
                fatalError("SwiftGC: out of memory allocating \(byteCount) atomic bytes in an arena")
            }
            return pointer
        }

        /// Zeroed, scanned memory for `capacity` values of `type`, bound to
        /// it. `T` must be bitwise-copyable (nothing is deinitialized when
        /// the arena ends); alignments up to 16 bytes are supported.
        public func allocate<T: BitwiseCopyable>(_ type: T.Type, capacity: Int) -> UnsafeMutablePointer<T> {
            precondition(capacity >= 0, "GC.Arena.allocate: capacity must not be negative")
            precondition(MemoryLayout<T>.alignment <= 16,
                         "GC.Arena.allocate: alignments above 16 bytes are not supported")
            let (byteCount, overflow) = MemoryLayout<T>.stride.multipliedReportingOverflow(by: capacity)
            precondition(!overflow, "GC.Arena.allocate: capacity × stride overflows")
            return allocate(byteCount: byteCount).bindMemory(to: T.self, capacity: capacity)
        }

        /// Frees every object of the arena now, keeping its memory for the
        /// objects allocated next. Corresponds to `gc_arena_reset`.
        public func reset() {
            GCCore.gc_arena_reset(raw)
        }

        /// The number of words in roots and reachable collected memory that
        /// still point into the arena; up to 10 are described on stderr.
        /// Corresponds to `gc_arena_check`.
        public func pointersIntoArena() -> Int {
            Int(GCCore.gc_arena_check(raw))
        }
    }

    /// Runs `body` with a new arena and destroys the arena when `body`
    /// returns or throws (the shape of `letregion ρ in e`). With
    /// `SWIFTGC_ARENA_CHECK=1` the arena is checked for pointers into it
    /// first. Corresponds to `gc_arena_create` and `gc_arena_destroy`.
    ///
    /// Traps if no arena can be created (memory exhausted).
    public static func withArena<Result>(_ body: (Arena) throws -> Result) rethrows -> Result {
        guard let raw = GCCore.gc_arena_create() else { fatalError("SwiftGC: out of memory creating an arena") }
        defer { GCCore.gc_arena_destroy(raw) }
        return try body(Arena(raw: raw))
    }
}
