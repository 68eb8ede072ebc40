@testable import GCCore

/// A page allocator with a page map, free lists, metadata and arena of its
/// own, all in one mapping made for a single test. Component tests build on
/// it instead of the process-wide collector state, which other tests in the
/// same process allocate from and collect.
///
///     [ page map: 8 bytes per arena page | free lists | metadata | arena ]
///
/// The mapping is unmapped when the arena is released (at `deinit`).
/// ObjectArena, below, allocates objects in it for marking tests.
final class TestArena {
    let mapping: Address
    let mappingBytes: UInt
    var pages: PageAllocator
    var metadata: Metadata

    /// - Parameters:
    ///   - arenaPages: pages in the arena; the bump pointer stops there.
    ///   - metadataBytes: bytes the metadata allocator may hand out (a
    ///     descriptor takes 512), so a test can run it out.
    init(arenaPages: Int = 1024, metadataBytes: UInt = 1 << 20) {
        let pageMapBytes = roundUp(UInt(arenaPages) * 8, toMultipleOf: PageMap.pageSize)
        let freeListBytes = PageMap.pageSize
        let mappedMetadataBytes = roundUp(metadataBytes, toMultipleOf: PageMap.pageSize)
        let arenaBytes = UInt(arenaPages) * PageMap.pageSize
        mappingBytes = pageMapBytes + freeListBytes + mappedMetadataBytes + arenaBytes
        mapping = Address(OS.reserve(bytes: mappingBytes)!)
        let freeLists = (mapping + pageMapBytes).pointer!
            .bindMemory(to: UnsafeMutablePointer<Span>?.self, capacity: PageAllocator.exactListCount + 1)
        let arenaStart = mapping + pageMapBytes + freeListBytes + mappedMetadataBytes
        let pageMap = PageMap(entries: mapping.pointer!.bindMemory(to: UnsafeMutablePointer<Span>?.self,
                                                                   capacity: arenaPages),
                              arenaStart: arenaStart, arenaTop: arenaStart, arenaEnd: arenaStart + arenaBytes)
        pages = PageAllocator(pageMap: pageMap, freeLists: freeLists)
        metadata = Metadata(start: mapping + pageMapBytes + freeListBytes, bytes: metadataBytes)
    }

    deinit { OS.release(mapping.pointer!, bytes: mappingBytes) }

    var pageMap: PageMap { pages.pageMap }
    var arenaStart: Address { pages.pageMap.arenaStart }

    func allocate(pages pageCount: UInt, limit: UInt = .max) -> UnsafeMutablePointer<Span>? {
        pages.allocate(pageCount: pageCount, limit: limit, metadata: &metadata)
    }

    /// A span of `pageCount` pages in use as one large object, every page
    /// mapped to it, as the heap leaves a span it hands out.
    /// Nil when the allocator refuses (limit, arena or metadata exhausted).
    func allocateLarge(pages pageCount: UInt, limit: UInt = .max) -> UnsafeMutablePointer<Span>? {
        guard let span = allocate(pages: pageCount, limit: limit) else { return nil }
        span.formatLarge(kind: .normal)
        pages.pageMap.setEntries(for: span, to: span)
        return span
    }

    /// A small span of `sizeClass` and `kind` with no object allocated yet,
    /// every page mapped to it.
    func allocateSmall(sizeClass: Int, kind: ObjectKind = .normal) -> UnsafeMutablePointer<Span> {
        let span = allocate(pages: SizeClass.pagesPerSpan(ofClass: sizeClass))!
        span.formatSmall(sizeClass: sizeClass, kind: kind)
        pages.pageMap.setEntries(for: span, to: span)
        return span
    }

    func free(_ span: UnsafeMutablePointer<Span>) {
        pages.free(span, metadata: &metadata)
    }

    /// The page map entry of the page `pageOffset` pages into `span`.
    func entry(_ span: UnsafeMutablePointer<Span>, page pageOffset: UInt) -> UnsafeMutablePointer<Span>? {
        pages.pageMap.entries[pages.pageMap.pageIndex(span.pointee.start + pageOffset * PageMap.pageSize)]
    }

    /// The spans on free list `index` (0: the big ones), head first.
    func freeList(_ index: Int) -> [UnsafeMutablePointer<Span>] {
        var members: [UnsafeMutablePointer<Span>] = []
        var cursor = pages.freeLists[index]
        while let span = cursor {
            members.append(span)
            cursor = span.pointee.next
        }
        return members
    }

    /// Every broken invariant of the page allocator and page map, as
    /// sentences; empty when all hold. Checks that spans tile the used
    /// arena, that non-free spans map every page and free spans only their
    /// boundary pages, that no two free spans are neighbours, that the free
    /// lists hold exactly the free spans, each on the list of its size,
    /// that the bitmask of non-empty exact lists agrees, and that the
    /// committed and decommitted byte counts add up.
    func brokenInvariants() -> [String] {
        var problems: [String] = []
        let map = pages.pageMap
        var freeSpans = Set<UInt>()
        var committed: UInt = 0
        var decommitted: UInt = 0
        var previousWasFree = false
        var address = map.arenaStart
        while address < map.arenaTop {
            guard let span = map.entries[map.pageIndex(address)], span.pointee.start == address else {
                problems.append("no span starts at arena page \(map.pageIndex(address))")
                return problems
            }
            let first = map.pageIndex(span.pointee.start)
            let last = first + Int(span.pointee.pageCount) - 1
            for page in first...last {
                let expected: UnsafeMutablePointer<Span>? =
                    span.pointee.state != .free || page == first || page == last ? span : nil
                if map.entries[page] != expected {
                    problems.append("page \(page) of the \(span.pointee.state) span at page \(first) maps to "
                                    + "\(String(describing: map.entries[page])), expected \(String(describing: expected))")
                }
            }
            let isFree = span.pointee.state == .free
            if isFree && previousWasFree { problems.append("free span at page \(first) follows a free span") }
            previousWasFree = isFree
            if isFree { freeSpans.insert(UInt(bitPattern: span)) }
            if span.pointee.isCommitted { committed += span.pointee.bytes } else if isFree {
                decommitted += span.pointee.bytes
            } else {
                problems.append("\(span.pointee.state) span at page \(first) is not committed")
            }
            address = span.pointee.end
        }
        var listed = Set<UInt>()
        for index in 0...PageAllocator.exactListCount {
            let members = freeList(index)
            for span in members {
                listed.insert(UInt(bitPattern: span))
                let count = span.pointee.pageCount
                let expectedIndex = count <= UInt(PageAllocator.exactListCount) ? Int(count) : 0
                if expectedIndex != index {
                    problems.append("a free span of \(count) pages is on list \(index), expected \(expectedIndex)")
                }
            }
            if index > 0 && (pages.nonEmptyExactLists >> UInt64(index - 1)) & 1 != (members.isEmpty ? 0 : 1) {
                problems.append("bit \(index - 1) of nonEmptyExactLists disagrees with list \(index)")
            }
        }
        if listed != freeSpans {
            problems.append("the free lists hold \(listed.count) spans, the arena \(freeSpans.count) free spans")
        }
        if committed != pages.committedBytes {
            problems.append("committedBytes is \(pages.committedBytes), the spans add up to \(committed)")
        }
        if decommitted != pages.decommittedBytes {
            problems.append("decommittedBytes is \(pages.decommittedBytes), the free spans add up to \(decommitted)")
        }
        return problems
    }
}

/// Objects in a TestArena, allocated by setting live bits the way a cache
/// hands out slots, so that a Marker can be run over them.
final class ObjectArena {
    let arena = TestArena()
    /// The span each kind and class currently allocates from.
    private var current: [Int: UnsafeMutablePointer<Span>] = [:]
    private var nextIndex: [Int: Int] = [:]

    var arenaTop: Address { arena.pageMap.arenaTop }

    /// A zeroed small object of at least `bytes` bytes.
    func allocate(bytes: UInt, kind: ObjectKind = .normal) -> UnsafeMutableRawPointer {
        let sizeClass = SizeClass.index(forBytes: bytes)
        let key = Int(kind.rawValue) * SizeClass.count + sizeClass
        let span: UnsafeMutablePointer<Span>
        if let existing = current[key], nextIndex[key]! < existing.pointee.objectCount {
            span = existing
        } else {
            span = arena.allocateSmall(sizeClass: sizeClass, kind: kind)
            current[key] = span
            nextIndex[key] = 0
        }
        let index = nextIndex[key]!
        nextIndex[key] = index + 1
        span.liveBits.set(index)
        return span.objectStart(index).pointer!
    }

    func allocateLarge(pages: UInt) -> UnsafeMutableRawPointer {
        arena.allocateLarge(pages: pages)!.pointee.start.pointer!
    }

    /// A complete tree: each node's first `fanout` words point to its
    /// children. Returns the nodes, root first.
    func buildTree(fanout: Int, depth: Int, objectBytes: UInt) -> [UnsafeMutableRawPointer] {
        var nodes = [allocate(bytes: objectBytes)]
        var level = nodes
        for _ in 0..<depth {
            var next: [UnsafeMutableRawPointer] = []
            for parent in level {
                for word in 0..<fanout {
                    let child = allocate(bytes: objectBytes)
                    parent.storeBytes(of: UInt(bitPattern: child), toByteOffset: word * 8, as: UInt.self)
                    next.append(child)
                }
            }
            nodes += next
            level = next
        }
        return nodes
    }

    func span(of object: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Span> {
        arena.pageMap.span(containing: Address(object))!
    }

    func isMarked(_ object: UnsafeMutableRawPointer) -> Bool {
        let span = span(of: object)
        return span.markBits.isSet(span.objectIndex(containing: Address(object)))
    }

    func anySpanHasUnscannedMarks() -> Bool {
        var isFlagged = false
        arena.pageMap.forEachSpan { span in isFlagged = isFlagged || span.pointee.hasUnscannedMarks }
        return isFlagged
    }

    /// Scans `roots` as a root range with a marker whose stack holds
    /// `stackCapacity` entries, drains it, and returns the marker.
    func mark(roots: [UInt], stackCapacity: Int) -> Marker {
        let entries = UnsafeMutablePointer<MarkStack.Entry>.allocate(capacity: stackCapacity)
        defer { entries.deallocate() }
        var marker = Marker(pageMap: arena.pageMap, stack: MarkStack(entries: entries, capacity: stackCapacity))
        roots.withUnsafeBufferPointer { words in
            let low = UInt(bitPattern: words.baseAddress)
            marker.scan(low: low, high: low + UInt(words.count * 8))
        }
        marker.drain()
        return marker
    }
}
