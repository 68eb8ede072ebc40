import Testing
@testable import GCCore

/// The mark stack, and the marker's recovery when it overflows: with a
/// stack of a few entries the marker must still reach every object, by
/// flagging spans whose marked objects it could not push and rescanning
/// them once the stack drains.
struct MarkStackTests {
    /// Calls `body` with an empty stack of `capacity` entries.
    private func withStack(capacity: Int, _ body: (inout MarkStack) -> Void) {
        let entries = UnsafeMutablePointer<MarkStack.Entry>.allocate(capacity: capacity)
        defer { entries.deallocate() }
        var stack = MarkStack(entries: entries, capacity: capacity)
        body(&stack)
    }

    @Test func popReturnsEntriesInReverseOrderOfPush() {
        withStack(capacity: 8) { stack in
            for low in UInt(1)...5 {
                let isPushed = stack.push(low: low, high: low * 100)
                #expect(isPushed, "push \(low) should fit")
            }
            for low in (UInt(1)...5).reversed() {
                let entry = stack.pop()
                #expect(entry?.low == low && entry?.high == low * 100, "pop should return entry \(low) next")
            }
            let extra = stack.pop()
            #expect(extra == nil, "an empty stack should pop nothing")
        }
    }

    @Test func pushOntoAFullStackFailsAndKeepsItsEntries() {
        withStack(capacity: 4) { stack in
            for low in UInt(1)...4 {
                let isPushed = stack.push(low: low, high: low + 1)
                #expect(isPushed, "push \(low) of 4 should fit")
            }
            let isOverflowPushed = stack.push(low: 99, high: 100)
            #expect(!isOverflowPushed, "a push onto a full stack should fail")
            #expect(stack.count == 4, "a failed push should leave the count at the capacity")
            let top = stack.pop()
            #expect(top?.low == 4, "the top entry should still be the last one pushed")
            let isPushedAgain = stack.push(low: 5, high: 6)
            #expect(isPushedAgain, "a push should fit again after a pop")
        }
    }

    @Test func highWaterRemembersTheDeepestStackUntilReleased() {
        withStack(capacity: 8) { stack in
            for low in UInt(1)...6 { _ = stack.push(low: low, high: low + 1) }
            while stack.pop() != nil {}
            _ = stack.push(low: 1, high: 2)
            _ = stack.pop()
            #expect(stack.highWater == 6, "the high water mark should stay at the deepest count, 6")
            stack.release()
            #expect(stack.highWater == 0, "release should reset the high water mark")
        }
    }

    // MARK: Marking with overflow

    @Test func aTinyStackStillMarksEveryObjectOfAWideTree() {
        let heap = ObjectArena()
        let tree = heap.buildTree(fanout: 32, depth: 2, objectBytes: 256)
        let garbage = (0..<100).map { _ in heap.allocate(bytes: 256) }
        let marker = heap.mark(roots: [UInt(bitPattern: tree[0])], stackCapacity: 4)
        #expect(tree.count == 1 + 32 + 32 * 32, "the tree should have 1057 nodes")
        #expect(marker.overflowCount > 0, "a 4-entry stack should overflow on a tree of fanout 32")
        let unmarked = tree.filter { !heap.isMarked($0) }.count
        #expect(unmarked == 0, "every node of the tree should be marked, \(unmarked) of \(tree.count) were not")
        #expect(garbage.allSatisfy { !heap.isMarked($0) }, "unreachable objects should stay unmarked")
        #expect(!heap.anySpanHasUnscannedMarks(), "no span should be left flagged after the drain")
        #expect(marker.stack.count == 0 && !marker.didOverflow, "the drain should end with an empty stack and no overflow")
    }

    @Test func aRoomyStackMarksTheSameTreeWithoutOverflowing() {
        let heap = ObjectArena()
        let tree = heap.buildTree(fanout: 32, depth: 2, objectBytes: 256)
        let marker = heap.mark(roots: [UInt(bitPattern: tree[0])], stackCapacity: 1 << 16)
        #expect(marker.overflowCount == 0, "a stack of 65536 entries should not overflow")
        #expect(tree.allSatisfy { heap.isMarked($0) }, "every node of the tree should be marked")
    }

    @Test func aTinyStackStillMarksEveryNodeOfALongListWithLeaves() {
        let heap = ObjectArena()
        var nodes: [UnsafeMutableRawPointer] = []
        var leaves: [UnsafeMutableRawPointer] = []
        for _ in 0..<2000 { nodes.append(heap.allocate(bytes: 64)) }
        for (index, node) in nodes.enumerated() {
            // Words 0...6 point to leaves of the node's own and word 7 to the
            // next node, so the leaves fill the stack before the link is seen.
            if index + 1 < nodes.count {
                node.storeBytes(of: UInt(bitPattern: nodes[index + 1]), toByteOffset: 56, as: UInt.self)
            }
            for word in 0..<7 {
                let leaf = heap.allocate(bytes: 16)
                leaves.append(leaf)
                node.storeBytes(of: UInt(bitPattern: leaf), toByteOffset: word * 8, as: UInt.self)
            }
        }
        let marker = heap.mark(roots: [UInt(bitPattern: nodes[0])], stackCapacity: 4)
        #expect(marker.overflowCount > 0, "8 pointers per node should overflow a 4-entry stack")
        let unmarkedNodes = nodes.filter { !heap.isMarked($0) }.count
        let unmarkedLeaves = leaves.filter { !heap.isMarked($0) }.count
        #expect(unmarkedNodes == 0, "all 2000 list nodes should be marked, \(unmarkedNodes) were not")
        #expect(unmarkedLeaves == 0, "all \(leaves.count) leaves should be marked, \(unmarkedLeaves) were not")
        #expect(!heap.anySpanHasUnscannedMarks(), "no span should be left flagged after the drain")
    }

    @Test func aPointerAtTheEndOfABigObjectIsFoundWithATinyStack() {
        let heap = ObjectArena()
        let big = heap.allocateLarge(pages: 5)
        let neighbour = heap.allocate(bytes: 32)
        let lastWord = Int(5 * PageMap.pageSize) - 8
        big.storeBytes(of: UInt(bitPattern: neighbour), toByteOffset: lastWord, as: UInt.self)
        // Its first chunk points to 64 small objects, which overflow the
        // stack while the rest of the big object waits on it to be scanned.
        let children = stride(from: 0, to: 512, by: 8).map { offset in
            let child = heap.allocate(bytes: 32)
            big.storeBytes(of: UInt(bitPattern: child), toByteOffset: offset, as: UInt.self)
            return child
        }
        _ = heap.mark(roots: [UInt(bitPattern: big)], stackCapacity: 4)
        #expect(heap.isMarked(big), "the big object should be marked")
        #expect(children.allSatisfy { heap.isMarked($0) }, "the 64 objects its first chunk points to should be marked")
        #expect(heap.isMarked(neighbour), "the object its last word points to should be marked")
    }

    @Test func onlyAllocatedObjectsAreMarkedAndAnyByteOfOneCounts() {
        let heap = ObjectArena()
        let first = heap.allocate(bytes: 48)
        let second = heap.allocate(bytes: 48)
        let span = heap.span(of: first)
        let freeSlot = span.objectStart(2)
        let tail = span.objectStart(span.pointee.objectCount)
        #expect(tail < span.pointee.end, "48-byte spans should have an unused tail")
        _ = heap.mark(roots: [UInt(bitPattern: second) + 47, freeSlot.value, tail.value, heap.arenaTop.value + 8, 8],
                      stackCapacity: 4)
        #expect(heap.isMarked(second), "a pointer to the last byte of an object should mark it")
        #expect(!heap.isMarked(first), "an object nothing points to should stay unmarked")
        #expect(span.markBits.populationCount(wordCount: Span.bitmapWordCount) == 1,
                "pointers to a free slot and to the span's tail should mark nothing")
    }

    @Test func atomicObjectsAreMarkedButNotScanned() {
        let heap = ObjectArena()
        let atomic = heap.allocate(bytes: 32, kind: .atomic)
        let target = heap.allocate(bytes: 32)
        atomic.storeBytes(of: UInt(bitPattern: target), as: UInt.self)
        _ = heap.mark(roots: [UInt(bitPattern: atomic)], stackCapacity: 4)
        #expect(heap.isMarked(atomic), "an atomic object a root points to should be marked")
        #expect(!heap.isMarked(target), "an atomic object's words should not be scanned")
    }
}
