/// Returns the memory of freed large objects to the OS in malloc mode, where
/// no collection ages free spans. Releasing at every free would make each
/// reuse of a large block page-fault; never releasing would keep a peak's
/// memory forever. So free spans are decommitted once the large bytes freed
/// since the last release pass 1/16 of the committed heap (at least 2 MiB),
/// which bounds the memory held free to about that fraction.
enum LargeRelease {
    static let minimumThreshold: UInt = 2 << 20

    /// Called under the heap lock after a large object was freed.
    static func noteFreed(bytes: UInt, _ state: UnsafeMutablePointer<CollectorState>) {
        state.pointee.heap.largeBytesFreedSinceRelease += bytes
        let threshold = max(minimumThreshold, state.pointee.heap.pages.committedBytes / 16)
        guard state.pointee.heap.largeBytesFreedSinceRelease >= threshold else { return }
        // Spans freed since the previous pass stay committed until the next
        // one: a program that frees and reallocates big buffers in turn
        // (xz -T2) reuses them without page faults. And while free spans
        // hold at most 1/8 of the committed bytes, none is decommitted: a
        // program in a steady state (mallocmix) reuses them without faults.
        let pages = state.pointee.heap.pages
        let keepsAll = pages.committedFreeBytes() <= pages.committedBytes / 16
        state.pointee.heap.pages.decommitFreeSpans(minimumAge: keepsAll ? UInt32.max : 2, aging: true)
        state.pointee.heap.largeBytesFreedSinceRelease = 0
    }
}
