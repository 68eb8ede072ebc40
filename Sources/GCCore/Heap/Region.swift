/// The one reservation that holds everything the collector maps:
///
///     [ page map | metadata | mark stack | arena ........................ ]
///
/// A single range makes "never scan our own memory" one comparison, and the
/// arena's fixed base makes the heap-pointer test a subtraction.
struct Region {
    var start: Address
    var bytes: UInt
    var pageMapStart: Address
    var metadataStart: Address
    var metadataBytes: UInt
    var markStackStart: Address
    var markStackBytes: UInt
    var arenaStart: Address
    var arenaBytes: UInt

    var end: Address { start + bytes }

    static let markStackBytes: UInt = 512 << 20
    static let fixedMetadataBytes: UInt = 64 << 20

    /// Reserves a region whose arena is `arenaBytes`, halving it until the
    /// kernel agrees (a `ulimit -v` or strict overcommit can refuse).
    static func reserve(arenaBytes requested: UInt) -> Region? {
        var arenaBytes = roundUp(max(requested, 64 << 20), toMultipleOf: 2 << 20)
        while arenaBytes >= 64 << 20 {
            let pageMapBytes = roundUp(arenaBytes / PageMap.pageSize * 8, toMultipleOf: 2 << 20)
            let metadataBytes = roundUp(arenaBytes / PageMap.pageSize * Span.descriptorSize / 2 + fixedMetadataBytes,
                                        toMultipleOf: 2 << 20)
            let total = pageMapBytes + metadataBytes + markStackBytes + arenaBytes
            if let start = reserveHugePageAligned(bytes: total) {
                let metadataStart = start + pageMapBytes
                let markStackStart = metadataStart + metadataBytes
                return Region(start: start, bytes: total, pageMapStart: start,
                              metadataStart: metadataStart, metadataBytes: metadataBytes,
                              markStackStart: markStackStart, markStackBytes: markStackBytes,
                              arenaStart: markStackStart + markStackBytes, arenaBytes: arenaBytes)
            }
            arenaBytes /= 2
        }
        return nil
    }

    func contains(_ address: Address) -> Bool { address - start < bytes }

    static let hugePageBytes: UInt = 2 << 20

    /// Reserves `bytes` starting on a 2 MiB boundary (reserving 2 MiB more
    /// and giving back the ends), so that every part of the region, each a
    /// multiple of 2 MiB, can be backed by huge pages (see PageAllocator's
    /// `adviseHugePagesForTables`).
    private static func reserveHugePageAligned(bytes: UInt) -> Address? {
        guard let raw = OS.reserve(bytes: bytes + hugePageBytes) else { return nil }
        let low = UInt(bitPattern: raw)
        let aligned = roundUp(low, toMultipleOf: hugePageBytes)
        if aligned > low { OS.release(raw, bytes: aligned - low) }
        let tail = aligned + bytes
        let mappedEnd = low + bytes + hugePageBytes
        if mappedEnd > tail { OS.release(UnsafeMutableRawPointer(bitPattern: tail)!, bytes: mappedEnd - tail) }
        return Address(aligned)
    }
}
