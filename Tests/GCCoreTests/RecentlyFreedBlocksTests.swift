import Testing
@testable import GCCore

/// malloc mode's per-thread rings of recently freed blocks: newest first
/// out, one ring per class in the thread cache's memory, a byte count
/// shared by all of a thread's rings, and draining oldest first.
struct RecentlyFreedBlocksTests {
    @Test func popHandsOutTheNewestBlockFirst() {
        let rings = RingFixture()
        let ring = rings.ring(sizeClass: 1)
        let blocks = (0..<3).map { _ in rings.block(bytes: 32) }
        for block in blocks { ring.push(Address(block), objectSize: 32) }
        #expect(ring.count == 3 && rings.heldBytes == 96, "three 32-byte blocks should be held, 96 bytes")
        for block in blocks.reversed() {
            #expect(ring.pop() == block, "pop should hand out the newest block held")
        }
        #expect(ring.pop() == nil, "an empty ring should hand out nothing")
        #expect(ring.count == 0 && rings.heldBytes == 0, "handing every block out should leave nothing held")
    }

    @Test func aHeldBlockCarriesTheKeyUntilItIsHandedOut() {
        let rings = RingFixture()
        let ring = rings.ring(sizeClass: 0)
        let block = rings.block(bytes: 16)
        block.storeBytes(of: 0x1234, as: UInt.self)
        #expect(!RecentlyFreedBlocks.mayHold(Address(block)), "a block in use should not carry the key")
        ring.push(Address(block), objectSize: 16)
        #expect(RecentlyFreedBlocks.mayHold(Address(block)), "a held block's second word should carry the key")
        #expect(block.load(as: UInt.self) == 0x1234, "holding a block should write only its second word")
        _ = ring.pop()
        #expect(block.load(fromByteOffset: 8, as: UInt.self) == 0, "a block handed out should have its key cleared")
    }

    @Test func eachClassHasARingOfItsOwnWithinTheThreadCache() {
        let rings = RingFixture()
        var pushed: [[UnsafeMutableRawPointer]] = []
        for sizeClass in 0..<SizeClass.count {
            let ring = rings.ring(sizeClass: sizeClass)
            let blocks = (0..<Int(RecentlyFreedBlocks.slotCount)).map { _ in rings.block(bytes: 16) }
            for block in blocks { ring.push(Address(block), objectSize: 16) }
            pushed.append(blocks)
        }
        #expect(rings.heldBytes == UInt(SizeClass.count) * UInt(RecentlyFreedBlocks.slotCount) * 16,
                "all rings should add to the thread's one count of held bytes")
        for sizeClass in 0..<SizeClass.count {
            let ring = rings.ring(sizeClass: sizeClass)
            var popped: [UnsafeMutableRawPointer] = []
            while let block = ring.pop() { popped.append(block) }
            #expect(popped == Array(pushed[sizeClass].reversed()), "class \(sizeClass)'s ring should hold its own 16 blocks")
        }
        let lastRingEnd = rings.ring(sizeClass: SizeClass.count - 1).record + RecentlyFreedBlocks.recordStride
        #expect(lastRingEnd <= UnsafeMutableRawPointer(rings.cache) + Int(ThreadCache.byteCount),
                "the last ring should end inside the thread cache's memory")
    }

    @Test func noRingHoldsMoreThanItsSlotsAndBigClassesHoldFewer() {
        for sizeClass in 0..<SizeClass.count {
            let size = SizeClass.objectSize(ofClass: sizeClass)
            let limit = RecentlyFreedBlocks.limit(objectSize: size)
            #expect(limit >= 2 && limit <= RecentlyFreedBlocks.slotCount, "class \(size) B: limit \(limit) should be 2...16")
            if size <= 2048 {
                #expect(limit == RecentlyFreedBlocks.slotCount, "class \(size) B should use all 16 slots")
            } else if size <= 16 * 1024 {
                #expect(UInt(limit) * size <= 32 * 1024, "class \(size) B should hold at most 32 KiB")
            }
        }
    }

    @Test func aThreadStopsTakingBlocksAt256KiBAcrossAllItsRings() {
        let rings = RingFixture()
        #expect(rings.ring(sizeClass: 0).hasRoom(forBytes: RecentlyFreedBlocks.threadByteLimit),
                "an empty thread should have room for exactly 256 KiB")
        #expect(!rings.ring(sizeClass: 0).hasRoom(forBytes: RecentlyFreedBlocks.threadByteLimit + 1),
                "no thread should have room for more than 256 KiB")
        // Keep blocks the way malloc mode's free does: while the ring is
        // under its class's limit and the thread under its byte cap.
        var refused = 0
        for sizeClass in (0..<SizeClass.count).reversed() {
            let size = SizeClass.objectSize(ofClass: sizeClass)
            let ring = rings.ring(sizeClass: sizeClass)
            for _ in 0..<Int(RecentlyFreedBlocks.slotCount) {
                guard ring.count < RecentlyFreedBlocks.limit(objectSize: size), ring.hasRoom(forBytes: size) else {
                    refused += 1
                    continue
                }
                ring.push(Address(rings.block(bytes: size)), objectSize: size)
            }
        }
        #expect(rings.heldBytes <= RecentlyFreedBlocks.threadByteLimit, "a thread should hold at most 256 KiB")
        #expect(rings.heldBytes > RecentlyFreedBlocks.threadByteLimit - 16,
                "the rings should fill up to the cap (held \(rings.heldBytes) bytes)")
        #expect(refused > 0, "blocks past the cap should have been refused")
        #expect(!rings.ring(sizeClass: 0).hasRoom(forBytes: 16), "a thread at the cap should have no room for 16 bytes")
    }

    @Test func aFullRingTakesAnotherBlockOnlyAfterItsOldestIsRemoved() {
        let rings = RingFixture()
        let size = SizeClass.objectSize(ofClass: 40)
        let limit = RecentlyFreedBlocks.limit(objectSize: size)
        let ring = rings.ring(sizeClass: 40)
        let blocks = (0..<Int(limit) + 1).map { _ in rings.block(bytes: size) }
        for block in blocks.dropLast() { ring.push(Address(block), objectSize: size) }
        #expect(ring.count == limit, "the ring should be at its limit of \(limit)")
        #expect(ring.removeOldest() == Address(blocks[0]), "removing from a full ring should give the oldest block")
        ring.push(Address(blocks[Int(limit)]), objectSize: size)
        #expect(!ring.contains(Address(blocks[0])), "the removed block should no longer be held")
        var popped: [UnsafeMutableRawPointer] = []
        while let block = ring.pop() { popped.append(block) }
        #expect(popped == Array(blocks.dropFirst().reversed()), "the ring should hold the newest \(limit) blocks, newest first")
    }

    @Test func removingTheOldestDrainsEveryBlockInFreeingOrderAcrossTheWrap() {
        let rings = RingFixture()
        let ring = rings.ring(sizeClass: 2)
        let slots = Int(RecentlyFreedBlocks.slotCount)
        let first = (0..<slots).map { _ in rings.block(bytes: 48) }
        let second = (0..<5).map { _ in rings.block(bytes: 48) }
        for block in first { ring.push(Address(block), objectSize: 48) }
        let removed = (0..<5).compactMap { _ in ring.removeOldest()?.pointer }
        #expect(removed == Array(first.prefix(5)), "removeOldest should take the five oldest blocks in freeing order")
        for block in second { ring.push(Address(block), objectSize: 48) }
        #expect(ring.top == UInt32(slots + 5) && ring.count == UInt32(slots),
                "the ring should be full, its newest five blocks wrapped round to its first slots")
        #expect(Array(first.dropFirst(5) + second).allSatisfy { ring.contains(Address($0)) },
                "every held block should be found in the ring")
        #expect(!removed.contains { ring.contains(Address($0)) }, "blocks taken out should not be found")
        let newest = [ring.pop(), ring.pop()]
        #expect(newest == [second[4], second[3]], "pop should still hand out the newest blocks after the wrap")
        var drained: [UnsafeMutableRawPointer] = []
        while let block = ring.removeOldest() { drained.append(block.pointer!) }
        let held = Array(first.dropFirst(5) + second.prefix(3))
        #expect(drained == held, "draining should return every held block, oldest first")
        #expect(ring.count == 0 && rings.heldBytes == 0, "a drained ring should hold no block and no bytes")
        #expect(!held.contains { RecentlyFreedBlocks.mayHold(Address($0)) }, "drained blocks should have their keys cleared")
    }

    @Test func aBlockHeldByAnyThreadIsFoundThroughTheListOfCaches() {
        let rings = RingFixture()
        let otherCache = rings.heap.makeCache()!
        let block = rings.block(bytes: 64)
        let otherBlock = rings.block(bytes: 64)
        let sizeClass = SizeClass.index(forBytes: 64)
        otherCache.recentlyFreed(sizeClass: sizeClass).push(Address(block), objectSize: 64)
        #expect(RecentlyFreedBlocks.isHeldByAnyThread(Address(block), sizeClass: sizeClass, rings.heap),
                "a block in another thread's ring should be found")
        #expect(!RecentlyFreedBlocks.isHeldByAnyThread(Address(otherBlock), sizeClass: sizeClass, rings.heap),
                "a block no ring holds should not be found")
        #expect(!RecentlyFreedBlocks.isHeldByAnyThread(Address(block), sizeClass: sizeClass + 1, rings.heap),
                "only the ring of the block's own class should be searched")
        _ = otherCache.recentlyFreed(sizeClass: sizeClass).pop()
        #expect(!RecentlyFreedBlocks.isHeldByAnyThread(Address(block), sizeClass: sizeClass, rings.heap),
                "a block handed out again should no longer be found")
    }
}

/// A heap over a TestArena with one thread cache (made by the heap, so its
/// rings have the real layout), and blocks to put in the rings.
final class RingFixture {
    let cacheArena = TestArena(arenaPages: 16)
    let blocks = ObjectArena()
    var heap: Heap
    let cache: UnsafeMutablePointer<ThreadCache>

    init() {
        // The key is chosen at start-up in malloc mode only; any nonzero
        // value tells held blocks from zeroed ones.
        if recentlyFreedKey == 0 { recentlyFreedKey = 0x5bd1_e995_a3c9_0001 }
        let available = cacheArena.metadata.allocate(bytes: UInt(ThreadCache.entryCount) * 8)!
            .bindMemory(to: UnsafeMutablePointer<Span>?.self, capacity: ThreadCache.entryCount)
        heap = Heap(pages: cacheArena.pages, metadata: cacheArena.metadata, availableSpans: available)
        cache = heap.makeCache()!
    }

    func ring(sizeClass: Int) -> RecentlyFreedBlocks { cache.recentlyFreed(sizeClass: sizeClass) }
    var heldBytes: UInt { ring(sizeClass: 0).heldBytes.pointee }

    /// A zeroed block of the class of `bytes`.
    func block(bytes: UInt) -> UnsafeMutableRawPointer { blocks.allocate(bytes: bytes, kind: .atomic) }
}
