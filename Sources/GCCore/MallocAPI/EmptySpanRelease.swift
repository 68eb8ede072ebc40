import _CSwiftGC

/// Returns empty small spans to the page allocator in malloc mode, where no
/// collection reclaims them, so that the resident set falls after a peak.
///
/// Frees and cache flushes count the bytes of spans they see become empty
/// (`Heap.emptiedSpanBytes`, lock-free). Once the count passes 1/16 of the
/// committed heap (at least 1 MiB), the next caller takes the heap lock and
/// releases the empty spans on the available lists that were already empty
/// at the previous release (Heap.releaseEmptySpans): a program that empties
/// and refills the same spans in turn keeps them. The released pages then
/// go the way of freed large objects: LargeRelease decommits them once
/// enough have accumulated.
enum EmptySpanRelease {
    static let minimumThreshold: UInt64 = 1 << 20

    @inline(__always) static func isDue(_ state: UnsafeMutablePointer<CollectorState>) -> Bool {
        let emptied = Atomics.load(relaxed: &state.pointee.heap.emptiedSpanBytes)
        if emptied < minimumThreshold { return false }
        return emptied >= UInt64(state.pointee.heap.pages.committedBytes / 16)
    }

    /// Releases empty spans if enough have accumulated. The caller must not
    /// hold the heap lock.
    @inline(__always) static func releaseIfDue(_ state: UnsafeMutablePointer<CollectorState>) {
        if isDue(state) { release(state) }
    }

    @inline(never) static func release(_ state: UnsafeMutablePointer<CollectorState>) {
        state.lock()
        // Another thread may have released while this one waited.
        if isDue(state) {
            _ = Atomics.fetchAnd(acquiringAndReleasing: &state.pointee.heap.emptiedSpanBytes, 0)
            let released = state.pointee.heap.releaseEmptySpans()
            if released > 0 { LargeRelease.noteFreed(bytes: released, state) }
        }
        state.unlock()
    }
}
