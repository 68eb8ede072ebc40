/// Comparisons of raw bytes, such as an environment entry or a path read
/// from /proc/self/maps, with ASCII text known at compile time. Pure
/// functions over buffers: no String, no allocation.
enum ByteText {
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
