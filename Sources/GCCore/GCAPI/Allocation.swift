import _CSwiftGC

/// The operations behind the C API: allocation (fast path inline, slow path
/// under the lock), explicit free, realloc and object queries.
enum Allocation {
    /// Each object gets this many bytes beyond the request, so a pointer one
    /// past the requested end still points into the object. The preload
    /// library has none (BuildFlavor).
    static let paddingBytes: UInt = BuildFlavor.objectPaddingBytes

    /// Requests above this fail at once; nothing that large can be reserved.
    static let largestRequest: UInt = 1 << 46

    @inline(__always) static func allocate(byteCount: UInt, kind: ObjectKind) -> UnsafeMutableRawPointer? {
        let bytes = byteCount &+ paddingBytes
        if bytes <= SizeClass.largestObjectSize && bytes >= byteCount && bytes != 0 {
            let sizeClass = SizeClass.index(forBytes: bytes)
            if let cache = UnsafeMutablePointer<ThreadCache>.current,
               let object = cache.entry(kind: kind, sizeClass: sizeClass).popSlot() {
                return object
            }
            return allocateSmallSlowly(sizeClass: sizeClass, kind: kind)
        }
        return allocateLarge(byteCount: byteCount, kind: kind)
    }

    @inline(never) static func allocateSmallSlowly(sizeClass: Int, kind: ObjectKind) -> UnsafeMutableRawPointer? {
        guard let state = CollectorState.shared() else { return outOfMemory() }
        defer { state.runFinalizersIfReady() } // after the unlock below
        state.lock()
        defer { state.unlock() }
        guard let cache = UnsafeMutablePointer<ThreadCache>.current
                ?? ThreadLifecycle.registerCurrentThread(state)?.pointee.cache else { return outOfMemory() }
        let entry = cache.entry(kind: kind, sizeClass: sizeClass)
        if let object = entry.popSlot() { return object }
        state.collectIfDue(beforeAllocating: 0)
        if !state.pointee.heap.refill(entry, kind: kind, sizeClass: sizeClass, heapLimit: state.pointee.heapLimit) {
            guard state.collectsWhenOutOfMemory else { return outOfMemory() }
            state.collect()
            guard state.pointee.heap.refill(entry, kind: kind, sizeClass: sizeClass,
                                            heapLimit: state.pointee.heapLimit) else { return outOfMemory() }
        }
        return entry.popSlot()
    }

    @inline(never) static func allocateLarge(byteCount: UInt, kind: ObjectKind) -> UnsafeMutableRawPointer? {
        guard byteCount <= largestRequest, let state = CollectorState.shared() else { return outOfMemory() }
        let bytes = byteCount + paddingBytes
        guard bytes <= state.pointee.heapLimit, bytes <= state.pointee.region.arenaBytes else { return outOfMemory() }
        defer { state.runFinalizersIfReady() } // after the unlock below
        state.lock()
        defer { state.unlock() }
        state.collectIfDue(beforeAllocating: bytes)
        if let object = state.pointee.heap.allocateLarge(bytes: bytes, kind: kind, heapLimit: state.pointee.heapLimit) {
            return object
        }
        guard state.collectsWhenOutOfMemory else { return outOfMemory() }
        state.collect()
        return state.pointee.heap.allocateLarge(bytes: bytes, kind: kind, heapLimit: state.pointee.heapLimit)
            ?? outOfMemory()
    }

    static func outOfMemory() -> UnsafeMutableRawPointer? {
        OS.setErrno(ENOMEM)
        return nil
    }

    static func allocateZeroed(count: UInt, size: UInt) -> UnsafeMutableRawPointer? {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        if overflow { return outOfMemory() }
        return allocate(byteCount: bytes, kind: .normal)
    }

    // MARK: Queries

    static func base(of address: Address) -> Address {
        guard let state = collectorState else { return .null }
        guard let (span, index) = state.pointee.heap.object(containing: address) else { return .null }
        return span.objectStart(index)
    }

    static func usableSize(of address: Address) -> UInt {
        guard let state = collectorState else { return 0 }
        guard let (span, _) = state.pointee.heap.object(containing: address) else { return 0 }
        return span.pointee.objectSize - paddingBytes
    }

    /// What gc_size reports: the usable size, less a typed object's trailer
    /// (its descriptor), which the caller must not write.
    static func callerBytes(of address: Address) -> UInt {
        guard let state = collectorState else { return 0 }
        guard let (span, _) = state.pointee.heap.object(containing: address) else { return 0 }
        let usable = span.pointee.objectSize - paddingBytes
        return span.pointee.kind == .typed ? usable - min(usable, TypedObjects.trailerBytes) : usable
    }

    // MARK: Free and realloc

    /// Finds the live object that starts at `address`, or reports why there
    /// is none. The caller holds the lock.
    static func objectStartingAt(_ address: Address, function: StaticString,
                                         _ state: UnsafeMutablePointer<CollectorState>)
        -> (span: UnsafeMutablePointer<Span>, index: Int)? {
        guard let span = state.pointee.heap.pageMap.span(containing: address), span.pointee.state != .free else {
            Misuse.report(function, address, "pointer was not allocated by swiftgc")
            return nil
        }
        if span.pointee.state == .userArena {
            Misuse.report(function, address, "pointer is in an arena; gc_arena_reset or gc_arena_destroy frees arena objects")
            return nil
        }
        let index = span.objectIndex(containing: address)
        guard index < span.pointee.objectCount else {
            Misuse.report(function, address, "pointer was not allocated by swiftgc")
            return nil
        }
        let start = span.objectStart(index)
        let isLive = span.isAllocated(index)
        if start != address {
            if isLive {
                Misuse.report(function, address, "pointer is inside an object, not at its start", objectStart: start)
            } else {
                Misuse.report(function, address, "pointer was not allocated by swiftgc")
            }
            return nil
        }
        guard isLive else {
            Misuse.report(function, address, "object is not allocated (double free, or already reclaimed)")
            return nil
        }
        return (span, index)
    }

    static func free(_ address: Address) {
        if address == .null { return }
        guard let state = collectorState else {
            Misuse.report("gc_free", address, "pointer was not allocated by swiftgc")
            return
        }
        state.lock()
        defer { state.unlock() }
        guard let (span, index) = objectStartingAt(address, function: "gc_free", state) else { return }
        state.forgetFinalizer(ofFreedObject: address)
        state.pointee.heap.free(span, index: index)
    }

    static func reallocate(_ address: Address, byteCount: UInt) -> UnsafeMutableRawPointer? {
        if address == .null { return allocate(byteCount: byteCount, kind: .normal) }
        guard let state = collectorState else {
            Misuse.report("gc_realloc", address, "pointer was not allocated by swiftgc")
            return nil
        }
        if byteCount == 0 {
            free(address)
            return nil
        }
        state.lock()
        guard let (span, _) = objectStartingAt(address, function: "gc_realloc", state) else {
            state.unlock()
            return nil
        }
        let oldUsable = span.pointee.objectSize - paddingBytes
        let kind = span.pointee.kind
        let isSmall = span.pointee.state == .small
        state.unlock()

        // A typed object always moves, to an ordinary scanned object: its
        // last words are the descriptor trailer, which the caller's bytes
        // must never cover (TypedObjects.swift; found by fuzz_api).
        if kind == .typed {
            guard let newObject = allocate(byteCount: byteCount, kind: .normal) else { return nil }
            memcpy(newObject, address.pointer!, Int(min(byteCount, oldUsable - TypedObjects.trailerBytes)))
            free(address)
            return newObject
        }
        // Small objects shrink in place; a large one shrinking below half
        // moves, so its pages can be reused.
        if byteCount <= oldUsable && (byteCount >= oldUsable / 2 || isSmall) {
            // Fits in place; clear the tail of a scanned object so stale
            // pointers there retain nothing.
            if kind.isScanned { memset(address.pointer! + Int(byteCount), 0, Int(oldUsable - byteCount)) }
            return address.pointer
        }
        guard let newObject = allocate(byteCount: byteCount, kind: kind) else { return nil }
        memcpy(newObject, address.pointer!, Int(min(byteCount, oldUsable)))
        free(address)
        return newObject
    }
}
