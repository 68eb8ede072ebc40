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
            if let start = OS.reserve(bytes: total).map({ Address($0) }) {
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
}
