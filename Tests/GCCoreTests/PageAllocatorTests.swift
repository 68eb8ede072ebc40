import Testing
@testable import GCCore

/// The page allocator over an arena of the test's own (see TestArena):
/// bumping, exact and big free lists, splitting, coalescing, the heap
/// limit, decommit aging and the page map entries it maintains.
struct PageAllocatorTests {
    let page = PageMap.pageSize

    @Test func aFreshArenaHandsOutConsecutiveZeroedCommittedSpans() {
        let arena = TestArena()
        let first = arena.allocate(pages: 3)!
        let second = arena.allocate(pages: 5)!
        #expect(first.pointee.start == arena.arenaStart, "the first span should start the arena")
        #expect(second.pointee.start == first.pointee.end, "the second span should follow the first")
        #expect(first.pointee.pageCount == 3 && second.pointee.pageCount == 5, "each span should have the pages asked for")
        #expect(first.pointee.isZeroed && first.pointee.isCommitted, "a span from fresh pages should be zeroed and committed")
        #expect(first.pointee.state == .free && first.pointee.next == nil && first.pointee.previous == nil,
                "a span handed out should be unformatted and on no list")
        #expect(arena.pageMap.arenaTop == second.pointee.end, "the arena top should follow the last span")
        #expect(arena.pages.committedBytes == 8 * page, "8 pages should count as committed")
        #expect(arena.pages.peakCommittedBytes == 8 * page, "the peak should follow the committed bytes")
    }

    @Test func everyPageOfASpanInUseMapsToItAndFreeingUnmapsItsInteriorPages() {
        let arena = TestArena()
        let span = arena.allocateLarge(pages: 6)!
        _ = arena.allocateLarge(pages: 1)!
        for page in UInt(0)..<6 {
            #expect(arena.entry(span, page: page) == span, "page \(page) of a span in use should map to it")
        }
        arena.free(span)
        #expect(arena.entry(span, page: 0) == span, "the first page of a free span should map to it")
        #expect(arena.entry(span, page: 5) == span, "the last page of a free span should map to it")
        for page in UInt(1)..<5 {
            #expect(arena.entry(span, page: page) == nil, "interior page \(page) of a free span should map to nil")
        }
        #expect(arena.pageMap.span(containing: arena.pageMap.arenaTop) == nil, "the arena top should map to no span")
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")
    }

    @Test func aFreedSpanIsReusedForItsOwnSizeWithoutGrowingTheArena() {
        let arena = TestArena()
        let span = arena.allocateLarge(pages: 5)!
        _ = arena.allocateLarge(pages: 1)!
        arena.free(span)
        #expect(arena.freeList(5) == [span], "a freed 5-page span should sit on exact list 5")
        #expect(arena.pages.nonEmptyExactLists == 1 << 4, "only bit 4 (list 5) should be set in the mask")
        let top = arena.pageMap.arenaTop
        let again = arena.allocate(pages: 5)
        #expect(again == span, "a 5-page request should take the free 5-page span")
        #expect(arena.pageMap.arenaTop == top, "reusing a free span should not bump the arena")
        #expect(arena.freeList(5).isEmpty && arena.pages.nonEmptyExactLists == 0,
                "taking the only free span should empty its list and clear its bit")
    }

    @Test func aBiggerFreeSpanIsSplitAndItsRestStaysFree() {
        let arena = TestArena()
        let span = arena.allocateLarge(pages: 10)!
        _ = arena.allocateLarge(pages: 1)!
        arena.free(span)
        let top = arena.pageMap.arenaTop
        let taken = arena.allocateLarge(pages: 3)!
        #expect(taken == span && taken.pointee.pageCount == 3, "the front 3 pages of the free span should be handed out")
        let rest = arena.freeList(7)
        #expect(rest.count == 1, "the other 7 pages should be one free span on list 7")
        if let rest = rest.first {
            #expect(rest.pointee.start == span.pointee.start + 3 * page, "the rest should start after the 3 pages taken")
            #expect(arena.entry(rest, page: 0) == rest && arena.entry(rest, page: 6) == rest,
                    "the rest's boundary pages should map to its new descriptor")
        }
        #expect(arena.pageMap.arenaTop == top, "a split should not bump the arena")
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")
    }

    @Test func theSmallestFittingExactListIsChosen() {
        let arena = TestArena()
        var free: [UInt: UnsafeMutablePointer<Span>] = [:]
        for pageCount: UInt in [2, 6, 4] {
            free[pageCount] = arena.allocateLarge(pages: pageCount)!
            _ = arena.allocateLarge(pages: 1)!
        }
        for span in free.values { arena.free(span) }
        #expect(arena.allocateLarge(pages: 3) == free[4], "3 pages should come from the 4-page span, not the 6-page one")
        #expect(arena.freeList(1).count == 1, "the 4-page span's last page should stay free on list 1")
        #expect(arena.allocateLarge(pages: 5) == free[6], "5 pages should come from the 6-page span")
        #expect(arena.allocateLarge(pages: 2) == free[2], "2 pages should take the 2-page span whole")
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")
    }

    @Test func spansOfMoreThanSixtyFourPagesUseTheBigListFirstFit() {
        let arena = TestArena()
        let hundred = arena.allocateLarge(pages: 100)!
        _ = arena.allocateLarge(pages: 1)!
        let seventy = arena.allocateLarge(pages: 70)!
        _ = arena.allocateLarge(pages: 1)!
        arena.free(hundred)
        arena.free(seventy)
        #expect(arena.freeList(0) == [seventy, hundred], "big free spans should sit on list 0, newest first")
        #expect(arena.pages.nonEmptyExactLists == 0, "no exact list should be marked non-empty")
        #expect(arena.allocateLarge(pages: 80) == hundred, "80 pages should come from the first big span that fits")
        #expect(arena.freeList(20).count == 1, "the 20 pages left of the 100 should move to exact list 20")
        #expect(arena.allocateLarge(pages: 30) == seventy,
                "with no exact list big enough, 30 pages should come from the big list")
        #expect(arena.freeList(40).count == 1, "the 40 pages left of the 70 should move to exact list 40")
        #expect(arena.freeList(0).isEmpty, "the big list should be empty")
        let top = arena.pageMap.arenaTop
        #expect(arena.allocateLarge(pages: 200)?.pointee.start == top, "a request no free span fits should bump the arena")
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")
    }

    @Test func freeingASpanMergesItWithFreeNeighboursOnBothSides() {
        let arena = TestArena()
        let left = arena.allocateLarge(pages: 3)!
        let middle = arena.allocateLarge(pages: 4)!
        let right = arena.allocateLarge(pages: 5)!
        let top = arena.allocateLarge(pages: 2)!
        arena.free(left)
        arena.free(right)
        #expect(arena.freeList(3) == [left] && arena.freeList(5) == [right], "the two freed spans should not merge yet")
        arena.free(middle)
        #expect(arena.freeList(12) == [left], "the three spans should merge into one 12-page span")
        #expect(left.pointee.start == arena.arenaStart && left.pointee.pageCount == 12,
                "the merged span should keep the leftmost start")
        #expect(arena.freeList(3).isEmpty && arena.freeList(4).isEmpty && arena.freeList(5).isEmpty,
                "the merged parts should have left their lists")
        for index in 0..<arena.pageMap.pageIndex(top.pointee.start) {
            let entry = arena.pageMap.entries[index]
            #expect(entry != middle && entry != right, "page \(index) should not map to a descriptor absorbed by the merge")
        }
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")

        arena.free(top)
        #expect(arena.freeList(14) == [left] && left.pointee.end == arena.pageMap.arenaTop,
                "the span at the arena top should merge leftwards into one span up to the top")
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")
    }

    @Test func anAllocationThatWouldPassTheLimitFailsAndKeepsCommittedMemoryUnderIt() {
        let arena = TestArena()
        let limit = 8 * page
        _ = arena.allocateLarge(pages: 5, limit: limit)!
        #expect(arena.allocateLarge(pages: 4, limit: limit) == nil, "5 + 4 pages should not fit under an 8-page limit")
        #expect(arena.pages.committedBytes == 5 * page, "only the 5 pages in use should stay committed")
        #expect(arena.allocateLarge(pages: 3, limit: limit) != nil, "5 + 3 pages should fit under an 8-page limit")
        #expect(arena.allocateLarge(pages: 1, limit: limit) == nil, "no page should fit once the limit is reached")
        #expect(arena.pages.committedBytes <= limit, "committed memory should stay under the limit")
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")
    }

    @Test func freeCommittedSpansAreDecommittedToMakeRoomUnderTheLimit() {
        let arena = TestArena()
        let limit = 8 * page
        let freed = arena.allocateLarge(pages: 5, limit: limit)!
        arena.free(freed)
        #expect(arena.pages.committedBytes == 5 * page, "a freed span should stay committed at first")
        #expect(arena.allocateLarge(pages: 8, limit: limit) != nil,
                "8 pages should fit under an 8-page limit once the free span is decommitted")
        #expect(!freed.pointee.isCommitted, "the free span should have been decommitted")
        #expect(arena.pages.committedBytes == 8 * page && arena.pages.decommittedBytes == 5 * page,
                "8 pages should be committed and 5 decommitted")
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")
    }

    @Test func aFreeSpanIsDecommittedAfterStayingFreeForDecommitAgeCollections() {
        let arena = TestArena()
        let span = arena.allocateLarge(pages: 4)!
        _ = arena.allocateLarge(pages: 1)!
        span.pointee.start.pointer!.initializeMemory(as: UInt8.self, repeating: 0xAB, count: Int(span.pointee.bytes))
        span.pointee.isZeroed = false
        arena.free(span)
        for age in 1..<PageAllocator.decommitAge {
            arena.pages.ageAndDecommitFreeSpans()
            #expect(span.pointee.freeAge == age, "each pass should age the free span by one")
            #expect(span.pointee.isCommitted, "a span free for \(age) collections should stay committed")
        }
        arena.pages.ageAndDecommitFreeSpans()
        #expect(!span.pointee.isCommitted && span.pointee.isZeroed,
                "a span free for \(PageAllocator.decommitAge) collections should be decommitted and zeroed")
        #expect(arena.pages.committedBytes == page && arena.pages.decommittedBytes == 4 * page,
                "the 4 free pages should move from committed to decommitted bytes")
        let bytes = UnsafeRawBufferPointer(start: span.pointee.start.pointer, count: Int(span.pointee.bytes))
        #expect(bytes.allSatisfy { $0 == 0 }, "decommitted memory should read as zero")
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")

        let again = arena.allocateLarge(pages: 4)!
        #expect(again == span && again.pointee.isCommitted && again.pointee.freeAge == 0,
                "reusing the span should commit it again and reset its age")
        #expect(arena.pages.committedBytes == 5 * page && arena.pages.decommittedBytes == 0,
                "reuse should move its pages back to committed bytes")
    }

    @Test func mergingWithADecommittedNeighbourCountsTheWholeSpanAsCommitted() {
        let arena = TestArena()
        let old = arena.allocateLarge(pages: 4)!
        let young = arena.allocateLarge(pages: 3)!
        _ = arena.allocateLarge(pages: 1)!
        arena.free(old)
        for _ in 0..<PageAllocator.decommitAge { arena.pages.ageAndDecommitFreeSpans() }
        #expect(!old.pointee.isCommitted, "the old free span should be decommitted")
        arena.free(young)
        #expect(arena.freeList(7) == [old] && old.pointee.isCommitted && old.pointee.freeAge == 0,
                "the merged span should count as committed and take the younger age")
        #expect(arena.pages.committedBytes == 8 * page && arena.pages.decommittedBytes == 0,
                "all 8 pages should count as committed after the merge")
        #expect(arena.brokenInvariants() == [], "the page map and lists should stay consistent")
        for _ in 0..<PageAllocator.decommitAge { arena.pages.ageAndDecommitFreeSpans() }
        #expect(arena.pages.committedBytes == page && arena.pages.decommittedBytes == 7 * page,
                "the next aging should decommit the whole merged span")
    }

    @Test func runningOutOfDescriptorsFailsTheAllocationAndKeepsTheFreeSpan() {
        let arena = TestArena(metadataBytes: 2 * Span.descriptorSize)
        let span = arena.allocateLarge(pages: 10)!
        _ = arena.allocateLarge(pages: 1)!
        #expect(arena.allocate(pages: 1) == nil, "a third span should fail: metadata holds two descriptors")
        arena.free(span)
        #expect(arena.allocate(pages: 3) == nil, "splitting needs a descriptor, so 3 pages should fail")
        #expect(arena.freeList(10) == [span] && span.pointee.pageCount == 10,
                "the free span should stay whole on its list after the failed split")
        #expect(arena.allocate(pages: 10) == span, "10 pages should still fit without a split")
    }

    @Test func randomAllocationAndFreeingKeepEveryInvariant() {
        let arena = TestArena(arenaPages: 2048)
        let limit = 1500 * page
        var random = SplitMix64(seed: 12)
        var inUse: [UnsafeMutablePointer<Span>] = []
        for step in 0..<4000 {
            let choice = random.next() % 16
            if choice < 9 {
                let pageCount = choice < 7 ? 1 + random.next() % 16 : 1 + random.next() % 120
                if let span = arena.allocateLarge(pages: UInt(pageCount), limit: limit) {
                    inUse.append(span)
                }
                let isUnderLimit = arena.pages.committedBytes <= limit
                #expect(isUnderLimit, "step \(step): committed memory should stay under the limit")
                if !isUnderLimit { return }
            } else if choice < 15, !inUse.isEmpty {
                arena.free(inUse.remove(at: Int(random.next() % UInt64(inUse.count))))
            } else {
                arena.pages.ageAndDecommitFreeSpans()
            }
            let problems = arena.brokenInvariants()
            #expect(problems == [], "step \(step): the page map and lists should stay consistent")
            if !problems.isEmpty { return }
        }
        #expect(inUse.count > 10, "the run should have kept spans in use (it kept \(inUse.count))")
    }
}

/// A small deterministic generator, so a failing sequence can be replayed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
        return mixed ^ (mixed >> 31)
    }
}
