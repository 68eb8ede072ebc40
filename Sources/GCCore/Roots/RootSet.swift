/// Root ranges registered with gc_add_roots, in a fixed table in metadata.
struct RootSet {
    static let capacity = 8192

    struct AddedRange {
        var low: Address
        var high: Address
        /// Whether the last collection found part of the range unreadable
        /// and said so; the next such line waits until it is readable again.
        var isReportedUnreadable = false
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

    /// Records what a collection's scan of range `index` left out as
    /// unreadable (see ReadableMemory), and says so once: one `swiftgc:`
    /// line when part of the range becomes unreadable, none while it
    /// stays so. The range stays registered: it may be mapped again.
    mutating func noteUnreadableBytes(_ unreadableBytes: UInt, inRangeAt index: Int) {
        let isUnreadable = unreadableBytes > 0
        guard isUnreadable != ranges[index].isReportedUnreadable else { return }
        ranges[index].isReportedUnreadable = isUnreadable
        guard isUnreadable else { return }
        let range = ranges[index]
        reportLine { message in
            message.append("skipping ")
            message.append(byteCount: UInt64(unreadableBytes))
            message.append(" of the gc_add_roots range ")
            message.append(address: range.low)
            message.append("-")
            message.append(address: range.high)
            message.append(": not readable (unmapped or protected since it was added)")
        }
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
