/// Parses option values from raw bytes. Pure functions over byte buffers, so
/// they can be tested and fuzzed without an environment.
enum OptionParser {
    static func parse(_ text: UnsafeBufferPointer<UInt8>, as kind: OptionKind) -> UInt64? {
        switch kind {
        case .bytes: return parseByteCount(text)
        case .count: return parseDecimal(text)
        case .percent:
            guard let value = parseDecimal(text), value >= 1, value <= 100_000 else { return nil }
            return value
        case .boolean: return parseBoolean(text)
        case .signal:
            guard let value = parseDecimal(text), value >= 1, value <= 64,
                  value != 9, value != 19, value != 11, value != 7 else { return nil }
            return value
        case .mode: return parseMode(text)
        case .dirtyPages: return DirtyPageRequest(name: text).map { UInt64($0.rawValue) }
        }
    }

    /// One of the names of `PreloadMode`, exactly.
    static func parseMode(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        if equals(text, "malloc") { return UInt64(PreloadMode.malloc.rawValue) }
        if equals(text, "collect") { return UInt64(PreloadMode.collect.rawValue) }
        if equals(text, "ignore-free") { return UInt64(PreloadMode.ignoreFree.rawValue) }
        if equals(text, "leak-check") { return UInt64(PreloadMode.leakCheck.rawValue) }
        if equals(text, "safe-free") { return UInt64(PreloadMode.safeFree.rawValue) }
        return nil
    }

    /// Digits only, no sign, no overflow.
    static func parseDecimal(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        guard !text.isEmpty, text.count <= 20 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard byte >= 48 && byte <= 57 else { return nil }
            let (product, overflowMultiply) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = product.addingReportingOverflow(UInt64(byte - 48))
            if overflowMultiply || overflowAdd { return nil }
            value = sum
        }
        return value
    }

    /// Digits followed by an optional unit: K, M, G, T, optionally followed
    /// by B or iB, in any case. All units are binary (K = 1024).
    static func parseByteCount(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var digitCount = 0
        while digitCount < text.count && text[digitCount] >= 48 && text[digitCount] <= 57 { digitCount += 1 }
        guard let number = parseDecimal(UnsafeBufferPointer(rebasing: text[..<digitCount])) else { return nil }
        let unit = UnsafeBufferPointer(rebasing: text[digitCount...])
        if unit.isEmpty { return number }
        let shift: UInt64
        switch unit[0] | 0x20 {
        case 98 /* b */: return unit.count == 1 ? number : nil
        case 107 /* k */: shift = 10
        case 109 /* m */: shift = 20
        case 103 /* g */: shift = 30
        case 116 /* t */: shift = 40
        default: return nil
        }
        let suffix = UnsafeBufferPointer(rebasing: unit[1...])
        let suffixIsValid = suffix.isEmpty
            || (suffix.count == 1 && suffix[0] | 0x20 == 98)
            || (suffix.count == 2 && suffix[0] | 0x20 == 105 && suffix[1] | 0x20 == 98)
        guard suffixIsValid else { return nil }
        guard number <= (UInt64.max >> shift) else { return nil }
        return number << shift
    }

    static func parseBoolean(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        if equalsIgnoringCase(text, "1") || equalsIgnoringCase(text, "true")
            || equalsIgnoringCase(text, "yes") || equalsIgnoringCase(text, "on") { return 1 }
        if equalsIgnoringCase(text, "0") || equalsIgnoringCase(text, "false")
            || equalsIgnoringCase(text, "no") || equalsIgnoringCase(text, "off") { return 0 }
        return nil
    }

    static func equals(_ text: UnsafeBufferPointer<UInt8>, _ expected: StaticString) -> Bool {
        expected.withUTF8Buffer { bytes in
            bytes.count == text.count && hasPrefix(text, expected)
        }
    }

    static func hasPrefix(_ text: UnsafeBufferPointer<UInt8>, _ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { bytes in
            guard bytes.count <= text.count else { return false }
            for index in 0..<bytes.count where bytes[index] != text[index] { return false }
            return true
        }
    }

    /// ASCII letters match either case; every other byte only itself
    /// (folding with `| 0x20` alone would make byte 0x10 equal to "0").
    static func equalsIgnoringCase(_ text: UnsafeBufferPointer<UInt8>, _ expected: StaticString) -> Bool {
        expected.withUTF8Buffer { bytes in
            guard bytes.count == text.count else { return false }
            for index in 0..<bytes.count where lowercased(bytes[index]) != lowercased(text[index]) { return false }
            return true
        }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 65 && byte <= 90 ? byte | 0x20 : byte
    }
}
