import Testing
@testable import GCCore

/// A span's descriptor: where its three bitmaps sit, how an address becomes
/// an object index, which addresses are object starts, and which live slots
/// count as allocated while a cache owns the span.
struct SpanTests {
    @Test func theHeaderFitsInFrontOfTheBitmaps() {
        #expect(MemoryLayout<Span>.size <= 128, "the header should fit in the descriptor's first 128 bytes")
        #expect(Span.descriptorSize == 128 + 3 * UInt(Span.bitmapWordCount) * 8,
                "a descriptor should hold the header and three bitmaps, nothing more")
        #expect(UInt(Span.bitmapWordCount) * 64 == Span.maximumObjectCount,
                "a bitmap should have one bit per possible object")
    }

    @Test func liveMarkAndQuarantineBitsSitAtTheirOffsetsAndDoNotOverlap() {
        let arena = TestArena()
        let span = arena.allocateSmall(sizeClass: 0)
        let descriptor = UnsafeMutableRawPointer(span)
        for (name, bitmap, offset) in [("live", span.liveBits, 128), ("mark", span.markBits, 256),
                                       ("quarantine", span.quarantineBits, 384)] {
            for index in [0, 1, 63, 64, 65, 700, 1023] {
                bitmap.set(index)
                let word = descriptor.load(fromByteOffset: offset + (index / 64) * 8, as: UInt64.self)
                #expect(word == 1 << UInt64(index % 64),
                        "\(name) bit \(index) should be bit \(index % 64) of the word at byte \(offset + index / 64 * 8)")
                bitmap.clear(index)
            }
        }
        let objectCount = span.pointee.objectCount
        for index in 0..<Int(Span.maximumObjectCount) { span.liveBits.set(index) }
        #expect(span.markBits.populationCount(wordCount: Span.bitmapWordCount) == 0,
                "setting every live bit should leave the mark bits clear")
        #expect(span.quarantineBits.populationCount(wordCount: Span.bitmapWordCount) == 0,
                "setting every live bit should leave the quarantine bits clear")
        #expect(span.pointee.objectCount == objectCount && span.pointee.state == .small,
                "setting every live bit should leave the header intact")
        for index in 0..<Int(Span.maximumObjectCount) { span.quarantineBits.set(index) }
        #expect(span.liveBits.populationCount(wordCount: Span.bitmapWordCount) == Int(Span.maximumObjectCount)
                && span.markBits.populationCount(wordCount: Span.bitmapWordCount) == 0,
                "setting every quarantine bit should touch neither the live nor the mark bits")
    }

    @Test func formattingClearsTheBitmapsAndSetsUpTheClass() {
        let arena = TestArena()
        for sizeClass in 0..<SizeClass.count {
            let span = arena.allocateSmall(sizeClass: sizeClass)
            let size = SizeClass.objectSize(ofClass: sizeClass)
            #expect(span.pointee.objectSize == size && span.pointee.objectCount == Int(span.pointee.bytes / size),
                    "class \(sizeClass) should hold as many \(size)-byte objects as fit")
            span.liveBits.set(3)
            span.markBits.set(5)
            span.quarantineBits.set(7)
            span.formatSmall(sizeClass: sizeClass, kind: .atomic)
            #expect(span.liveBits.populationCount(wordCount: Span.bitmapWordCount) == 0
                    && span.markBits.populationCount(wordCount: Span.bitmapWordCount) == 0
                    && span.quarantineBits.populationCount(wordCount: Span.bitmapWordCount) == 0,
                    "formatting class \(sizeClass) again should clear all three bitmaps")
            #expect(span.pointee.kind == .atomic && Int(span.pointee.sizeClass) == sizeClass,
                    "formatting should record the kind and class")
            arena.free(span)
        }
    }

    @Test func objectIndexFindsTheObjectOfEveryByteInEveryClassIncludingTheTail() {
        let arena = TestArena()
        for sizeClass in 0..<SizeClass.count {
            let span = arena.allocateSmall(sizeClass: sizeClass)
            let size = span.pointee.objectSize
            let objectCount = span.pointee.objectCount
            var wrongOffsets = 0
            var firstWrong: (offset: UInt, index: Int)? = nil
            var offset: UInt = 0
            while offset < span.pointee.bytes {
                let index = span.objectIndex(containing: span.pointee.start + offset)
                if index != Int(offset / size) {
                    wrongOffsets += 1
                    if firstWrong == nil { firstWrong = (offset, index) }
                }
                offset += 1
            }
            let firstWrongText = firstWrong.map { "offset \($0.offset) gave \($0.index)" } ?? "none"
            #expect(wrongOffsets == 0,
                    "every byte of class \(sizeClass) (\(size) B) should map to its object; first wrong: \(firstWrongText)")
            let tail = UInt(objectCount) * size
            if tail < span.pointee.bytes {
                #expect(span.objectIndex(containing: span.pointee.start + tail) == objectCount
                        && span.objectIndex(containing: span.pointee.end - 1) == objectCount,
                        "the unused tail of class \(sizeClass) should map to index objectCount (\(objectCount))")
            }
            arena.free(span)
        }
    }

    @Test func smallSlotAcceptsExactlyTheObjectStartsOfASmallSpan() {
        let arena = TestArena()
        for sizeClass in 0..<SizeClass.count {
            let span = arena.allocateSmall(sizeClass: sizeClass)
            let size = span.pointee.objectSize
            var wrong = 0
            for index in 0..<span.pointee.objectCount {
                let start = span.objectStart(index)
                if span.smallSlot(startingAt: start) != index { wrong += 1 }
                if span.smallSlot(startingAt: start + 8) != nil { wrong += 1 }
                if span.smallSlot(startingAt: start + size - 1) != nil { wrong += 1 }
            }
            #expect(wrong == 0, "class \(sizeClass): each object start and only those should be a slot (\(wrong) wrong)")
            let tail = span.objectStart(span.pointee.objectCount)
            if tail < span.pointee.end {
                #expect(span.smallSlot(startingAt: tail) == nil, "the tail of class \(sizeClass) should not be a slot")
            }
            arena.free(span)
        }
    }

    @Test func largeAndFreeSpansHaveNoSmallSlots() {
        let arena = TestArena()
        let large = arena.allocateLarge(pages: 3)!
        #expect(large.pointee.objectCount == 1 && large.isAllocated(0), "a large span should hold one live object")
        #expect(large.objectIndex(containing: large.pointee.start + 2 * PageMap.pageSize + 5) == 0,
                "every byte of a large span should map to object 0")
        #expect(large.smallSlot(startingAt: large.pointee.start) == nil, "a large object's start is not a small slot")
        let small = arena.allocateSmall(sizeClass: 4)
        _ = arena.allocateLarge(pages: 1)!
        let start = small.pointee.start
        arena.free(small)
        #expect(small.smallSlot(startingAt: start) == nil, "a free span should have no slots")
    }

    @Test func isAllocatedExcludesTheSlotsTheOwningCacheHoldsFree() {
        let arena = TestArena()
        let span = arena.allocateSmall(sizeClass: 0)
        for index in [3, 64 + 3, 64 + 5, 64 + 6] { span.liveBits.set(index) }
        let owner = UnsafeMutablePointer<CacheEntry>.allocate(capacity: 1)
        defer { owner.deallocate() }
        // The cache claimed word 1 and has handed out slot 64 + 6 only.
        owner.initialize(to: CacheEntry(freeMask: 1 << 3 | 1 << 5 | 1 << 7, hiddenWordBase: ~span.objectStart(64).value,
                                        objectSize: span.pointee.objectSize, span: span, wordIndex: 1))
        #expect(span.isAllocated(3) && span.isAllocated(64 + 3) && span.isAllocated(64 + 5),
                "without an owner, every live slot should count as allocated")
        span.pointee.owner = owner
        #expect(span.isAllocated(3), "a live slot outside the cache's word should count as allocated")
        #expect(!span.isAllocated(64 + 3) && !span.isAllocated(64 + 5),
                "live slots in the cache's free mask are reserved, not allocated")
        #expect(span.isAllocated(64 + 6), "a live slot the cache handed out should count as allocated")
        #expect(!span.isAllocated(64 + 7) && !span.isAllocated(4), "a slot whose live bit is clear is not allocated")
    }

    @Test func emptinessAndFreeSlotsLookOnlyAtTheSpansObjects() {
        let arena = TestArena()
        // 48-byte objects: 4 pages hold 341, so the last bitmap word is partial.
        let span = arena.allocateSmall(sizeClass: SizeClass.index(forBytes: 48))
        let objectCount = span.pointee.objectCount
        #expect(objectCount % 64 != 0, "the test needs a partial last word (\(objectCount) objects)")
        #expect(span.isEmpty() && span.hasFreeSlot(), "a new span should be empty with free slots")
        for index in 0..<objectCount { span.liveBits.set(index) }
        #expect(!span.isEmpty() && !span.hasFreeSlot(),
                "with every object live the span should be full, whatever the bits past objectCount say")
        span.liveBits.clear(objectCount - 1)
        #expect(span.hasFreeSlot(), "clearing the last object should give a free slot")
        for index in 0..<objectCount { span.liveBits.clear(index) }
        span.liveBits.set(Int(Span.maximumObjectCount) - 1)
        #expect(span.isEmpty(), "a bit past objectCount should not make the span look used")
    }
}
