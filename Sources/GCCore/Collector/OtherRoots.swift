import _CSwiftGC

/// Roots a program reports itself at every collection: bdwgc's
/// push-other-roots callback (`GC_set_push_other_roots`), which calls
/// `GC_push_all` for each range, for example the stacks of a language
/// runtime's own threads or coroutines.
///
/// The callback runs after the threads are marked, with the world stopped
/// and the heap lock held. While it runs, the collection's marker is
/// published in `ObjectKinds.otherRootsMarker`; each pushed range is scanned
/// at once, conservatively, like any root range.
enum OtherRoots {
    /// Scans [low, high), rounded inwards to words, if a collection is
    /// asking for other roots right now; otherwise does nothing.
    static func push(low: UInt, high: UInt) {
        guard let state = collectorState, let marker = state.pointee.kinds.otherRootsMarker else { return }
        let start = (low &+ 7) & ~7
        let end = high & ~7
        guard start < end, low <= start else { return }
        marker.pointee.scan(low: start, high: end)
        marker.pointee.drain()
    }
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    /// Calls the push-other-roots collection hook, if one is registered: the
    /// bdwgc layer's calls the program's callback and counts this collection
    /// in GC_gc_no.
    func markOtherRoots(_ marker: inout Marker) {
        withUnsafeMutablePointer(to: &marker) { markerPointer in
            pointee.kinds.otherRootsMarker = markerPointer
            swiftgc_push_other_roots(pointee.statistics.collections)
            pointee.kinds.otherRootsMarker = nil
        }
    }
}
