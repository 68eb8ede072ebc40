/// Small-object size classes.
///
/// Classes 0...7 are 16, 32, ..., 128 bytes. Above 128 bytes each power of
/// two is split into 8 equal steps (144, 160, ..., 256, 288, ...), so rounding
/// a request up to its class wastes at most 1/8 of it. The largest class is
/// 32 KiB; bigger objects get a span of their own. The class of a size is
/// computed with a leading-zero count, not a table, so the fast path needs
/// no initialised memory.
enum SizeClass {
    static let count = 72
    static let largestObjectSize: UInt = 32 * 1024
    /// Smallest unit of allocation and alignment.
    static let granule: UInt = 16

    /// The class for an object of `bytes` bytes, 1 ≤ bytes ≤ largestObjectSize.
    @inline(__always) static func index(forBytes bytes: UInt) -> Int {
        if bytes <= 128 { return Int(truncatingIfNeeded: (bytes &+ 15) &>> 4) &- 1 }
        let last = bytes &- 1
        let exponent = 63 &- last.leadingZeroBitCount
        return (exponent &- 7) &* 8 &+ Int(truncatingIfNeeded: last &>> UInt(exponent &- 3))
    }

    /// The object size of class `index`.
    static func objectSize(ofClass index: Int) -> UInt {
        if index < 8 { return UInt(index + 1) * 16 }
        let exponent = index / 8 + 6
        let step = index % 8
        return UInt(9 + step) << UInt(exponent - 3)
    }

    /// How many pages a span of class `index` covers: enough for at least
    /// 16 KiB and 4 objects, at most 1024 objects, and the fewest pages that
    /// waste no more than 1/16 of the span at its tail.
    static func pagesPerSpan(ofClass index: Int) -> UInt {
        let size = objectSize(ofClass: index)
        let pageSize = PageMap.pageSize
        var best: UInt = 0
        var bestWaste = UInt.max
        var pages = max(16 * 1024 / pageSize, (4 * size + pageSize - 1) / pageSize)
        while pages <= 64 {
            let bytes = pages * pageSize
            let objects = bytes / size
            if objects > Span.maximumObjectCount { break }
            let waste = bytes - objects * size
            if waste * 16 <= bytes { return pages }
            if waste * 1024 / bytes < bestWaste { bestWaste = waste * 1024 / bytes; best = pages }
            pages += 1
        }
        return best == 0 ? max(1, Span.maximumObjectCount * size / pageSize) : best
    }
}

/// What the collector may do with an object's contents.
enum ObjectKind: UInt8 {
    /// Scanned for pointers, zeroed on allocation, reclaimed when unreachable.
    case normal = 0
    /// Never scanned, not zeroed, reclaimed when unreachable.
    case atomic = 1
    /// Scanned, zeroed, a root until freed explicitly.
    case uncollectable = 2
    /// Zeroed, reclaimed when unreachable, and scanned only at the words its
    /// type descriptor marks as pointers (see TypedObjects.swift).
    case typed = 3
    /// Zeroed, reclaimed when unreachable, and scanned as the descriptor of
    /// its bdwgc kind says (GC_new_kind); the kind is in the object's last
    /// word (see ObjectKinds.swift).
    case described = 4

    static let count = 5

    var isScanned: Bool { self != .atomic }
    var needsZeroing: Bool { self != .atomic }
    /// Scanned only where a descriptor says, not word by word.
    var isScannedPrecisely: Bool { self == .typed || self == .described }
}
