/// One line of /proc/self/maps:
/// `start-end perms offset major:minor inode [path]`.
struct MappingLine {
    var start: Address
    var end: Address
    var isReadable: Bool
    var isWritable: Bool
    var isPrivate: Bool
    var inode: UInt64
    /// The path or pseudo-name (`[heap]`), empty for anonymous memory.
    var path: UnsafeBufferPointer<UInt8>

    var isFileBacked: Bool { path.count > 0 && path[0] == 47 /* / */ }
    var isAnonymous: Bool { path.count == 0 }
}

/// Parses /proc/self/maps lines. A pure function over bytes, so it can be
/// tested and fuzzed; malformed lines yield nil and never trap.
enum MapsParser {
    static func parse(line: UnsafeBufferPointer<UInt8>) -> MappingLine? {
        var cursor = 0
        guard let start = hexNumber(line, &cursor), expect(line, &cursor, 45 /* - */),
              let end = hexNumber(line, &cursor), start <= end, expect(line, &cursor, 32) else { return nil }
        guard cursor + 4 <= line.count else { return nil }
        let isReadable = line[cursor] == 114 /* r */
        let isWritable = line[cursor + 1] == 119 /* w */
        let isPrivate = line[cursor + 3] == 112 /* p */
        cursor += 4
        guard expect(line, &cursor, 32), hexNumber(line, &cursor) != nil, expect(line, &cursor, 32),
              hexNumber(line, &cursor) != nil, expect(line, &cursor, 58 /* : */),
              hexNumber(line, &cursor) != nil, expect(line, &cursor, 32),
              let inode = decimalNumber(line, &cursor) else { return nil }
        while cursor < line.count && line[cursor] == 32 { cursor += 1 }
        var pathEnd = line.count
        while pathEnd > cursor && (line[pathEnd - 1] == 10 || line[pathEnd - 1] == 13) { pathEnd -= 1 }
        let path = UnsafeBufferPointer(rebasing: line[cursor..<pathEnd])
        return MappingLine(start: Address(UInt(start)), end: Address(UInt(end)), isReadable: isReadable,
                           isWritable: isWritable, isPrivate: isPrivate, inode: inode, path: path)
    }

    private static func expect(_ line: UnsafeBufferPointer<UInt8>, _ cursor: inout Int, _ byte: UInt8) -> Bool {
        guard cursor < line.count, line[cursor] == byte else { return false }
        cursor += 1
        return true
    }

    private static func hexNumber(_ line: UnsafeBufferPointer<UInt8>, _ cursor: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while cursor < line.count {
            let byte = line[cursor]
            let digit: UInt64
            switch byte {
            case 48...57: digit = UInt64(byte - 48)
            case 97...102: digit = UInt64(byte - 87)
            case 65...70: digit = UInt64(byte - 55)
            default: return digits > 0 ? value : nil
            }
            guard digits < 16 else { return nil }
            value = value << 4 | digit
            digits += 1
            cursor += 1
        }
        return digits > 0 ? value : nil
    }

    private static func decimalNumber(_ line: UnsafeBufferPointer<UInt8>, _ cursor: inout Int) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        while cursor < line.count, line[cursor] >= 48, line[cursor] <= 57 {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow, digits < 20 else { return nil }
            value = product &+ UInt64(line[cursor] - 48)
            digits += 1
            cursor += 1
        }
        return digits > 0 ? value : nil
    }
}
