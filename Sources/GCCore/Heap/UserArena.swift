/// A user arena (gc_arena_*): objects bumped out of chunks, freed only all
/// at once by gc_arena_reset or gc_arena_destroy. "User" tells it from the
/// heap part of the region, which the older code also calls the arena
/// (`PageMap.arenaStart`, `ArenaWriteTracker`).
///
/// Chunks are spans of state `.userArena` (Span.swift), taken from the page
/// allocator like any span, so the page map, gc_base and the statistics
/// know them. An arena bumps in two lanes: scanned chunks, whose used part
/// is a root of every collection (Collector/RootEnumeration.swift), and
/// atomic chunks, never scanned. A request above `largeRequestBytes` gets
/// a chunk of its own (`largeChunks`), scanned or not.
///
/// The record lives in the collector's metadata, 64-byte aligned, so that
/// the pointer a program passes can be checked before it is read:
///
///     offset  0  identity: `liveIdentity`, or `destroyedIdentity` once freed
///     offset  8  scanned lane (UserArenaLane, 32 bytes): top, end, current, first
///     offset 40  atomic lane (UserArenaLane, 32 bytes)
///     offset 72  large chunks, list links, byte counts (slow path only)
///
/// Concurrency: one thread at a time uses an arena (the program promises
/// it); its fast path reads and writes the lanes' `top` without the heap
/// lock. Everything else (chunks, the list links, the counts) changes only
/// under the heap lock, by the using thread's slow path, reset or destroy.
/// A collection reads `top` with that thread stopped, so it sees either
/// the old or the new value; between them lies only zeroed memory not yet
/// handed out.
struct UserArena {
    static let liveIdentity: UInt64 = 0x5357_4743_4152_454e // "SWGCAREN"
    static let destroyedIdentity: UInt64 = 0x5357_4743_4445_4144 // "SWGCDEAD"
    static let recordBytes: UInt = 128
    static let recordAlignment: UInt = 64
    /// Requests above this get a chunk of their own: bumping them would
    /// waste most of a standard chunk.
    static let largeRequestBytes: UInt = 32 << 10
    /// The first standard chunk's pages, and the most a chunk grows to
    /// (each new chunk doubles the last).
    static let firstChunkPages: UInt = 16
    static let largestChunkPages: UInt = 1024
    /// Destroying an arena that holds at least this much gives its pages
    /// back to the OS at once; smaller arenas' chunks stay committed for
    /// the next arena or object, as freed spans do.
    static let returnsMemoryOnDestroyBytes: UInt = 1 << 20
    /// Objects start on this boundary (malloc's).
    static let alignment: UInt = 16

    var identity: UInt64 = liveIdentity
    var scanned = UserArenaLane()
    var atomic = UserArenaLane()
    /// Chunks holding one large request each, linked through `Span.next`.
    var largeChunks: UnsafeMutablePointer<Span>? = nil
    /// Links in the heap's list of live arenas.
    var next: UnsafeMutablePointer<UserArena>? = nil
    var previous: UnsafeMutablePointer<UserArena>? = nil
    /// Bytes of the chunks it holds.
    var chunkBytes: UInt = 0
    /// Pages of the next standard chunk.
    var nextChunkPages: UInt = UserArena.firstChunkPages

    /// The bytes an object of `byteCount` takes, or nil for an impossible
    /// size. Zero bytes take one unit, so each object has its own address.
    @inline(__always) static func objectBytes(_ byteCount: UInt) -> UInt? {
        guard byteCount <= 1 << 46 else { return nil }
        return byteCount == 0 ? alignment : (byteCount &+ (alignment &- 1)) & ~(alignment &- 1)
    }
}

/// One lane of an arena: the chunk it bumps in and its list of chunks.
///
/// Invariant: `first ... current` (through `Span.next`) are the chunks in
/// use, in order; chunks after `current` are empty (kept by a reset);
/// `current.start <= top <= end == current.end`, or all are zero when the
/// lane has no chunk yet.
struct UserArenaLane {
    var top: UInt = 0
    var end: UInt = 0
    var current: UnsafeMutablePointer<Span>? = nil
    var first: UnsafeMutablePointer<Span>? = nil

    /// Bumps `bytes` (a multiple of the alignment) if the current chunk has
    /// room. No lock: only the thread using the arena writes `top`.
    @inline(__always) mutating func bump(_ bytes: UInt) -> UnsafeMutableRawPointer? {
        let start = top
        guard bytes <= end &- start else { return nil }
        top = start &+ bytes
        return UnsafeMutableRawPointer(bitPattern: start)
    }

    /// Bytes handed out from `chunk`, a chunk of this lane in use.
    func usedBytes(of chunk: UnsafeMutablePointer<Span>) -> UInt {
        chunk == current ? top &- chunk.pointee.start.value : chunk.pointee.userArenaUsedBytes
    }

    /// Calls `body` with every chunk in use and its used bytes.
    func forEachChunkInUse(_ body: (UnsafeMutablePointer<Span>, UInt) -> Void) {
        guard let current else { return }
        var cursor = first
        while let chunk = cursor {
            body(chunk, usedBytes(of: chunk))
            if chunk == current { return }
            cursor = chunk.pointee.next
        }
    }
}

extension UnsafeMutablePointer where Pointee == UserArena {
    /// Calls `body(low, high)` with the used part of every scanned chunk.
    func forEachScannedRange(_ body: (UInt, UInt) -> Void) {
        pointee.scanned.forEachChunkInUse { chunk, used in
            if used > 0 { body(chunk.pointee.start.value, chunk.pointee.start.value &+ used) }
        }
        var cursor = pointee.largeChunks
        while let chunk = cursor {
            if chunk.pointee.kind == .normal {
                body(chunk.pointee.start.value, chunk.pointee.start.value &+ chunk.pointee.userArenaUsedBytes)
            }
            cursor = chunk.pointee.next
        }
    }

    /// Calls `body` with every chunk the arena holds, used or kept empty;
    /// `body` may free the chunk (its link is read first).
    func forEachChunk(_ body: (UnsafeMutablePointer<Span>) -> Void) {
        UnsafeMutablePointer<Span>.forEachLinked(from: pointee.scanned.first, body)
        UnsafeMutablePointer<Span>.forEachLinked(from: pointee.atomic.first, body)
        UnsafeMutablePointer<Span>.forEachLinked(from: pointee.largeChunks, body)
    }
}

extension UnsafeMutablePointer where Pointee == Span {
    /// Calls `body` with each span of a list linked through `next`, reading
    /// the link before the call.
    static func forEachLinked(from head: UnsafeMutablePointer<Span>?, _ body: (UnsafeMutablePointer<Span>) -> Void) {
        var cursor = head
        while let span = cursor {
            cursor = span.pointee.next
            body(span)
        }
    }
}
