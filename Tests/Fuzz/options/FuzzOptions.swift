// libFuzzer target: the option parser (OptionParser, Options.apply),
// compiled together with those GCCore sources (see `make fuzz`).
//
// Input: one environment entry, `NAME=value` or anything else.
//
// Checked, besides "never traps": Options.apply accepts any entry; each
// kind's parser agrees with a reference written independently below
// (with Swift strings and the standard library's integer parsing).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOptions(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let entry = UnsafeBufferPointer(start: data, count: size)
    var options = Options()
    options.apply(environmentEntry: entry)

    let value: UnsafeBufferPointer<UInt8>
    if let equals = entry.firstIndex(of: 61) {
        value = UnsafeBufferPointer(rebasing: entry[(equals + 1)...])
    } else {
        value = entry
    }
    let kinds: [(OptionKind, String)] = [(.bytes, "bytes"), (.percent, "percent"), (.count, "count"),
                                        (.boolean, "boolean"), (.signal, "signal"), (.mode, "mode"),
                                        (.dirtyPages, "dirty pages"), (.concurrency, "concurrency")]
    for (kind, name) in kinds {
        let parsed = OptionParser.parse(value, as: kind)
        let expected = referenceParse(Array(value), kind)
        fuzzCheck(parsed == expected,
                  "\(name) \(Array(value)): parser gives \(String(describing: parsed)), reference \(String(describing: expected))")
    }
    return 0
}

private func referenceParse(_ bytes: [UInt8], _ kind: OptionKind) -> UInt64? {
    switch kind {
    case .count: return referenceDecimal(bytes)
    case .percent:
        guard let value = referenceDecimal(bytes), (1...100_000).contains(value) else { return nil }
        return value
    case .signal:
        guard let value = referenceDecimal(bytes), (1...64).contains(value),
              ![7, 9, 11, 19].contains(value) else { return nil }
        return value
    case .boolean:
        // Only ASCII letters fold case; other bytes must match exactly.
        guard bytes.allSatisfy({ $0 < 128 }) else { return nil }
        switch String(decoding: bytes, as: UTF8.self).lowercased() {
        case "1", "true", "yes", "on": return 1
        case "0", "false", "no", "off": return 0
        default: return nil
        }
    case .mode:
        let names = ["malloc": PreloadMode.malloc, "collect": .collect, "ignore-free": .ignoreFree,
                     "leak-check": .leakCheck, "safe-free": .safeFree]
        guard let text = String(validating: bytes, as: UTF8.self), let mode = names[text] else { return nil }
        return UInt64(mode.rawValue)
    case .concurrency:
        guard bytes.allSatisfy({ $0 < 128 }) else { return nil }
        if String(decoding: bytes, as: UTF8.self).lowercased() == "auto" { return Concurrency.automatic.rawValue }
        return referenceParse(bytes, .boolean)
    case .path:
        return nil // not fuzzed (not in `kinds`): the value is the text's address
    case .dirtyPages:
        let names = ["auto": DirtyPageRequest.automatic, "uffd": .userfaultfd, "soft-dirty": .softDirty,
                     "mprotect": .mprotect, "none": .none]
        guard let text = String(validating: bytes, as: UTF8.self), let request = names[text] else { return nil }
        return UInt64(request.rawValue)
    case .bytes:
        let digits = bytes.prefix { $0 >= 48 && $0 <= 57 }
        guard let number = referenceDecimal(Array(digits)) else { return nil }
        guard bytes.allSatisfy({ $0 < 128 }) else { return nil }
        let unit = String(decoding: bytes.dropFirst(digits.count), as: UTF8.self).lowercased()
        let shifts: [String: UInt64] = ["": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20,
                                        "g": 30, "gb": 30, "gib": 30, "t": 40, "tb": 40, "tib": 40]
        guard let shift = shifts[unit] else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: UInt64(1) << shift)
        return overflow ? nil : product
    }
}

/// 1 to 20 ASCII digits whose value fits in UInt64.
private func referenceDecimal(_ bytes: [UInt8]) -> UInt64? {
    guard (1...20).contains(bytes.count), bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    return UInt64(String(decoding: bytes, as: UTF8.self))
}
