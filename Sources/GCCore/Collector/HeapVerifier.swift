import _CSwiftGC

/// The heap verifier (SWIFTGC_VERIFY=1): checks the invariants of
/// docs/DESIGN.md during every collection, while the world is stopped and
/// the heap lock is held. The first violation prints one `swiftgc: heap
/// verifier:` line naming the invariant, the span (its first page) and the
/// object, then aborts.
///
/// Two checks, at two points of a collection:
///
/// - `checkMarkingIsClosed`, after marking and pinning, before the sweep.
///   Every uncollectable object is marked; every word of a root (the
///   roots `RootEnumeration` lists, which marking used), and every word of
///   a marked, handed-out, scanned object, that points into a live object
///   must point into a marked one.
///   This is the precise re-trace: it is exactly the condition under which
///   the sweep frees no object a live object can reach. (After the sweep
///   it could not be checked: a word pointing into a free slot may be a
///   stale integer, or a pointer freed with gc_free, which conservative
///   marking rightly ignores.) Slots a cache has reserved but not handed
///   out are marked by pinning, not by tracing; their stale contents are
///   not objects and are skipped.
/// - `checkHeap`, after the sweep: the page map agrees with the spans, free
///   spans are on the right free list and never adjacent, available lists
///   hold only unowned small spans of their kind and class with a free
///   slot (and every such span), cache entries agree with the spans they
///   own, every mark bit is clear, and the byte counters add up.
struct HeapVerifier {
    let state: UnsafeMutablePointer<CollectorState>
    let pageMap: PageMap

    init(_ state: UnsafeMutablePointer<CollectorState>) {
        self.state = state
        self.pageMap = state.pointee.heap.pageMap
    }

    // MARK: Marking

    /// See the type's documentation. `roots` is the enumeration marking
    /// used: the same roots, in the same order.
    func checkMarkingIsClosed(_ roots: RootEnumeration) {
        var verifier = self
        withUnsafeMutablePointer(to: &verifier) { verifierPointer in
            _ = roots.forEachRoot(context: UnsafeMutableRawPointer(verifierPointer)) { low, high, source, context in
                let verifier = context.unsafelyUnwrapped.assumingMemoryBound(to: HeapVerifier.self)
                verifier.pointee.requireMarked(root: low, high, source: RootSource(rawValue: source) ?? .thread)
            }
        }
        var residency = PageResidency.open(buffer: state.pointee.pagemapBuffer)
        pageMap.forEachSpan { span in
            guard span.pointee.state != .free else { return }
            for index in 0..<span.pointee.objectCount where span.liveBits.isSet(index) {
                let start = span.objectStart(index)
                // Typed and described objects are scanned only at their descriptor's words, so
                // the other words may look like pointers to unmarked objects;
                // they are left out of this check.
                guard span.markBits.isSet(index), span.pointee.kind.isScanned, !span.pointee.kind.isScannedPrecisely,
                      span.isAllocated(index) else { continue }
                requireMarkedTargetsInWrittenPages(low: start.value, high: start.value &+ span.pointee.objectSize,
                                                   source: start, residency)
            }
        }
        residency.close()
    }

    /// Fails if root `[low, high)` reaches an unmarked live object: an
    /// uncollectable object that is not marked itself, or a range with a
    /// word pointing into an unmarked live object.
    private func requireMarked(root low: UInt, _ high: UInt, source: RootSource) {
        switch source {
        case .uncollectableObject:
            guard let span = pageMap.span(containing: Address(low)) else { return }
            let index = span.objectIndex(containing: Address(low))
            if !span.markBits.isSet(index) && span.isAllocated(index) {
                fail("an uncollectable object is not marked", span: span, object: Address(low))
            }
        case .addedRange:
            requireMarkedTargets(low: low, high: high, source: .null,
                                 "a gc_add_roots range points to a live object that is not marked")
        case .mapping:
            requireMarkedTargets(low: low, high: high, source: .null,
                                 "a data segment or mapping scanned as a root points to a live object that is not marked")
        case .collectingThread:
            requireMarkedTargets(low: low, high: high, source: .null,
                                 "the collecting thread's stack points to a live object that is not marked")
        case .thread:
            requireMarkedTargets(low: low, high: high, source: .null,
                                 "a thread's stack, thread-local storage or start/result word points to a live object that is not marked")
        case .pushedByProgram:
            requireMarkedTargets(low: low, high: high, source: .null,
                                 "a range pushed by the push-other-roots callback points to a live object that is not marked")
        case .userArena:
            requireMarkedTargets(low: low, high: high, source: .null,
                                 "a user arena's scanned chunk points to a live object that is not marked")
        }
    }

    /// `requireMarkedTargets` for a marked object, reading big ones only
    /// where their pages may hold data, as the marker does: the others are
    /// zeros, and reading them would map the zero page into each.
    private func requireMarkedTargetsInWrittenPages(low: UInt, high: UInt, source: Address, _ residency: PageResidency) {
        let invariant: StaticString = "a marked object points to a live object that is not marked"
        guard high &- low >= Marker.sparseScanBytes && residency.isOpen else {
            return requireMarkedTargets(low: low, high: high, source: source, invariant)
        }
        residency.forEachWrittenRun(low: low, high: high) { runLow, runHigh in
            requireMarkedTargets(low: runLow, high: runHigh, source: source, invariant)
        }
    }

    /// Fails if a word in [low, high) points into an object whose live bit
    /// is set and whose mark bit is clear. `source` is the object scanned,
    /// or null for a root range.
    func requireMarkedTargets(low: UInt, high: UInt, source: Address, _ invariant: StaticString) {
        var cursor = (low &+ 7) & ~7
        let end = high & ~7
        while cursor < end {
            let word = UnsafePointer<UInt>(bitPattern: cursor).unsafelyUnwrapped.pointee
            cursor &+= 8
            guard let span = pageMap.span(containing: Address(word)), span.pointee.state != .free else { continue }
            let index = span.objectIndex(containing: Address(word))
            guard index < span.pointee.objectCount, span.liveBits.isSet(index), !span.markBits.isSet(index) else {
                continue
            }
            fail(invariant, span: span, object: span.objectStart(index),
                 source: source == .null ? Address(cursor &- 8) : source)
        }
    }

    // MARK: Structure

    /// See the type's documentation. `sweptLiveBytes` is the sweep's count
    /// of surviving bytes, pinned slots included.
    func checkHeap(sweptLiveBytes: UInt) {
        let pages = state.pointee.heap.pages
        var address = pageMap.arenaStart
        var previousWasFree = false
        var freeSpanCount = 0
        var availableSpanCount = 0
        var committedBytes: UInt = 0
        var decommittedBytes: UInt = 0
        var liveBytes: UInt = 0
        var userArenaBytes: UInt = 0
        while address < pageMap.arenaTop {
            guard let span = pageMap.entries[pageMap.pageIndex(address)] else {
                fail("page map: the first page of a span maps to no span", span: nil, object: address)
            }
            guard span.pointee.start == address, span.pointee.pageCount > 0, span.pointee.end <= pageMap.arenaTop else {
                fail("page map: a span's first page maps to a span that does not start there", span: span, object: address)
            }
            let first = pageMap.pageIndex(span.pointee.start)
            let last = first + Int(span.pointee.pageCount) - 1
            if span.pointee.state == .free {
                freeSpanCount += 1
                if previousWasFree { fail("two free spans are adjacent (freeing should merge them)", span: span, object: address) }
                if pageMap.entries[last] != span { fail("page map: a free span's last page does not map to it", span: span, object: address) }
                if last > first + 1 {
                    for page in (first + 1)..<last where pageMap.entries[page] != nil {
                        fail("page map: an inner page of a free span maps to a span", span: span, object: address)
                    }
                }
                if span.pointee.isCommitted { committedBytes += span.pointee.bytes } else { decommittedBytes += span.pointee.bytes }
            } else {
                for page in first...last where pageMap.entries[page] != span {
                    fail("page map: a page of a span does not map to it", span: span, object: address)
                }
                committedBytes += span.pointee.bytes
                if span.pointee.state == .userArena {
                    checkUserArenaChunk(span)
                    userArenaBytes += span.pointee.bytes
                } else {
                    liveBytes += checkObjectSpan(span)
                }
                if span.pointee.isInAvailableList { availableSpanCount += 1 }
            }
            previousWasFree = span.pointee.state == .free
            address = span.pointee.end
        }
        if committedBytes != pages.committedBytes {
            fail("counters: committed bytes differ from the sum of committed spans", span: nil, object: .null)
        }
        if decommittedBytes != pages.decommittedBytes {
            fail("counters: decommitted bytes differ from the sum of decommitted free spans", span: nil, object: .null)
        }
        if liveBytes != sweptLiveBytes {
            fail("counters: the sweep's live bytes differ from the sum of live bits", span: nil, object: .null)
        }
        if userArenaBytes != state.pointee.heap.userArenaBytes {
            fail("counters: user arena bytes differ from the sum of arena chunks", span: nil, object: .null)
        }
        checkUserArenas()
        checkFreeLists(expectedCount: freeSpanCount)
        checkAvailableLists(expectedCount: availableSpanCount)
        checkCaches()
    }

    /// Checks a small or large span's bits and list flags; returns its live bytes.
    private func checkObjectSpan(_ span: UnsafeMutablePointer<Span>) -> UInt {
        let start = span.pointee.start
        if span.pointee.hasUnscannedMarks { fail("a span is still flagged for rescanning after the sweep", span: span, object: start) }
        for word in 0..<Span.bitmapWordCount where span.markBits.words[word] != 0 {
            fail("a mark bit is set after the sweep", span: span, object: span.objectStart(word * 64))
        }
        if span.pointee.state == .large {
            if span.pointee.objectCount != 1 || span.pointee.objectSize != span.pointee.bytes {
                fail("a large span's object does not cover the span", span: span, object: start)
            }
            if span.liveBits.words[0] != 1 { fail("a large span survived the sweep without its live bit", span: span, object: start) }
            if span.pointee.isInAvailableList || span.pointee.owner != nil {
                fail("a large span is on an available list or owned by a cache", span: span, object: start)
            }
            return span.pointee.bytes
        }
        let sizeClass = Int(span.pointee.sizeClass)
        if span.pointee.objectSize != SizeClass.objectSize(ofClass: sizeClass)
            || span.pointee.objectCount != Int(span.pointee.bytes / span.pointee.objectSize) {
            fail("a small span's object size or count disagrees with its size class", span: span, object: start)
        }
        var liveCount = 0
        for word in 0..<Span.bitmapWordCount {
            let bits = span.liveBits.words[word]
            if bits & ~validBitsMask(wordIndex: word, bitCount: span.pointee.objectCount) != 0 {
                fail("a live bit is set past a span's last object", span: span, object: span.objectStart(word * 64))
            }
            liveCount += bits.nonzeroBitCount
        }
        let hasFreeSlot = liveCount < span.pointee.objectCount
        if let owner = span.pointee.owner {
            if owner.pointee.span != span { fail("a span's owning cache entry does not own it", span: span, object: start) }
            if span.pointee.isInAvailableList { fail("a span owned by a cache is on an available list", span: span, object: start) }
        } else if hasFreeSlot != span.pointee.isInAvailableList {
            fail(hasFreeSlot ? "a span with free slots is on no available list" : "a full span is on an available list",
                 span: span, object: start)
        }
        return UInt(liveCount) * span.pointee.objectSize
    }

    /// A user arena's chunk holds no objects, bits or list memberships; an
    /// owned one belongs to a live arena.
    private func checkUserArenaChunk(_ span: UnsafeMutablePointer<Span>) {
        let start = span.pointee.start
        if span.pointee.objectCount != 0 || span.liveBits.words[0] != 0 || span.markBits.words[0] != 0 {
            fail("a user arena chunk has objects, live bits or mark bits", span: span, object: start)
        }
        if span.pointee.isInAvailableList || span.pointee.owner != nil || span.pointee.hasUnscannedMarks {
            fail("a user arena chunk is on an available list, owned by a cache or flagged", span: span, object: start)
        }
        if let arena = span.pointee.userArena?.assumingMemoryBound(to: UserArena.self),
           arena.pointee.identity != UserArena.liveIdentity {
            fail("a user arena chunk belongs to an arena that was destroyed", span: span, object: start)
        }
        if span.pointee.userArena != nil && span.pointee.userArenaUsedBytes > span.pointee.bytes {
            fail("a user arena chunk's used bytes pass its end", span: span, object: start)
        }
    }

    /// Every live arena's chunks are arena chunks of it, and its lanes'
    /// bump pointers lie in their current chunks.
    private func checkUserArenas() {
        state.pointee.heap.forEachUserArena { arena in
            var bytes: UInt = 0
            arena.forEachChunk { chunk in
                bytes += chunk.pointee.bytes
                if pageMap.span(containing: chunk.pointee.start) != chunk || chunk.pointee.state != .userArena
                    || chunk.pointee.userArena != UnsafeMutableRawPointer(arena) {
                    fail("a user arena lists a chunk that is not its own", span: chunk, object: chunk.pointee.start)
                }
            }
            if bytes != arena.pointee.chunkBytes {
                fail("counters: a user arena's chunk bytes differ from its chunks", span: nil, object: .null)
            }
            checkLane(arena.pointee.scanned)
            checkLane(arena.pointee.atomic)
        }
    }

    private func checkLane(_ lane: UserArenaLane) {
        guard let current = lane.current else { return }
        if lane.top < current.pointee.start.value || lane.top > lane.end || lane.end != current.pointee.end.value {
            fail("a user arena's bump pointer is outside its current chunk", span: current, object: Address(lane.top))
        }
    }

    private func checkFreeLists(expectedCount: Int) {
        let pages = state.pointee.heap.pages
        var count = 0
        for listIndex in 0...PageAllocator.exactListCount {
            var previous: UnsafeMutablePointer<Span>? = nil
            var cursor = pages.freeLists[listIndex]
            if listIndex > 0 && (cursor != nil) != (pages.nonEmptyExactLists & (1 << UInt64(listIndex - 1)) != 0) {
                fail("free lists: the non-empty mask disagrees with a list", span: cursor, object: .null)
            }
            while let span = cursor {
                count += 1
                if count > expectedCount { fail("free lists: more entries than free spans (a span listed twice, or a cycle)", span: span, object: span.pointee.start) }
                let pageCount = span.pointee.pageCount
                let expectedList = pageCount <= UInt(PageAllocator.exactListCount) ? Int(pageCount) : 0
                if span.pointee.state != .free || expectedList != listIndex {
                    fail("free lists: a span is not free or is on the wrong list", span: span, object: span.pointee.start)
                }
                if span.pointee.previous != previous { fail("free lists: a back link is wrong", span: span, object: span.pointee.start) }
                previous = span
                cursor = span.pointee.next
            }
        }
        if count != expectedCount { fail("free lists: some free span is on no free list", span: nil, object: .null) }
    }

    private func checkAvailableLists(expectedCount: Int) {
        var count = 0
        for listIndex in 0..<ThreadCache.entryCount {
            var cursor = state.pointee.heap.availableSpans[listIndex]
            while let span = cursor {
                count += 1
                if count > expectedCount { fail("available lists: more entries than flagged spans (a cycle?)", span: span, object: span.pointee.start) }
                let spanList = Int(span.pointee.kind.rawValue) * SizeClass.count + Int(span.pointee.sizeClass)
                if span.pointee.state != .small || spanList != listIndex || !span.pointee.isInAvailableList {
                    fail("available lists: a span of another state, kind or class", span: span, object: span.pointee.start)
                }
                cursor = span.pointee.next
            }
        }
        if count != expectedCount { fail("available lists: a span flagged as available is on no list", span: nil, object: .null) }
    }

    private func checkCaches() {
        var cursor = state.pointee.heap.caches
        while let cache = cursor {
            for index in 0..<ThreadCache.entryCount {
                let entry = cache.pointee.entriesStorage + index
                guard let span = entry.pointee.span else {
                    if entry.pointee.freeMask != 0 { fail("a cache entry without a span has free slots", span: nil, object: .null) }
                    continue
                }
                let start = span.pointee.start
                let spanEntry = Int(span.pointee.kind.rawValue) * SizeClass.count + Int(span.pointee.sizeClass)
                if span.pointee.state != .small || span.pointee.owner != entry || spanEntry != index
                    || entry.pointee.objectSize != span.pointee.objectSize {
                    fail("a cache entry's span is not a small span of its kind and class that it owns", span: span, object: start)
                }
                let mask = entry.pointee.freeMask
                guard mask != 0 else { continue }
                let word = entry.pointee.wordIndex
                if word >= Span.bitmapWordCount || span.liveBits.words[word] & mask != mask {
                    fail("a cache entry reserves slots whose live bits are clear", span: span, object: start)
                }
                if ~entry.pointee.hiddenWordBase != span.objectStart(word * 64).value {
                    fail("a cache entry's word base is not its word's first slot", span: span, object: start)
                }
            }
            cursor = cache.pointee.nextCache
        }
    }

    // MARK: Reporting

    private func fail(_ invariant: StaticString, span: UnsafeMutablePointer<Span>?, object: Address,
                      source: Address = .null) -> Never {
        reportLine { message in
            message.append("heap verifier: ")
            message.append(invariant)
            if object != .null {
                message.append(": object ")
                message.append(address: object)
            }
            if let span {
                message.append(", span at page ")
                message.append(address: span.pointee.start)
                message.append(" (")
                message.append(decimal: UInt64(span.pointee.pageCount))
                message.append(" pages, object size ")
                message.append(decimal: UInt64(span.pointee.objectSize))
                message.append(")")
            }
            if source != .null {
                message.append(", reached from ")
                message.append(address: source)
            }
            message.append("; collection ")
            message.append(decimal: state.pointee.statistics.collections + 1)
        }
        OS.abortProcess()
    }
}
