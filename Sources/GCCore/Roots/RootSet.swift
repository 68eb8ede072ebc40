/// Root ranges registered with gc_add_roots, in a fixed table in metadata.
struct RootSet {
    static let capacity = 8192

    struct AddedRange {
        var low: Address
        var high: Address
    }

    var ranges: UnsafeMutablePointer<AddedRange>
    var count = 0

    enum AddResult { case added, alreadyPresent, tableFull }

    /// Adds [low, high), already word-aligned and non-empty.
    mutating func add(low: Address, high: Address) -> AddResult {
        for index in 0..<count where ranges[index].low == low && ranges[index].high == high {
            return .alreadyPresent
        }
        guard count < RootSet.capacity else { return .tableFull }
        ranges[count] = AddedRange(low: low, high: high)
        count += 1
        return .added
    }

    /// Removes every range lying entirely within [low, high).
    mutating func remove(within low: Address, _ high: Address) {
        var index = 0
        while index < count {
            if low <= ranges[index].low && ranges[index].high <= high {
                count -= 1
                ranges[index] = ranges[count]
            } else {
                index += 1
            }
        }
    }
}
