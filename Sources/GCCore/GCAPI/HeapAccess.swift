import _CSwiftGC

/// The heap lock and a walk of the allocated objects, for front ends that
/// must hold off collections themselves (bdwgc's GC_alloc_lock and
/// GC_call_with_alloc_lock) and enumerate the heap while they do
/// (GC_enumerate_reachable_objects_inner). Called through
/// Exports/HeapAccessExports.swift.
enum HeapAccess {
    /// Takes the heap lock: no collection, allocation slow path or sweep
    /// runs until `unlock`. The caller must not allocate in between (the
    /// lock is not recursive), as bdwgc requires of its allocation lock.
    static func lock() {
        CollectorState.shared()?.lock()
    }

    static func unlock() {
        collectorState?.unlock()
    }

    /// Calls `visitor(object, bytes, data)` for every allocated object, with
    /// the caller bytes gc_size reports. The caller holds the heap lock, so
    /// the page map cannot change under the walk. A lazy sweep in progress
    /// is finished first, so objects found unreachable by the last
    /// collection are not visited. Slots a thread cache holds in reserve
    /// are live in the bitmap but not handed out: `isAllocated` (what
    /// gc_base asks) leaves them out.
    static func forEachObject(_ visitor: @convention(c) (UnsafeMutableRawPointer?, UInt, UnsafeMutableRawPointer?) -> Void,
                              data: UnsafeMutableRawPointer?) {
        guard let state = collectorState else { return }
        state.finishSweeping()
        state.pointee.heap.pageMap.forEachSpan { span in
            if span.pointee.state == .free { return }
            for index in 0..<span.pointee.objectCount where span.isAllocated(index) {
                let start = span.objectStart(index)
                visitor(UnsafeMutableRawPointer(bitPattern: start.value), Allocation.callerBytes(of: start), data)
            }
        }
    }
}

extension HeapAccess {
    /// What gc_size reports for an object of `bytes` requested bytes (its
    /// size class, less the padding byte), or nil for a request too big for
    /// a size class (bdwgc's GC_get_size_map_at). Reads no shared state.
    static func usableBytes(forRequest bytes: UInt) -> UInt? {
        let slotBytes = max(bytes, 1) &+ Allocation.paddingBytes
        guard slotBytes <= SizeClass.largestObjectSize else { return nil }
        return SizeClass.objectSize(ofClass: SizeClass.index(forBytes: slotBytes)) - Allocation.paddingBytes
    }
}
