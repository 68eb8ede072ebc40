import _CSwiftGC

/// Splits text that arrives in chunks (successive `read`s of a file such as
/// /proc/self/maps) into lines, through a fixed buffer. Pure over its
/// `read` function, so it can be tested and fuzzed without a file.
enum LineReader {
    /// Calls `read(destination, room)` until it returns 0 and hands each
    /// complete line (without its newline) to `visitLine`. A line that does
    /// not fit in the buffer with its newline is skipped whole, and so is a
    /// final line without a newline. Returns false if `read` failed
    /// (returned a negative count).
    static func forEachLine(buffer: UnsafeMutablePointer<UInt8>, capacity: Int,
                            read: (UnsafeMutablePointer<UInt8>, Int) -> Int,
                            _ visitLine: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        var filled = 0
        // Inside a line longer than the buffer: its rest, up to the next
        // newline, is dropped rather than handed over as a line of its own.
        var isSkippingLongLine = false
        while true {
            let count = read(buffer + filled, capacity - filled)
            if count < 0 { return false }
            filled += count
            // Hand over every complete line; keep a partial one for the next read.
            var lineStart = 0
            var index = 0
            while index < filled {
                if buffer[index] == 10 {
                    if isSkippingLongLine {
                        isSkippingLongLine = false
                    } else {
                        visitLine(UnsafeBufferPointer(start: buffer + lineStart, count: index - lineStart))
                    }
                    lineStart = index + 1
                }
                index += 1
            }
            if lineStart > 0 {
                memmove(buffer, buffer + lineStart, filled - lineStart)
                filled -= lineStart
            } else if filled == capacity {
                filled = 0 // A line longer than the buffer: skip it.
                isSkippingLongLine = true
            }
            if count == 0 { return true }
        }
    }
}
