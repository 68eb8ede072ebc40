import _CSwiftGC

/// Per thread and size class, the blocks that thread freed last and has not
/// handed out again (malloc mode only): the next malloc of the class takes
/// the newest, whose cache lines the program has just touched. Reusing
/// blocks in the order they were freed (last in, first out) is what makes
/// glibc's tcache and mimalloc's local free lists fast on programs that free
/// in random order; a bitmap word hands out its lowest free slot instead,
/// often one that was freed long ago and is no longer in any CPU cache.
///
/// A held block stays allocated as far as its span knows (live bit set), so
/// no other thread claims it and its span is not released. Neither holding
/// nor handing out a block uses an atomic operation: on x86 a locked
/// instruction waits for the program's pending stores, which here are often
/// cache misses. A held block's second word holds `recentlyFreedKey`, which
/// handing it out clears; a free that finds the key takes the locked path,
/// which looks through every thread's rings (`isHeldByAnyThread`) and
/// reports a double free if the block is there. Blocks are at least 16
/// bytes, so the second word is theirs.
///
/// A thread holds at most `threadByteLimit` bytes in all its rings, so a
/// program with many threads does not keep much memory back.
///
/// Layout, in metadata after the thread cache's entries: a 64-byte header
/// whose first word counts the bytes held in all the thread's rings, then
/// one ring per size class (malloc mode's blocks are all of one kind):
///
///     offset  0  top: UInt32         pushes minus pops; the newest block is at (top - 1) mod slotCount
///     offset  4  count: UInt32       blocks held, at most `limit(objectSize:)` ≤ slotCount
///     offset  8  objectSize: UInt    the class's block size, set by the first push
///     offset 16  slots: slotCount block addresses
struct RecentlyFreedBlocks {
    static let slotCount: UInt32 = 16
    static let slotsOffset = 16
    static let recordStride = 16 + Int(slotCount) * 8
    static let headerBytes = 64
    static let storageBytes = UInt(headerBytes + recordStride * SizeClass.count)
    static let threadByteLimit: UInt = 256 * 1024

    let record: UnsafeMutableRawPointer
    /// The thread's count of bytes held in all its rings.
    let heldBytes: UnsafeMutablePointer<UInt>

    /// Picks the key for this process from `seed`, an address that
    /// address-space randomisation varies (the collector state's), mixed so
    /// it is unlikely to be a value programs store. Never 0.
    static func chooseKey(seed: UInt) {
        let mixed = (seed ^ 0x5DEE_CE66_D254_5F49) &* 0x9E37_79B9_7F4A_7C15
        recentlyFreedKey = (mixed ^ (mixed &>> 29)) | 1
    }

    /// How many blocks of a class a thread holds at most: 16, fewer for
    /// classes above 2 KiB, so that a thread holds at most 32 KiB of each.
    @inline(__always) static func limit(objectSize: UInt) -> UInt32 {
        objectSize <= 2048 ? slotCount : UInt32(truncatingIfNeeded: max(2, 32768 / objectSize))
    }

    /// Whether the block at `address` carries the key: it may be held.
    @inline(__always) static func mayHold(_ address: Address) -> Bool {
        (address.pointer.unsafelyUnwrapped + 8).load(as: UInt.self) == recentlyFreedKey
    }

    @inline(__always) var top: UInt32 {
        get { record.load(as: UInt32.self) }
        nonmutating set { record.storeBytes(of: newValue, as: UInt32.self) }
    }

    @inline(__always) var count: UInt32 {
        get { record.load(fromByteOffset: 4, as: UInt32.self) }
        nonmutating set { record.storeBytes(of: newValue, toByteOffset: 4, as: UInt32.self) }
    }

    @inline(__always) var objectSize: UInt {
        get { record.load(fromByteOffset: 8, as: UInt.self) }
        nonmutating set { record.storeBytes(of: newValue, toByteOffset: 8, as: UInt.self) }
    }

    /// Whether a block of `objectSize` bytes fits under the thread's limit.
    @inline(__always) func hasRoom(forBytes objectSize: UInt) -> Bool {
        heldBytes.pointee &+ objectSize <= RecentlyFreedBlocks.threadByteLimit
    }

    @inline(__always) private func slot(_ position: UInt32) -> UnsafeMutableRawPointer {
        record + (RecentlyFreedBlocks.slotsOffset &+ Int(position & (RecentlyFreedBlocks.slotCount &- 1)) &* 8)
    }

    /// The newest held block, handed out (its key cleared), or nil when
    /// the ring is empty.
    @inline(__always) func pop() -> UnsafeMutableRawPointer? {
        let held = count
        if held == 0 { return nil }
        let newTop = top &- 1
        top = newTop
        count = held &- 1
        heldBytes.pointee &-= objectSize
        let block = UnsafeMutableRawPointer(bitPattern: slot(newTop).load(as: UInt.self)).unsafelyUnwrapped
        (block + 8).storeBytes(of: 0, as: UInt.self)
        return block
    }

    /// Holds a freed block of `objectSize` bytes. The ring must have room
    /// (see `removeOldest`).
    @inline(__always) func push(_ block: Address, objectSize: UInt) {
        (block.pointer.unsafelyUnwrapped + 8).storeBytes(of: recentlyFreedKey, as: UInt.self)
        let position = top
        slot(position).storeBytes(of: block.value, as: UInt.self)
        top = position &+ 1
        count = count &+ 1
        self.objectSize = objectSize
        heldBytes.pointee &+= objectSize
    }

    /// Takes the oldest held block out of the ring, its key cleared; the
    /// caller frees it for real. Nil when the ring is empty.
    func removeOldest() -> Address? {
        let held = count
        if held == 0 { return nil }
        let block = Address(slot(top &- held).load(as: UInt.self))
        count = held &- 1
        heldBytes.pointee &-= objectSize
        (block.pointer.unsafelyUnwrapped + 8).storeBytes(of: 0, as: UInt.self)
        return block
    }

    /// Whether the ring holds `block`. Another thread's ring may change
    /// while this reads it; the answer is then only a hint.
    func contains(_ block: Address) -> Bool {
        let held = count
        var position = top &- min(held, RecentlyFreedBlocks.slotCount)
        while position != top {
            if slot(position).load(as: UInt.self) == block.value { return true }
            position &+= 1
        }
        return false
    }

    /// Whether some thread's ring of `sizeClass` holds `block`: a free of
    /// it is a double free. The caller holds the heap lock (the list of
    /// caches does not change).
    static func isHeldByAnyThread(_ block: Address, sizeClass: Int, _ heap: Heap) -> Bool {
        var cursor = heap.caches
        while let cache = cursor {
            if cache.recentlyFreed(sizeClass: sizeClass).contains(block) { return true }
            cursor = cache.pointee.nextCache
        }
        return false
    }
}

extension UnsafeMutablePointer where Pointee == ThreadCache {
    /// The ring of recently freed blocks of `sizeClass`. The rings follow
    /// the cache entries (see ThreadCache.byteCount); metadata comes zeroed,
    /// so every ring starts empty.
    @inline(__always) func recentlyFreed(sizeClass: Int) -> RecentlyFreedBlocks {
        let storage = UnsafeMutableRawPointer(pointee.entriesStorage + ThreadCache.entryCount)
        return RecentlyFreedBlocks(
            record: storage + (RecentlyFreedBlocks.headerBytes &+ sizeClass &* RecentlyFreedBlocks.recordStride),
            heldBytes: storage.assumingMemoryBound(to: UInt.self))
    }
}
