import _CSwiftGC

/// A line of text built in a fixed buffer on the stack and written to stderr
/// with one `write`, so messages never allocate and never interleave
/// mid-line with other output.
struct Message {
    private let storage: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private(set) var count = 0

    init(storage: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.storage = storage
        self.capacity = capacity
    }

    mutating func append(byte: UInt8) {
        if count < capacity { storage[count] = byte; count += 1 }
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes in
            for byte in bytes { append(byte: byte) }
        }
    }

    /// Appends a NUL-terminated C string, at most `limit` bytes of it.
    mutating func append(cString: UnsafePointer<CChar>?, limit: Int = 200) {
        guard let cString else { return }
        var index = 0
        while index < limit && cString[index] != 0 {
            append(byte: UInt8(bitPattern: cString[index]))
            index += 1
        }
    }

    mutating func append(bytes: UnsafeBufferPointer<UInt8>, limit: Int = 200) {
        for byte in bytes.prefix(limit) { append(byte: byte) }
    }

    mutating func append(decimal value: UInt64) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            append(byte: UInt8(truncatingIfNeeded: 48 &+ (value / divisor) % 10))
            divisor /= 10
        }
    }

    mutating func append(hex value: UInt) {
        append("0x")
        var shift = 60
        while shift > 0 && (value >> UInt(shift)) & 0xF == 0 { shift -= 4 }
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: (value >> UInt(shift)) & 0xF)
            append(byte: nibble < 10 ? 48 &+ nibble : 87 &+ nibble)
            shift -= 4
        }
    }

    mutating func append(address: Address) { append(hex: address.value) }

    /// Appends a byte count in a readable unit, such as `12.5 MiB`.
    mutating func append(byteCount: UInt64) {
        let units: (StaticString, StaticString, StaticString, StaticString) = ("B", "KiB", "MiB", "GiB")
        var scaled = byteCount &* 10
        var unit = 0
        while scaled >= 10 * 1024 && unit < 3 { scaled /= 1024; unit += 1 }
        append(decimal: scaled / 10)
        if unit > 0 { append(byte: 46); append(decimal: scaled % 10) }
        append(byte: 32)
        switch unit {
        case 0: append(units.0)
        case 1: append(units.1)
        case 2: append(units.2)
        default: append(units.3)
        }
    }

    /// Appends a duration in nanoseconds as milliseconds with three decimals.
    mutating func append(milliseconds nanoseconds: UInt64) {
        append(decimal: nanoseconds / 1_000_000)
        append(byte: 46)
        let fraction = (nanoseconds / 1000) % 1000
        if fraction < 100 { append(byte: 48) }
        if fraction < 10 { append(byte: 48) }
        append(decimal: fraction)
        append(" ms")
    }

    fileprivate func writeLine(descriptor: Int32 = 2) {
        var written = 0
        while written < count {
            let result = OS.write(descriptor, from: storage + written, count: count - written)
            if result <= 0 { break }
            written += result
        }
    }
}

/// Builds one line with `body`, prefixed with `swiftgc: ` and ended with a
/// newline, and writes it to stderr.
func reportLine(_ body: (inout Message) -> Void) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { buffer in
        var message = Message(storage: buffer.baseAddress!, capacity: 511)
        message.append("swiftgc: ")
        body(&message)
        message.append(byte: 10)
        message.writeLine()
    }
}

/// Builds one line with `body`, without the `swiftgc: ` prefix, ended with a
/// newline, and writes it to `descriptor` (stderr by default): for reports
/// whose lines follow another tool's layout (the leak report follows
/// LeakSanitizer's).
func reportUnprefixedLine(descriptor: Int32 = 2, _ body: (inout Message) -> Void) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer in
        var message = Message(storage: buffer.baseAddress!, capacity: 1023)
        body(&message)
        message.append(byte: 10)
        message.writeLine(descriptor: descriptor)
    }
}

/// How often a warning that can recur is printed in full before only its
/// powers of ten are (`reportRepeatedLine`).
let repeatedWarningsPrintedInFull: UInt64 = 3

/// For a warning that can recur at every collection or call (finalization
/// cycles, threads slow to stop, unknown roots, a full table, unmatched
/// gc_enable): counts it in `occurrences` and prints it like `reportLine`
/// the first `repeatedWarningsPrintedInFull` times, then only at the 10th,
/// 100th, 1000th, ... occurrence, with the count, so that a long-running
/// program's stderr stays readable. The caller serialises the calls that
/// share a counter (every caller holds the heap lock).
func reportRepeatedLine(occurrences: inout UInt64, _ body: (inout Message) -> Void) {
    occurrences &+= 1
    let count = occurrences
    var power: UInt64 = 10
    while power < count && power <= UInt64.max / 10 { power &*= 10 }
    guard count <= repeatedWarningsPrintedInFull || count == power else { return }
    reportLine { message in
        body(&message)
        if count == repeatedWarningsPrintedInFull {
            message.append(" (further repeats of this warning are printed only at the 10th, 100th, ... time)")
        } else if count > repeatedWarningsPrintedInFull {
            message.append(" (")
            message.append(decimal: count)
            message.append(" times so far)")
        }
    }
}
