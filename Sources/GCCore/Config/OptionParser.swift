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
        case .concurrency:
            if ByteText.equalsIgnoringCase(text, "auto") { return Concurrency.automatic.rawValue }
            return parseBoolean(text)
        case .path:
            // The text's own address: an environment entry outlives the
            // options (see `OptionKind.path`).
            guard !text.isEmpty, let start = text.baseAddress else { return nil }
            return UInt64(UInt(bitPattern: start))
        }
    }

    /// One of the names of `PreloadMode`, exactly.
    static func parseMode(_ text: UnsafeBufferPointer<UInt8>) -> UInt64? {
        if ByteText.equals(text, "malloc") { return UInt64(PreloadMode.malloc.rawValue) }
        if ByteText.equals(text, "collect") { return UInt64(PreloadMode.collect.rawValue) }
        if ByteText.equals(text, "ignore-free") { return UInt64(PreloadMode.ignoreFree.rawValue) }
        if ByteText.equals(text, "leak-check") { return UInt64(PreloadMode.leakCheck.rawValue) }
        if ByteText.equals(text, "safe-free") { return UInt64(PreloadMode.safeFree.rawValue) }
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
        if ByteText.equalsIgnoringCase(text, "1") || ByteText.equalsIgnoringCase(text, "true")
            || ByteText.equalsIgnoringCase(text, "yes") || ByteText.equalsIgnoringCase(text, "on") { return 1 }
        if ByteText.equalsIgnoringCase(text, "0") || ByteText.equalsIgnoringCase(text, "false")
            || ByteText.equalsIgnoringCase(text, "no") || ByteText.equalsIgnoringCase(text, "off") { return 0 }
        return nil
    }
}
