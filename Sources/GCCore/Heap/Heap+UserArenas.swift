import _CSwiftGC

/// The heap's side of user arenas (UserArena.swift): records, chunks, and
/// freeing everything at once. Everything here runs under the heap lock;
/// the bump fast path is in GCAPI/UserArenas.swift.
extension Heap {
    // MARK: Records

    /// A new, empty arena in the list of live ones, or nil when metadata
    /// is exhausted.
    mutating func makeUserArena() -> UnsafeMutablePointer<UserArena>? {
        let record: UnsafeMutablePointer<UserArena>
        if let reused = freeUserArenaRecords {
            freeUserArenaRecords = reused.pointee.next
            record = reused
        } else {
            guard let raw = metadata.allocate(bytes: UserArena.recordBytes, alignment: UserArena.recordAlignment) else {
                return nil
            }
            record = raw.bindMemory(to: UserArena.self, capacity: 1)
        }
        record.initialize(to: UserArena())
        record.pointee.next = userArenas
        userArenas?.pointee.previous = record
        userArenas = record
        return record
    }

    /// Takes `arena`, whose chunks are gone, out of the live list; its
    /// record says "destroyed" until it is reused.
    mutating func retireUserArena(_ arena: UnsafeMutablePointer<UserArena>) {
        if let previous = arena.pointee.previous {
            previous.pointee.next = arena.pointee.next
        } else {
            userArenas = arena.pointee.next
        }
        arena.pointee.next?.pointee.previous = arena.pointee.previous
        arena.pointee.identity = UserArena.destroyedIdentity
        arena.pointee.previous = nil
        arena.pointee.next = freeUserArenaRecords
        freeUserArenaRecords = arena
    }

    /// Calls `body` with every live arena.
    func forEachUserArena(_ body: (UnsafeMutablePointer<UserArena>) -> Void) {
        var cursor = userArenas
        while let arena = cursor {
            cursor = arena.pointee.next
            body(arena)
        }
    }

    // MARK: Chunks

    /// Allocates `bytes` (from `UserArena.objectBytes`) in `arena` when its
    /// lane's current chunk is full: in the lane's next kept chunk, in a new
    /// chunk, or, for a large request, in a chunk of its own. Nil when the
    /// heap limit or the address space is reached.
    mutating func allocateInNewUserArenaChunk(_ arena: UnsafeMutablePointer<UserArena>, bytes: UInt,
                                              isScanned: Bool, heapLimit: UInt) -> UnsafeMutableRawPointer? {
        if bytes > UserArena.largeRequestBytes {
            let pageCount = (bytes + PageMap.pageSize - 1) / PageMap.pageSize
            guard let chunk = takeUserArenaChunk(arena, pageCount: pageCount, isScanned: isScanned,
                                                 heapLimit: heapLimit) else { return nil }
            chunk.pointee.userArenaUsedBytes = bytes
            chunk.pointee.next = arena.pointee.largeChunks
            arena.pointee.largeChunks = chunk
            return chunk.pointee.start.pointer
        }
        return withLane(of: arena, isScanned: isScanned) { lane in
            if let current = lane.pointee.current {
                current.pointee.userArenaUsedBytes = lane.pointee.top &- current.pointee.start.value
            }
            let kept = lane.pointee.current == nil ? lane.pointee.first : lane.pointee.current!.pointee.next
            let chunk: UnsafeMutablePointer<Span>
            if let kept {
                chunk = kept
            } else {
                let pageCount = arena.pointee.nextChunkPages
                guard let new = takeUserArenaChunk(arena, pageCount: pageCount, isScanned: isScanned,
                                                   heapLimit: heapLimit) else { return nil }
                arena.pointee.nextChunkPages = min(pageCount * 2, UserArena.largestChunkPages)
                new.pointee.next = nil
                if let current = lane.pointee.current { current.pointee.next = new } else { lane.pointee.first = new }
                chunk = new
            }
            lane.pointee.current = chunk
            lane.pointee.top = chunk.pointee.start.value
            lane.pointee.end = chunk.pointee.end.value
            return lane.pointee.bump(bytes)
        }
    }

    private func withLane<LaneResult>(of arena: UnsafeMutablePointer<UserArena>, isScanned: Bool,
                                  _ body: (UnsafeMutablePointer<UserArenaLane>) -> LaneResult) -> LaneResult {
        isScanned ? withUnsafeMutablePointer(to: &arena.pointee.scanned, body)
                  : withUnsafeMutablePointer(to: &arena.pointee.atomic, body)
    }

    /// A chunk of `pageCount` pages for `arena`, in the page map, zeroed if
    /// it will be scanned; nil when no memory is left.
    private mutating func takeUserArenaChunk(_ arena: UnsafeMutablePointer<UserArena>, pageCount: UInt,
                                             isScanned: Bool, heapLimit: UInt) -> UnsafeMutablePointer<Span>? {
        guard let chunk = pages.allocate(pageCount: pageCount, limit: heapLimit, metadata: &metadata) else {
            return nil
        }
        if isScanned && !chunk.pointee.isZeroed {
            clearUserArenaMemory(chunk.pointee.start.value, bytes: chunk.pointee.bytes)
        }
        chunk.formatUserArenaChunk(arena: UnsafeMutableRawPointer(arena), isScanned: isScanned)
        chunk.pointee.isZeroed = false
        chunk.pointee.sweptEpoch = sweepEpoch
        pages.pageMap.setEntries(for: chunk, to: chunk)
        arena.pointee.chunkBytes += chunk.pointee.bytes
        userArenaBytes += chunk.pointee.bytes
        return chunk
    }

    /// Zeroes memory of a chunk; big ranges are given back to the kernel,
    /// which supplies zero pages on touch, which is cheaper than clearing.
    private func clearUserArenaMemory(_ start: UInt, bytes: UInt) {
        guard bytes > 0 else { return }
        if bytes >= 1 << 20 {
            let pageAligned = (start &+ PageMap.pageSize &- 1) & ~(PageMap.pageSize &- 1)
            let end = start &+ bytes
            OS.decommit(UnsafeMutableRawPointer(bitPattern: pageAligned)!, bytes: end &- pageAligned)
            memset(UnsafeMutableRawPointer(bitPattern: start)!, 0, Int(pageAligned &- start))
        } else {
            memset(UnsafeMutableRawPointer(bitPattern: start)!, 0, Int(bytes))
        }
    }

    // MARK: Freeing everything

    /// gc_arena_reset: every object is freed; standard chunks stay with the
    /// arena (their used parts zeroed when scanned), large ones go back.
    mutating func resetUserArena(_ arena: UnsafeMutablePointer<UserArena>) {
        // memset, not decommit, whatever the size: the arena is about to
        // reuse the memory, and faulting every page in again costs more.
        arena.pointee.scanned.forEachChunkInUse { chunk, used in
            memset(chunk.pointee.start.pointer!, 0, Int(used))
        }
        rewind(&arena.pointee.scanned)
        rewind(&arena.pointee.atomic)
        UnsafeMutablePointer<Span>.forEachLinked(from: arena.pointee.largeChunks) { chunk in
            releaseUserArenaChunk(chunk, of: arena, returningMemory: false)
        }
        arena.pointee.largeChunks = nil
    }

    /// Puts a lane back at the start of its first chunk; every chunk it
    /// keeps is empty.
    private func rewind(_ lane: inout UserArenaLane) {
        UnsafeMutablePointer<Span>.forEachLinked(from: lane.first) { $0.pointee.userArenaUsedBytes = 0 }
        lane.current = nil
        lane.top = 0
        lane.end = 0
    }

    /// gc_arena_destroy, and reset's first step when pointers into the arena
    /// remain: every chunk leaves the arena. Kept chunks are quarantined
    /// (their memory reads as zeros and is never reused); the others go
    /// back to the page allocator, and their memory to the OS if the arena
    /// was big. The arena itself stays, with no chunks.
    mutating func releaseUserArenaChunks(_ arena: UnsafeMutablePointer<UserArena>, quarantining: Bool) {
        let returnsMemory = arena.pointee.chunkBytes >= UserArena.returnsMemoryOnDestroyBytes
        arena.forEachChunk { chunk in
            if quarantining {
                quarantineUserArenaChunk(chunk, of: arena)
            } else {
                releaseUserArenaChunk(chunk, of: arena, returningMemory: returnsMemory)
            }
        }
        arena.pointee.scanned = UserArenaLane()
        arena.pointee.atomic = UserArenaLane()
        arena.pointee.largeChunks = nil
        arena.pointee.nextChunkPages = UserArena.firstChunkPages
    }

    private mutating func releaseUserArenaChunk(_ chunk: UnsafeMutablePointer<Span>,
                                                of arena: UnsafeMutablePointer<UserArena>,
                                                returningMemory: Bool) {
        arena.pointee.chunkBytes -= chunk.pointee.bytes
        userArenaBytes -= chunk.pointee.bytes
        chunk.pointee.userArena = nil
        chunk.pointee.next = nil
        if returningMemory {
            pages.freeReturningMemory(chunk, metadata: &metadata)
        } else {
            pages.free(chunk, metadata: &metadata)
        }
    }

    /// Keeps a chunk out of use for good: no arena owns it, its memory is
    /// returned to the kernel (reads then give zeros) and it is never
    /// freed, so a dangling pointer can corrupt nothing allocated later.
    private mutating func quarantineUserArenaChunk(_ chunk: UnsafeMutablePointer<Span>,
                                                   of arena: UnsafeMutablePointer<UserArena>) {
        arena.pointee.chunkBytes -= chunk.pointee.bytes
        OS.decommit(chunk.pointee.start.pointer!, bytes: chunk.pointee.bytes)
        chunk.pointee.userArena = nil
        chunk.pointee.userArenaUsedBytes = 0
        chunk.pointee.next = nil
        quarantinedUserArenaBytes += chunk.pointee.bytes
    }
}
