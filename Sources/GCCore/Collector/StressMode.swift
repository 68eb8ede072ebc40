/// Stress mode (SWIFTGC_STRESS=N): a collection at every Nth allocation, so
/// that tests exercise the collector at every point where one could run.
///
/// With stress on, thread caches claim one slot at a time
/// (`Heap.claimsOneSlotAtATime`), so every allocation reaches a slow path,
/// which calls `stressCollectionIsDue`. The lock-free fast path is the same
/// code with stress on or off, and costs nothing extra when it is off.
extension UnsafeMutablePointer where Pointee == CollectorState {
    /// Counts one allocation and says whether a stress collection is due
    /// before it. Never due while collections are disabled. The caller
    /// holds the heap lock.
    @inline(__always) func stressCollectionIsDue() -> Bool {
        let interval = pointee.options[.stress]
        if interval == 0 || pointee.disableCount != 0 { return false }
        pointee.allocationsSinceStressCollection &+= 1
        if pointee.allocationsSinceStressCollection < interval { return false }
        pointee.allocationsSinceStressCollection = 0
        return true
    }
}
