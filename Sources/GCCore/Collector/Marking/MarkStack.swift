/// The explicit stack of object ranges waiting to be scanned. It lives in
/// its own part of the region, so growing it is only touching more pages;
/// its capacity is fixed at start-up (SWIFTGC_MARK_STACK_LIMIT can lower it).
/// When it is full, `push` fails and marking falls back to overflow
/// recovery (see Marker); it never recurses and never loses work.
struct MarkStack {
    struct Entry {
        var low: UInt
        var high: UInt
    }

    let entries: UnsafeMutablePointer<Entry>
    let capacity: Int
    var count = 0
    /// Highest count reached, to know how much memory to return afterwards.
    var highWater = 0
    /// Bytes at the stack's base still to return to the OS, by
    /// `releaseSlice`, after a concurrent cycle's final pause deferred its
    /// release (`deferRelease`). Returning tens of MiB takes tens of
    /// milliseconds: too long for a pause, or for one hold of the lock.
    var pendingReleaseBytes: UInt = 0

    /// Bytes released by one `releaseSlice`.
    static let releaseSliceBytes: UInt = 2 << 20

    @inline(__always) mutating func push(low: UInt, high: UInt) -> Bool {
        if count == capacity { return false }
        entries[count] = Entry(low: low, high: high)
        count &+= 1
        return true
    }

    @inline(__always) mutating func pop() -> Entry? {
        if count == 0 { return nil }
        if count > highWater { highWater = count }
        count &-= 1
        return entries[count]
    }

    /// Bytes of the entries touched since the last release.
    private var touchedBytes: UInt { UInt(max(highWater, count) + 1) * UInt(MemoryLayout<Entry>.stride) }

    /// Returns the pages the stack touched to the OS.
    mutating func release() {
        let bytes = max(touchedBytes, pendingReleaseBytes)
        if bytes > 64 * 1024 { OS.decommit(UnsafeMutableRawPointer(entries), bytes: bytes) }
        highWater = 0
        pendingReleaseBytes = 0
    }

    /// Leaves the pages touched for `releaseSlice` to return later. The
    /// stack must be empty (marking done).
    mutating func deferRelease() {
        let bytes = touchedBytes
        highWater = 0
        if bytes > 64 * 1024 { pendingReleaseBytes = max(pendingReleaseBytes, bytes) }
    }

    /// Returns up to `releaseSliceBytes` of the pages `deferRelease` left,
    /// from the top down, while the stack is empty. Returns whether some
    /// are left. The caller holds the heap lock, which every user of the
    /// stack holds while it is not empty.
    mutating func releaseSlice() -> Bool {
        guard pendingReleaseBytes > 0, count == 0 else { return false }
        let low = pendingReleaseBytes > MarkStack.releaseSliceBytes
            ? (pendingReleaseBytes - MarkStack.releaseSliceBytes) & ~4095 : 0
        OS.decommit(UnsafeMutableRawPointer(entries) + Int(low), bytes: pendingReleaseBytes - low)
        pendingReleaseBytes = low
        return low > 0
    }
}
