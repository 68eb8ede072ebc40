import _CSwiftGC

/// The semantics of the C malloc family (malloc, free, calloc, realloc,
/// memalign and friends) on top of the collector's heap, for the preload
/// library. The exports in Exports/MallocExports.swift only forward here.
///
/// Differences from the gc_* API: no padding byte (Allocation.paddingBytes
/// is 0 in the preload build), malloc(0) returns a unique 16-byte block,
/// misuse messages name the C function, and what free does depends on the
/// mode. Calls made while the calling thread holds a heap lock come from
/// libc functions the collector itself calls; they are served by the
/// bootstrap arena.
enum MallocFamily {
    /// Reads the mode and installs its collection policy. Called once by
    /// the state's initialisation (through swiftgc_configure_front_end),
    /// before the state is published.
    static func configure(_ state: UnsafeMutablePointer<CollectorState>) {
        let mode = PreloadMode(rawValue: UInt8(truncatingIfNeeded: state.pointee.options[.mode])) ?? .malloc
        preloadMode = mode
        mallocObjectKind = mode == .malloc ? .atomic : .normal
        PreloadCollectionPolicy.install(mode: mode, state)
        if mode == .safeFree { state.pointee.heap.clearsReusedSlots = false }
        if mode == .leakCheck { LeakCheck.start(state) }
        if mode == .malloc { RecentlyFreedBlocks.chooseKey(seed: UInt(bitPattern: state)) }
    }

    // MARK: Allocation

    @inline(__always) static func allocate(_ size: UInt) -> UnsafeMutableRawPointer? {
        if size <= SizeClass.largestObjectSize {
            let sizeClass = SizeClass.index(forBytes: size | (size == 0 ? 1 : 0))
            if let cache = UnsafeMutablePointer<ThreadCache>.current {
                // Rings hold blocks only in malloc mode (MallocModeFree).
                if let object = cache.recentlyFreed(sizeClass: sizeClass).pop() { return object }
                if let object = cache.entry(kind: mallocObjectKind, sizeClass: sizeClass).popSlot() {
                    if preloadMode == .leakCheck { LeakCheck.recordAllocation(object) }
                    return object
                }
            }
            return allocateSmallSlowly(sizeClass: sizeClass)
        }
        return allocateLarge(size)
    }

    @inline(never) static func allocateSmallSlowly(sizeClass: Int) -> UnsafeMutableRawPointer? {
        if swiftgc_lock_depth() != 0 { return BootstrapArena.allocate(bytes: SizeClass.objectSize(ofClass: sizeClass)) }
        guard let state = CollectorState.shared() else { return Allocation.outOfMemory() }
        let object = Allocation.allocateSmallSlowly(sizeClass: sizeClass, kind: mallocObjectKind)
        if preloadMode == .malloc { EmptySpanRelease.releaseIfDue(state) }
        if preloadMode == .leakCheck { LeakCheck.recordAllocation(object) }
        return object
    }

    @inline(never) static func allocateLarge(_ size: UInt, kind: ObjectKind? = nil) -> UnsafeMutableRawPointer? {
        if swiftgc_lock_depth() != 0 { return BootstrapArena.allocate(bytes: size) }
        guard CollectorState.shared() != nil else { return Allocation.outOfMemory() }
        let object = Allocation.allocateLarge(byteCount: size, kind: kind ?? mallocObjectKind)
        if preloadMode == .leakCheck { LeakCheck.recordAllocation(object) }
        return object
    }

    static func allocateZeroed(count: UInt, size: UInt) -> UnsafeMutableRawPointer? {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        if overflow { return Allocation.outOfMemory() }
        if bytes > SizeClass.largestObjectSize {
            // Large objects of a scanned kind come zeroed, cheaply for big ones.
            return allocateLarge(bytes, kind: .normal)
        }
        guard let object = allocate(bytes) else { return nil }
        // Scanned kinds are zeroed on allocation unless safe-free turned it
        // off (Heap.clearsReusedSlots); bootstrap blocks are fresh.
        if mallocObjectKind == .atomic || preloadMode == .safeFree { memset(object, 0, Int(bytes)) }
        return object
    }

    /// A block of `size` bytes at a multiple of `alignment`, a power of two.
    static func allocateAligned(alignment: UInt, size: UInt) -> UnsafeMutableRawPointer? {
        if alignment <= SizeClass.granule { return allocate(size) }
        guard size <= Allocation.largestRequest, alignment <= Allocation.largestRequest else {
            return Allocation.outOfMemory()
        }
        // Spans start on page boundaries, so in a size class whose object
        // size is a multiple of the alignment (and at most a page apart
        // from it) every object is aligned.
        if alignment <= PageMap.pageSize {
            var bytes = roundUp(max(size, 1), toMultipleOf: alignment)
            if bytes <= SizeClass.largestObjectSize
                && SizeClass.objectSize(ofClass: SizeClass.index(forBytes: bytes)) % alignment != 0 {
                bytes = 1 << UInt(64 - (bytes - 1).leadingZeroBitCount)
            }
            if bytes <= SizeClass.largestObjectSize { return allocate(bytes) }
            return allocateLarge(max(size, SizeClass.largestObjectSize + 1))
        }
        // Beyond a page: a large object with room to slide to the boundary.
        if swiftgc_lock_depth() != 0 { return Allocation.outOfMemory() }
        guard let raw = allocateLarge(max(size, SizeClass.largestObjectSize + 1) + alignment - PageMap.pageSize),
              let state = collectorState else { return nil }
        let start = Address(raw)
        let aligned = start.alignedUp(to: alignment)
        if aligned != start {
            state.lock()
            state.pointee.heap.pageMap.span(containing: start)!.pointee.userOffset = aligned - start
            state.unlock()
        }
        return aligned.pointer
    }

    // MARK: Queries

    /// malloc_usable_size: the bytes usable from `address`, a block start;
    /// 0 for NULL or anything else.
    static func usableSize(of address: Address) -> UInt {
        if address == .null { return 0 }
        if let state = collectorState, let span = state.pointee.heap.pageMap.span(containing: address) {
            guard span.pointee.state != .free else { return 0 }
            if span.pointee.state == .large {
                let start = span.pointee.start + span.pointee.userOffset
                return address == start ? span.pointee.objectSize - span.pointee.userOffset : 0
            }
            return span.smallSlot(startingAt: address) != nil ? span.pointee.objectSize : 0
        }
        return BootstrapArena.usableSize(of: address) ?? 0
    }

    /// The span and index of the allocated block starting at `address`, or
    /// a misuse report and nil. The caller holds the heap lock.
    static func block(startingAt address: Address, function: StaticString,
                      _ state: UnsafeMutablePointer<CollectorState>) -> (span: UnsafeMutablePointer<Span>, index: Int)? {
        let found: (span: UnsafeMutablePointer<Span>, index: Int)?
        if let span = state.pointee.heap.pageMap.span(containing: address), span.pointee.state == .large,
           span.pointee.userOffset != 0 {
            let start = span.pointee.start + span.pointee.userOffset
            guard address == start else {
                Misuse.report(function, address, "pointer is inside an object, not at its start", objectStart: start)
                return nil
            }
            found = (span, 0)
        } else {
            found = Allocation.objectStartingAt(address, function: function, state)
        }
        guard let block = found else { return nil }
        if Quarantine.contains(block.span, index: block.index) {
            Misuse.report(function, address, "block is already freed and waiting in quarantine (double free or use after free)")
            return nil
        }
        if preloadMode == .malloc && block.span.pointee.state == .small && RecentlyFreedBlocks.mayHold(address)
            && RecentlyFreedBlocks.isHeldByAnyThread(address, sizeClass: Int(block.span.pointee.sizeClass),
                                                     state.pointee.heap) {
            Misuse.report(function, address, AtomicFree.doubleFreeProblem)
            return nil
        }
        return block
    }

    // MARK: Free and realloc

    @inline(__always) static func free(_ address: Address) {
        if address == .null { return }
        if let state = collectorState, let span = state.pointee.heap.pageMap.span(containing: address) {
            if preloadMode == .malloc
                && MallocModeFree.free(span, address, state) { return }
            freeSlowly(address, state)
            return
        }
        freeOutsideHeap(address, function: "free")
    }

    @inline(never) static func freeSlowly(_ address: Address, _ state: UnsafeMutablePointer<CollectorState>) {
        switch preloadMode {
        case .ignoreFree:
            return
        case .safeFree:
            Quarantine.free(address, state)
        case .malloc, .collect, .leakCheck:
            state.lock()
            if let (span, index) = block(startingAt: address, function: "free", state) {
                release(span, index: index, state)
            }
            state.unlock()
            if preloadMode == .malloc { EmptySpanRelease.releaseIfDue(state) }
        }
    }

    /// Frees a block; in malloc mode also returns free large spans' memory
    /// to the OS once enough has accumulated. The caller holds the lock.
    static func release(_ span: UnsafeMutablePointer<Span>, index: Int, _ state: UnsafeMutablePointer<CollectorState>) {
        let isLarge = span.pointee.state == .large
        let bytes = span.pointee.bytes
        state.pointee.heap.free(span, index: index)
        if isLarge && preloadMode == .malloc { LargeRelease.noteFreed(bytes: bytes, state) }
        if !isLarge && preloadMode == .malloc && span.isEmpty() { state.pointee.heap.noteEmptied(span) }
    }

    @inline(never) static func freeOutsideHeap(_ address: Address, function: StaticString) {
        if BootstrapArena.usableSize(of: address) != nil {
            BootstrapArena.free(address)
        } else {
            Misuse.report(function, address, "pointer was not allocated by swiftgc")
        }
    }

    static func reallocate(_ address: Address, size: UInt) -> UnsafeMutableRawPointer? {
        if address == .null { return allocate(size) }
        if size == 0 {
            // glibc frees and returns NULL; so do we.
            free(address)
            return nil
        }
        guard size <= Allocation.largestRequest else { return Allocation.outOfMemory() }
        let oldUsable: UInt
        if preloadMode == .malloc, let usable = AtomicFree.usableSize(of: address) {
            oldUsable = usable
        } else if let state = collectorState, state.pointee.heap.pageMap.span(containing: address) != nil {
            state.lock()
            guard let (span, _) = block(startingAt: address, function: "realloc", state) else {
                state.unlock()
                return nil
            }
            oldUsable = span.pointee.objectSize - span.pointee.userOffset
            state.unlock()
        } else if let bootstrapUsable = BootstrapArena.usableSize(of: address) {
            oldUsable = bootstrapUsable
        } else {
            Misuse.report("realloc", address, "pointer was not allocated by swiftgc")
            return nil
        }
        // Stays in place unless it shrinks below half, so memory is reused.
        if size <= oldUsable && size >= oldUsable / 2 { return address.pointer }
        guard let newBlock = allocate(size) else { return nil }
        memcpy(newBlock, address.pointer!, Int(min(size, oldUsable)))
        free(address)
        return newBlock
    }

    static func reallocateArray(_ address: Address, count: UInt, size: UInt) -> UnsafeMutableRawPointer? {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        if overflow { return Allocation.outOfMemory() }
        return reallocate(address, size: bytes)
    }
}

// MARK: Alignment entry points

extension MallocFamily {
    /// posix_memalign: EINVAL unless `alignment` is a power of two and a
    /// multiple of the pointer size; ENOMEM when out of memory. `*result`
    /// is left alone on failure, and errno is not changed.
    static func posixMemalign(_ result: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, alignment: UInt,
                              size: UInt) -> Int32 {
        guard let result else { return EINVAL }
        guard alignment.nonzeroBitCount == 1, alignment % 8 == 0 else { return EINVAL }
        let savedErrno = OS.errno
        guard let block = allocateAligned(alignment: alignment, size: size) else {
            OS.setErrno(savedErrno)
            return ENOMEM
        }
        result.pointee = block
        return 0
    }

    /// memalign and aligned_alloc, which glibc treats alike: an alignment
    /// that is not a power of two is rounded up to one; EINVAL when none is.
    static func memalign(alignment: UInt, size: UInt) -> UnsafeMutableRawPointer? {
        var rounded = max(alignment, 1)
        if rounded.nonzeroBitCount != 1 {
            guard rounded <= Allocation.largestRequest else {
                OS.setErrno(EINVAL)
                return nil
            }
            rounded = 1 << UInt(64 - rounded.leadingZeroBitCount)
        }
        return allocateAligned(alignment: rounded, size: size)
    }

    /// pvalloc: the size rounded up to whole pages, page-aligned.
    static func pageAlignedWholePages(_ size: UInt) -> UnsafeMutableRawPointer? {
        let pageSize = OS.systemPageSize
        guard size <= Allocation.largestRequest else { return Allocation.outOfMemory() }
        return allocateAligned(alignment: pageSize, size: roundUp(max(size, 1), toMultipleOf: pageSize))
    }
}
