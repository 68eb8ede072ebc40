import _CSwiftGC

/// Splits text that arrives in chunks (successive `read`s of a file such as
/// /proc/self/maps) into lines, through a fixed buffer. Pure over its
/// `read` function, so it can be tested and fuzzed without a file.
enum LineReader {
    /// Calls `read(destination, room)` until it returns 0 and hands each
    /// complete line (without its newline) to `visitLine`. A final line
    /// without a newline is dropped. Returns false if `read` failed
    /// (returned a negative count).
    static func forEachLine(buffer: UnsafeMutablePointer<UInt8>, capacity: Int,
                            read: (UnsafeMutablePointer<UInt8>, Int) -> Int,
                            _ visitLine: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        var filled = 0
        while true {
            let count = read(buffer + filled, capacity - filled)
            if count < 0 { return false }
            filled += count
            // Hand over every complete line; keep a partial one for the next read.
            var lineStart = 0
            var index = 0
            while index < filled {
                if buffer[index] == 10 {
                    visitLine(UnsafeBufferPointer(start: buffer + lineStart, count: index - lineStart))
                    lineStart = index + 1
                }
                index += 1
            }
            if lineStart > 0 {
                memmove(buffer, buffer + lineStart, filled - lineStart)
                filled -= lineStart
            } else if filled == capacity {
                filled = 0 // A line longer than the buffer: skip it.
            }
            if count == 0 { return true }
        }
    }
}
