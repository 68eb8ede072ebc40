import _CSwiftGC

/// What a sweep found (Collector/Sweeper.swift, Collector/LazySweeping.swift).
struct SweepResult {
    var liveBytes: UInt = 0
    var reclaimedBytes: UInt = 0
}

/// The heap: spans of small objects by kind and size class, large objects,
/// and the thread caches that allocate from them. It knows how to allocate,
/// free and find objects; when to collect is decided above it.
///
/// Everything here except the cache fast path runs under the heap lock.
struct Heap {
    var pages: PageAllocator
    var metadata: Metadata
    /// Per kind and class, small spans with free slots and no owning cache,
    /// linked through `Span.next`.
    var availableSpans: UnsafeMutablePointer<UnsafeMutablePointer<Span>?>
    var caches: UnsafeMutablePointer<ThreadCache>? = nil

    /// Bytes handed to caches or large objects since the last collection,
    /// including slots caches have reserved but not yet handed out.
    var bytesAllocatedSinceCollection: UInt = 0
    var totalBytesAllocated: UInt64 = 0
    var totalBytesFreed: UInt64 = 0
    /// Stress mode: caches claim one slot at a time, so that every
    /// allocation reaches the slow path, where stress collections are counted.
    var claimsOneSlotAtATime = false
    /// Whether a small slot of a scanned kind is cleared when it is handed
    /// out from a span that may hold old data, so that stale words cannot
    /// retain anything. The preload's safe-free mode turns it off: there,
    /// blocks never freed are never reclaimed, so stale words can only
    /// delay the reuse of quarantined blocks, and malloc promises no zeros
    /// (calloc clears its own). Clearing took 10-25% of a malloc/free
    /// microbenchmark's time.
    var clearsReusedSlots = true
    /// malloc mode, where no collection reclaims memory: bytes of small
    /// spans seen becoming empty since empty spans were last released
    /// (EmptySpanRelease). Updated atomically, without the lock.
    var emptiedSpanBytes: UInt64 = 0
    /// malloc mode: bytes of large objects freed since free spans were last
    /// returned to the OS (LargeRelease). Under the lock.
    var largeBytesFreedSinceRelease: UInt = 0
    /// Set while a mostly-concurrent cycle marks beside the program: every
    /// slot claimed and every large object allocated is born marked, so the
    /// cycle never reclaims what was allocated during it (Collector/ConcurrentCycle).
    var allocatesMarked = false
    /// Write protection for concurrent marking (Collector/ArenaWriteTracker):
    /// the userfaultfd descriptor through which spans handed out for
    /// allocation are unprotected, or -1, and the epoch of the last
    /// re-protection of the arena. Allocation writes every page of a span
    /// it fills; lifting the protection of the whole span once costs about
    /// as much as one write fault, instead of one fault per page.
    var unprotectionDescriptor: Int32 = -1
    var protectionEpoch: UInt32 = 0
    /// Lazy sweeping (Collector/LazySweeping): whether a sweep phase runs,
    /// its epoch (a span is swept once its `sweptEpoch` equals it), where
    /// the walk has reached, its totals so far, and the spans it emptied.
    var isSweeping = false
    var sweepEpoch: UInt32 = 0
    var sweepCursor: Address = .null
    var sweepResult = SweepResult()
    var sweepEmptySpans: UnsafeMutablePointer<Span>? = nil
    /// User arenas (Heap+UserArenas.swift): the live ones, linked through
    /// `UserArena.next`; freed records for reuse; bytes of arena chunks,
    /// quarantined ones included; and of quarantined chunks alone.
    var userArenas: UnsafeMutablePointer<UserArena>? = nil
    var freeUserArenaRecords: UnsafeMutablePointer<UserArena>? = nil
    var userArenaBytes: UInt = 0
    var quarantinedUserArenaBytes: UInt = 0

    /// Whether a slot claimed now in `span` must be born marked: during
    /// concurrent marking always, during a sweep phase in unswept spans.
    @inline(__always) func claimsAreMarked(in span: UnsafeMutablePointer<Span>) -> Bool {
        allocatesMarked || (isSweeping && span.pointee.sweptEpoch != sweepEpoch)
    }

    @inline(__always) var pageMap: PageMap { pages.pageMap }

    // MARK: Finding objects

    /// The live object containing `address` (or one byte past a padded
    /// object's requested end), as its span and index; nil if none.
    @inline(__always) func object(containing address: Address) -> (span: UnsafeMutablePointer<Span>, index: Int)? {
        guard let span = pages.pageMap.span(containing: address), span.pointee.state != .free else { return nil }
        let index = span.objectIndex(containing: address)
        guard index < span.pointee.objectCount, span.isAllocated(index) else { return nil }
        return (span, index)
    }

    // MARK: Small objects

    /// Makes `entry` hold free slots of its class, taking a new span if the
    /// owned one is full. Returns false when no memory is left. Updates the
    /// allocation counters by the bytes claimed.
    mutating func refill(_ entry: UnsafeMutablePointer<CacheEntry>, kind: ObjectKind, sizeClass: Int,
                         heapLimit: UInt) -> Bool {
        var claimed = entry.claimNextWord(oneSlotOnly: claimsOneSlotAtATime, clearsReusedSlots: clearsReusedSlots)
        if claimed == 0 {
            flushKeepingFreeSlots(entry)
            guard let span = takeSpan(kind: kind, sizeClass: sizeClass, heapLimit: heapLimit) else { return false }
            span.pointee.owner = entry
            entry.pointee.span = span
            entry.pointee.wordIndex = 0
            entry.pointee.objectSize = span.pointee.objectSize
            claimed = entry.claimNextWord(oneSlotOnly: claimsOneSlotAtATime, clearsReusedSlots: clearsReusedSlots)
        }
        if let span = entry.pointee.span, claimsAreMarked(in: span) {
            // Atomic: a concurrent cycle's marker may set other bits of the
            // word without the lock (Collector/ConcurrentCycle).
            _ = Atomics.fetchOr(acquiringAndReleasing: span.markBits.words + entry.pointee.wordIndex,
                                entry.pointee.freeMask)
        }
        let bytes = UInt(claimed) * entry.pointee.objectSize
        bytesAllocatedSinceCollection += bytes
        totalBytesAllocated += UInt64(bytes)
        return claimed > 0
    }

    /// Unprotects the pages of `span`, which allocation is about to write,
    /// unless that was done since the arena was last protected.
    @inline(__always) func unprotectForAllocation(_ span: UnsafeMutablePointer<Span>) {
        guard unprotectionDescriptor >= 0, span.pointee.unprotectedEpoch != protectionEpoch else { return }
        span.pointee.unprotectedEpoch = protectionEpoch
        DirtyPages.unprotect(span.pointee.start..<span.pointee.end, descriptor: unprotectionDescriptor)
    }

    private mutating func takeSpan(kind: ObjectKind, sizeClass: Int, heapLimit: UInt) -> UnsafeMutablePointer<Span>? {
        let listIndex = Int(kind.rawValue) * SizeClass.count + sizeClass
        if let span = availableSpans[listIndex] {
            availableSpans[listIndex] = span.pointee.next
            span.pointee.next = nil
            span.pointee.isInAvailableList = false
            span.pointee.freeAge = 0
            unprotectForAllocation(span)
            return span
        }
        let pageCount = SizeClass.pagesPerSpan(ofClass: sizeClass)
        guard let span = pages.allocate(pageCount: pageCount, limit: heapLimit, metadata: &metadata) else {
            return nil
        }
        span.formatSmall(sizeClass: sizeClass, kind: kind)
        if kind == .uncollectable { pages.uncollectableSpanCount &+= 1 }
        span.pointee.sweptEpoch = sweepEpoch
        span.pointee.unprotectedEpoch = protectionEpoch &- 1
        unprotectForAllocation(span)
        pages.pageMap.setEntries(for: span, to: span)
        return span
    }

    /// Puts a small span that has free slots back where caches look for them.
    mutating func makeAvailable(_ span: UnsafeMutablePointer<Span>) {
        guard !span.pointee.isInAvailableList && !span.pointee.isOwnedByCache else { return }
        let listIndex = Int(span.pointee.kind.rawValue) * SizeClass.count + Int(span.pointee.sizeClass)
        span.pointee.next = availableSpans[listIndex]
        availableSpans[listIndex] = span
        span.pointee.isInAvailableList = true
    }

    /// Drops a cache entry's span and, if explicit frees left free slots in
    /// it, makes it available: without collections (the preload library's
    /// malloc mode) nothing else would find those slots again.
    mutating func flushKeepingFreeSlots(_ entry: UnsafeMutablePointer<CacheEntry>) {
        let span = entry.pointee.span
        entry.flush()
        guard let span, span.pointee.state == .small else { return }
        // After dropping the owner, before reading the bits: pairs with the
        // lock-free free, which clears a bit and then reads the owner.
        Atomics.sequentiallyConsistentFence()
        if span.hasFreeSlot() { makeAvailable(span) }
        if span.isEmpty() { noteEmptied(span) }
    }

    /// Counts a small span that became empty towards the next release of
    /// empty spans (malloc mode; collections reclaim them otherwise).
    mutating func noteEmptied(_ span: UnsafeMutablePointer<Span>) {
        _ = Atomics.fetchAdd(acquiringAndReleasing: &emptiedSpanBytes, UInt64(span.pointee.bytes))
    }

    /// Returns empty small spans on the available lists to the page
    /// allocator, if they were already empty at the previous call; marks the
    /// others that are empty now. The two-call hysteresis keeps spans that a
    /// program empties and fills again in turn. Returns the bytes released.
    mutating func releaseEmptySpans() -> UInt {
        var released: UInt = 0
        for listIndex in 0..<ThreadCache.entryCount {
            var previous: UnsafeMutablePointer<Span>? = nil
            var cursor = availableSpans[listIndex]
            while let span = cursor {
                cursor = span.pointee.next
                guard span.isEmpty() else {
                    span.pointee.freeAge = 0
                    previous = span
                    continue
                }
                guard span.pointee.freeAge >= 1 else {
                    span.pointee.freeAge = 1
                    previous = span
                    continue
                }
                if let previous { previous.pointee.next = cursor } else { availableSpans[listIndex] = cursor }
                span.pointee.next = nil
                span.pointee.isInAvailableList = false
                span.pointee.isZeroed = false
                released += span.pointee.bytes
                pages.free(span, metadata: &metadata)
            }
        }
        return released
    }

    /// Empties every available list; sweeping rebuilds them.
    mutating func clearAvailableLists() {
        for index in 0..<ThreadCache.entryCount {
            var cursor = availableSpans[index]
            while let span = cursor {
                cursor = span.pointee.next
                span.pointee.next = nil
                span.pointee.isInAvailableList = false
            }
            availableSpans[index] = nil
        }
    }

    // MARK: Thread caches

    /// A new, empty cache in the list every collection visits.
    mutating func makeCache() -> UnsafeMutablePointer<ThreadCache>? {
        guard let raw = metadata.allocate(bytes: ThreadCache.byteCount) else { return nil }
        let entries = (raw + MemoryLayout<ThreadCache>.stride).alignedUp(toMultipleOf: 64)
            .bindMemory(to: CacheEntry.self, capacity: ThreadCache.entryCount)
        entries.initialize(repeating: CacheEntry(), count: ThreadCache.entryCount)
        let cache = raw.bindMemory(to: ThreadCache.self, capacity: 1)
        cache.initialize(to: ThreadCache(nextCache: caches, entriesStorage: entries))
        caches = cache
        return cache
    }

    /// Writes the ranges of the spans caches allocate from into `ranges`,
    /// in address order, and returns how many; nil if there are more than
    /// `capacity`. The caller holds the lock.
    func ownedSpanRanges(into ranges: UnsafeMutablePointer<Range<Address>>, capacity: Int) -> Int? {
        var count = 0
        var cursor = caches
        while let cache = cursor {
            for index in 0..<ThreadCache.entryCount {
                guard let span = cache.pointee.entriesStorage[index].span else { continue }
                guard count < capacity else { return nil }
                // Insertion sort: a few dozen spans per thread.
                var slot = count
                while slot > 0 && ranges[slot - 1].lowerBound > span.pointee.start {
                    ranges[slot] = ranges[slot - 1]
                    slot -= 1
                }
                ranges[slot] = span.pointee.start..<span.pointee.end
                count += 1
            }
            cursor = cache.pointee.nextCache
        }
        return count
    }

    /// Marks the slots every cache has reserved but not handed out, so the
    /// sweep keeps them. Caches are left as they are: another thread may be
    /// stopped in the middle of its lock-free fast path, holding a slot it
    /// has taken from the mask but not yet returned. Runs between marking
    /// and sweeping, under the heap lock, so no cache is being refilled.
    /// Returns the bytes pinned, which are not objects in use.
    func pinCachedSlots() -> UInt {
        var pinnedBytes: UInt = 0
        var cursor = caches
        while let cache = cursor {
            for index in 0..<ThreadCache.entryCount {
                let entry = cache.pointee.entriesStorage[index]
                if let span = entry.span, entry.freeMask != 0 {
                    span.markBits.words[entry.wordIndex] |= entry.freeMask
                    pinnedBytes += UInt(entry.freeMask.nonzeroBitCount) * entry.objectSize
                }
            }
            cursor = cache.pointee.nextCache
        }
        return pinnedBytes
    }

    // MARK: Large objects

    /// A large object of at least `bytes` bytes (padding included), zeroed
    /// unless atomic. Nil when the heap limit or the arena is reached.
    mutating func allocateLarge(bytes: UInt, kind: ObjectKind, heapLimit: UInt) -> UnsafeMutableRawPointer? {
        let pageCount = (bytes + PageMap.pageSize - 1) / PageMap.pageSize
        guard let span = pages.allocate(pageCount: pageCount, limit: heapLimit, metadata: &metadata) else {
            return nil
        }
        if kind.needsZeroing && !span.pointee.isZeroed {
            if span.pointee.bytes >= 1 << 20 {
                // Cheaper than clearing: the kernel supplies zero pages on touch.
                OS.decommit(span.pointee.start.pointer!, bytes: span.pointee.bytes)
            } else {
                memset(span.pointee.start.pointer!, 0, Int(span.pointee.bytes))
            }
        }
        span.formatLarge(kind: kind)
        if kind == .uncollectable { pages.uncollectableSpanCount &+= 1 }
        span.pointee.unprotectedEpoch = protectionEpoch &- 1
        unprotectForAllocation(span)
        span.pointee.sweptEpoch = sweepEpoch
        if allocatesMarked { span.markBits.set(0) }
        span.pointee.isZeroed = false
        pages.pageMap.setEntries(for: span, to: span)
        bytesAllocatedSinceCollection += span.pointee.bytes
        totalBytesAllocated += UInt64(span.pointee.bytes)
        return span.pointee.start.pointer
    }

    // MARK: Explicit free

    /// Frees the object `index` of `span`, which must be live.
    mutating func free(_ span: UnsafeMutablePointer<Span>, index: Int) {
        totalBytesFreed += UInt64(span.pointee.objectSize)
        // Freed memory is reused without a collection, so it does not count
        // towards the next one (bdwgc counts explicit frees the same way):
        // a program that frees what it allocates (the preload's collect
        // mode) collects only as its unfreed memory grows.
        bytesAllocatedSinceCollection -= min(bytesAllocatedSinceCollection, span.pointee.objectSize)
        // The mark bit too: a concurrent cycle may have marked the object,
        // and a set mark bit would make it live again at the sweep.
        if span.pointee.state == .large {
            span.liveBits.clear(0)
            span.markBits.clear(0)
            pages.free(span, metadata: &metadata)
            return
        }
        // Atomic: malloc mode's lock-free free may clear other bits of this
        // word, and a concurrent cycle's marker may set other mark bits.
        let bit = ~(UInt64(1) &<< UInt64(index & 63))
        _ = Atomics.fetchAnd(acquiringAndReleasing: span.liveBits.words + (index &>> 6), bit)
        _ = Atomics.fetchAnd(acquiringAndReleasing: span.markBits.words + (index &>> 6), bit)
        span.pointee.isZeroed = false
        makeAvailable(span)
    }
}
