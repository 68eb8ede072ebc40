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

    /// Returns the pages the stack touched to the OS.
    mutating func release() {
        let bytes = UInt(max(highWater, count) + 1) * UInt(MemoryLayout<Entry>.stride)
        if bytes > 64 * 1024 { OS.decommit(UnsafeMutableRawPointer(entries), bytes: bytes) }
        highWater = 0
    }
}
