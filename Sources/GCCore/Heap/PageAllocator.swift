/// Hands out and takes back spans of whole pages.
///
/// Free spans sit on 65 doubly linked lists: list k (1...64) holds spans of
/// exactly k pages, list 0 holds bigger ones. A bitmask of non-empty exact
/// lists finds the smallest fitting size in one instruction. Freed spans
/// merge with free neighbours at once, found through the page map. Free
/// spans that stay free for `decommitAge` collections return their memory
/// to the OS with madvise. Decommitting sooner costs more than it saves: a
/// program in a steady state reuses within one cycle the spans the last
/// collection freed, and each reuse of a decommitted span page-faults.
struct PageAllocator {
    static let exactListCount = 64
    static let decommitAge: UInt32 = 3

    var pageMap: PageMap
    var freeLists: UnsafeMutablePointer<UnsafeMutablePointer<Span>?>
    /// Bit k-1 set when exact list k is non-empty.
    var nonEmptyExactLists: UInt64 = 0
    /// Pages in spans that are neither free-and-decommitted nor above the top.
    var committedBytes: UInt = 0
    var peakCommittedBytes: UInt = 0
    /// Bytes in free spans whose memory was returned to the OS.
    var decommittedBytes: UInt = 0
    /// Small or large spans of uncollectable objects: while there are none,
    /// a collection need not walk the spans to find these roots.
    var uncollectableSpanCount = 0
    /// Set once the arena has reached `hugePageTablesFromArenaBytes`.
    var hasAdvisedHugePageTables = false

    /// Arena size from which the page map and the metadata get huge pages.
    /// Marking reads both at random, a dependent access per candidate word,
    /// and with 4 KiB pages most of those accesses also miss the TLB. Below
    /// this size the tables' hot part fits the TLB anyway, and huge pages
    /// cost resident memory: about 6 MiB for a small program (which holds
    /// 1.7 MiB otherwise), 5 MiB for binary-trees at depth 18 (86.5 MiB).
    /// The same size as the one from which marking queues candidates
    /// (CandidateQueue.fromArenaBytes).
    static let hugePageTablesFromArenaBytes: UInt = 192 << 20

    init(pageMap: PageMap, freeLists: UnsafeMutablePointer<UnsafeMutablePointer<Span>?>) {
        self.pageMap = pageMap
        self.freeLists = freeLists
    }

    // MARK: Taking spans

    /// A span of exactly `pageCount` pages, state `.free` and not on any
    /// list, or nil when the arena or the metadata is exhausted or when
    /// committed memory would pass `limit`. `isZeroed` tells whether its
    /// memory is known to read as zero.
    ///
    /// Free spans still committed count against the limit; when it is
    /// near, they are decommitted first, so the limit bounds live spans.
    mutating func allocate(pageCount: UInt, limit: UInt, metadata: inout Metadata) -> UnsafeMutablePointer<Span>? {
        if committedBytes + pageCount * PageMap.pageSize > limit {
            decommitFreeSpans(minimumAge: 0)
        }
        guard let span = takeCommittedSpan(pageCount: pageCount, metadata: &metadata) else { return nil }
        if committedBytes > limit {
            free(span, metadata: &metadata)
            decommitFreeSpans(minimumAge: 0)
            return nil
        }
        return span
    }

    private mutating func takeCommittedSpan(pageCount: UInt, metadata: inout Metadata) -> UnsafeMutablePointer<Span>? {
        if let span = takeFreeSpan(atLeast: pageCount) {
            if span.pointee.pageCount > pageCount {
                guard splitOff(from: span, keeping: pageCount, metadata: &metadata) else {
                    insert(span)
                    return nil
                }
            }
            if !span.pointee.isCommitted {
                span.pointee.isCommitted = true
                committedBytes += span.pointee.bytes
                decommittedBytes -= span.pointee.bytes
            }
            span.pointee.freeAge = 0
            notePeak()
            return span
        }
        return bump(pageCount: pageCount, metadata: &metadata)
    }

    private mutating func takeFreeSpan(atLeast pageCount: UInt) -> UnsafeMutablePointer<Span>? {
        if pageCount <= UInt(PageAllocator.exactListCount) {
            let candidates = nonEmptyExactLists & ~((1 << UInt64(pageCount - 1)) - 1)
            if candidates != 0 {
                let span = freeLists[candidates.trailingZeroBitCount + 1]!
                remove(span)
                return span
            }
        }
        // First fit among the big free spans.
        var cursor = freeLists[0]
        while let span = cursor {
            if span.pointee.pageCount >= pageCount {
                remove(span)
                return span
            }
            cursor = span.pointee.next
        }
        return nil
    }

    /// Shrinks `span` to `pageCount` pages and frees the rest as a new span.
    private mutating func splitOff(from span: UnsafeMutablePointer<Span>, keeping pageCount: UInt,
                                   metadata: inout Metadata) -> Bool {
        guard let rest = metadata.allocateDescriptor() else { return false }
        rest.pointee.start = span.pointee.start + pageCount * PageMap.pageSize
        rest.pointee.pageCount = span.pointee.pageCount - pageCount
        rest.pointee.isZeroed = span.pointee.isZeroed
        rest.pointee.isCommitted = span.pointee.isCommitted
        rest.pointee.freeAge = span.pointee.freeAge
        span.pointee.pageCount = pageCount
        pageMap.setBoundaryEntries(for: rest)
        insert(rest)
        return true
    }

    private mutating func bump(pageCount: UInt, metadata: inout Metadata) -> UnsafeMutablePointer<Span>? {
        let bytes = pageCount * PageMap.pageSize
        guard pageMap.arenaEnd - pageMap.arenaTop >= bytes else { return nil }
        guard let span = metadata.allocateDescriptor() else { return nil }
        span.pointee.start = pageMap.arenaTop
        span.pointee.pageCount = pageCount
        span.pointee.isZeroed = true
        span.pointee.isCommitted = true
        pageMap.arenaTop = pageMap.arenaTop + bytes
        committedBytes += bytes
        notePeak()
        if !hasAdvisedHugePageTables && pageMap.arenaTop - pageMap.arenaStart >= PageAllocator.hugePageTablesFromArenaBytes {
            hasAdvisedHugePageTables = true
            adviseHugePagesForTables(metadata: metadata)
        }
        return span
    }

    /// Asks for huge pages under the page map and the metadata (contiguous
    /// in the region, from the page map's start to the metadata's end), and
    /// collapses the parts already touched into huge pages at once. Not the
    /// arena: there a decommitted hole inside a huge page could be filled
    /// again by khugepaged, and objects are read once per collection, where
    /// the tables are read once per candidate word. Not the mark stack,
    /// whose pages are given back after every collection.
    private func adviseHugePagesForTables(metadata: Metadata) {
        let low = UnsafeMutableRawPointer(pageMap.entries)
        OS.adviseHugePages(low, bytes: metadata.end - Address(low))
        let pageMapUsedBytes = UInt(pageMap.pageIndex(pageMap.arenaTop)) * 8
        OS.collapseIntoHugePages(low, bytes: roundUp(pageMapUsedBytes, toMultipleOf: Region.hugePageBytes))
        OS.collapseIntoHugePages(metadata.origin.pointer!,
                                 bytes: roundUp(metadata.top - metadata.origin, toMultipleOf: Region.hugePageBytes))
    }

    private mutating func notePeak() {
        if committedBytes > peakCommittedBytes { peakCommittedBytes = committedBytes }
    }

    // MARK: Giving spans back

    /// Returns a span's pages. Its objects must already be dead or freed.
    mutating func free(_ span: UnsafeMutablePointer<Span>, metadata: inout Metadata) {
        if span.pointee.state != .free && span.pointee.kind == .uncollectable { uncollectableSpanCount &-= 1 }
        pageMap.setEntries(for: span, to: nil)
        span.pointee.state = .free
        span.pointee.freeAge = 0
        span.pointee.next = nil
        span.pointee.previous = nil
        var merged = span

        let firstPage = pageMap.pageIndex(merged.pointee.start)
        if firstPage > 0, let left = pageMap.entries[firstPage - 1], left.pointee.state == .free {
            remove(left)
            pageMap.entries[firstPage - 1] = nil
            absorb(merged, into: left)
            metadata.releaseDescriptor(merged)
            merged = left
        }
        let afterPage = pageMap.pageIndex(merged.pointee.end)
        if merged.pointee.end < pageMap.arenaTop, let right = pageMap.entries[afterPage],
           right.pointee.state == .free {
            remove(right)
            pageMap.entries[afterPage] = nil
            pageMap.entries[pageMap.pageIndex(right.pointee.end) - 1] = nil
            absorb(right, into: merged)
            metadata.releaseDescriptor(right)
        }
        pageMap.setBoundaryEntries(for: merged)
        insert(merged)
    }

    /// Returns a span's pages and their memory: like `free`, after giving
    /// the memory back to the OS (a destroyed user arena's chunks).
    mutating func freeReturningMemory(_ span: UnsafeMutablePointer<Span>, metadata: inout Metadata) {
        OS.decommit(span.pointee.start.pointer!, bytes: span.pointee.bytes)
        span.pointee.isCommitted = false
        span.pointee.isZeroed = true
        committedBytes -= span.pointee.bytes
        decommittedBytes += span.pointee.bytes
        free(span, metadata: &metadata)
    }

    /// Extends `left` over its right neighbour `right`, reconciling flags.
    private mutating func absorb(_ right: UnsafeMutablePointer<Span>, into left: UnsafeMutablePointer<Span>) {
        if left.pointee.isCommitted != right.pointee.isCommitted {
            // Count the whole span as committed; the next decommit pass
            // returns all of it.
            let decommittedPart = left.pointee.isCommitted ? right.pointee.bytes : left.pointee.bytes
            decommittedBytes -= decommittedPart
            committedBytes += decommittedPart
        }
        left.pointee.isCommitted = left.pointee.isCommitted || right.pointee.isCommitted
        left.pointee.isZeroed = left.pointee.isZeroed && right.pointee.isZeroed
        left.pointee.freeAge = min(left.pointee.freeAge, right.pointee.freeAge)
        left.pointee.pageCount += right.pointee.pageCount
    }

    /// Ages every free span by one collection and returns to the OS the
    /// memory of those free for `decommitAge` collections.
    mutating func ageAndDecommitFreeSpans() {
        decommitFreeSpans(minimumAge: PageAllocator.decommitAge, aging: true)
    }

    /// Returns to the OS the memory of free spans at least `minimumAge`
    /// collections old, after adding one to every age if `aging`.
    mutating func decommitFreeSpans(minimumAge: UInt32, aging: Bool = false) {
        for listIndex in 0...PageAllocator.exactListCount {
            var cursor = freeLists[listIndex]
            while let span = cursor {
                if aging { span.pointee.freeAge += 1 }
                if span.pointee.isCommitted && span.pointee.freeAge >= minimumAge {
                    OS.decommit(span.pointee.start.pointer!, bytes: span.pointee.bytes)
                    span.pointee.isCommitted = false
                    span.pointee.isZeroed = true
                    committedBytes -= span.pointee.bytes
                    decommittedBytes += span.pointee.bytes
                }
                cursor = span.pointee.next
            }
        }
    }

    /// Bytes of free spans that are still committed (walks the free lists).
    func committedFreeBytes() -> UInt {
        var bytes: UInt = 0
        for listIndex in 0...PageAllocator.exactListCount {
            var cursor = freeLists[listIndex]
            while let span = cursor {
                if span.pointee.isCommitted { bytes += span.pointee.bytes }
                cursor = span.pointee.next
            }
        }
        return bytes
    }

    // MARK: Lists

    private func listIndex(for pageCount: UInt) -> Int {
        pageCount <= UInt(PageAllocator.exactListCount) ? Int(pageCount) : 0
    }

    private mutating func insert(_ span: UnsafeMutablePointer<Span>) {
        let index = listIndex(for: span.pointee.pageCount)
        span.pointee.previous = nil
        span.pointee.next = freeLists[index]
        freeLists[index]?.pointee.previous = span
        freeLists[index] = span
        if index > 0 { nonEmptyExactLists |= 1 << UInt64(index - 1) }
    }

    private mutating func remove(_ span: UnsafeMutablePointer<Span>) {
        let index = listIndex(for: span.pointee.pageCount)
        if let previous = span.pointee.previous {
            previous.pointee.next = span.pointee.next
        } else {
            freeLists[index] = span.pointee.next
        }
        span.pointee.next?.pointee.previous = span.pointee.previous
        span.pointee.next = nil
        span.pointee.previous = nil
        if index > 0 && freeLists[index] == nil { nonEmptyExactLists &= ~(1 << UInt64(index - 1)) }
    }
}
