/// The page map: one entry per arena page, pointing at the descriptor of the
/// span that covers it. Finding the object behind any word is a range check,
/// one load and a multiply; there is no search.
///
/// Invariants: every page of a small or large span maps to that span; the
/// first and last pages of a free span map to it and its other pages map to
/// nil; pages at or above the arena top map to nil.
struct PageMap {
    static let pageShift: UInt = 12
    static let pageSize: UInt = 1 << pageShift

    var entries: UnsafeMutablePointer<UnsafeMutablePointer<Span>?>
    var arenaStart: Address
    /// End of the pages handed out so far; everything above is untouched.
    var arenaTop: Address
    /// End of the reserved arena.
    var arenaEnd: Address

    @inline(__always) func pageIndex(_ address: Address) -> Int {
        Int(truncatingIfNeeded: (address - arenaStart) &>> PageMap.pageShift)
    }

    /// The span covering `address`, or nil outside the used arena.
    @inline(__always) func span(containing address: Address) -> UnsafeMutablePointer<Span>? {
        let offset = address - arenaStart
        if offset >= arenaTop - arenaStart { return nil }
        return entries[Int(truncatingIfNeeded: offset &>> PageMap.pageShift)]
    }

    /// Whether [start, start + bytes) lies in the reserved arena (all of it
    /// is mapped readable). For a marker that reads span descriptors while
    /// the heap changes: a torn read could place an object anywhere.
    @inline(__always) func arenaHolds(start: UInt, bytes: UInt) -> Bool {
        let offset = start &- arenaStart.value
        let arenaBytes = arenaEnd.value &- arenaStart.value
        return offset < arenaBytes && bytes <= arenaBytes &- offset
    }

    /// Calls `body` with every span, free or not, in address order. `body`
    /// must not free or merge spans (the sweep defers frees for that reason).
    @inline(__always) func forEachSpan(_ body: (UnsafeMutablePointer<Span>) -> Void) {
        var address = arenaStart
        while address < arenaTop {
            let span = entries[pageIndex(address)].unsafelyUnwrapped
            address = span.pointee.end
            body(span)
        }
    }

    /// The descriptor is written before its entries are: a concurrent
    /// cycle's marker reads entries and descriptors without the heap lock.
    func setEntries(for span: UnsafeMutablePointer<Span>, to value: UnsafeMutablePointer<Span>?) {
        Atomics.releaseFence()
        let first = pageIndex(span.pointee.start)
        for index in first..<(first + Int(span.pointee.pageCount)) { entries[index] = value }
    }

    /// Maps only the first and last page, as a free span requires.
    func setBoundaryEntries(for span: UnsafeMutablePointer<Span>) {
        let first = pageIndex(span.pointee.start)
        entries[first] = span
        entries[first + Int(span.pointee.pageCount) - 1] = span
    }
}
