import Testing
@testable import GCCore

struct MapsParserTests {
    private func roots(_ lines: [String]) -> [(UInt, UInt)] {
        var found: [(UInt, UInt)] = []
        var context = DataSegments.Context()
        for line in lines {
            var bytes = Array(line.utf8)
            bytes.withUnsafeMutableBufferPointer { buffer in
                guard let mapping = MapsParser.parse(line: UnsafeBufferPointer(buffer)) else { return }
                DataSegments.classify(mapping, context: &context) { low, high in
                    found.append((low.value, high.value))
                }
            }
        }
        return found
    }

    @Test func parsesAFullLine() {
        var bytes = Array("7f1c2a000000-7f1c2a021000 rw-p 00001000 fd:01 1234567   /usr/lib/libc.so.6\n".utf8)
        let mapping = bytes.withUnsafeMutableBufferPointer { MapsParser.parse(line: UnsafeBufferPointer($0)) }
        #expect(mapping?.start.value == 0x7f1c2a000000)
        #expect(mapping?.end.value == 0x7f1c2a021000)
        #expect(mapping?.isWritable == true && mapping?.isPrivate == true)
        #expect(mapping?.inode == 1234567)
        #expect(mapping?.isFileBacked == true)
    }

    @Test func malformedLinesAreRejected() {
        for line in ["", "zzzz", "1000-", "2000-1000 rw-p 0 0:0 0", "1000-2000 rw", "1000-2000 rw-p 0 fd:01",
                     "10000000000000000-20000000000000000 rw-p 0 0:0 0"] {
            var bytes = Array(line.utf8)
            let mapping = bytes.withUnsafeMutableBufferPointer { MapsParser.parse(line: UnsafeBufferPointer($0)) }
            #expect(mapping == nil, "\"\(line)\" should not parse")
        }
    }

    @Test func dataAndAdjacentBssAreRootsButHeapAndStacksAreNot() {
        let found = roots([
            "1000-2000 r--p 00000000 fd:01 10 /bin/program",
            "2000-3000 r-xp 00001000 fd:01 10 /bin/program",
            "3000-4000 rw-p 00002000 fd:01 10 /bin/program",
            "4000-6000 rw-p 00000000 00:00 0",
            "6000-7000 rw-p 00000000 00:00 0",
            "9000-a000 rw-p 00000000 00:00 0 [heap]",
            "b000-c000 rw-p 00000000 00:00 0",
            "c000-d000 rw-s 00000000 fd:01 11 /dev/shm/shared",
            "e000-f000 rw-p 00000000 00:00 0 [stack]",
            "f000-10000 rw-p 00000000 fd:01 12 /home/user/data.bin",
        ])
        #expect(found.count == 2, "expected .data and .bss only, got \(found)")
        #expect(found.first.map { $0 == (0x3000, 0x4000) } == true, ".data should be a root")
        #expect(found.last.map { $0 == (0x4000, 0x6000) } == true, "the anonymous mapping right after .data is .bss")
    }

    /// A data file mapped privately and writably is not a data segment,
    /// even right after a library's segments; a library's segments are,
    /// also behind a no-access gap of the same file.
    @Test func onlyMappingsNextToTheirOwnFileAreDataSegments() {
        let found = roots([
            "1000-2000 r-xp 00000000 fd:01 20 /usr/lib/libexample.so",
            "2000-3000 ---p 00001000 fd:01 20 /usr/lib/libexample.so",
            "3000-4000 r--p 00001000 fd:01 20 /usr/lib/libexample.so",
            "4000-5000 rw-p 00002000 fd:01 20 /usr/lib/libexample.so",
            "5000-6000 rw-p 00000000 fd:01 21 /tmp/short-file",
            "6000-7000 rw-p 00000000 00:00 0",
        ])
        #expect(found.count == 1 && found.first.map { $0 == (0x4000, 0x5000) } == true,
                "expected the library's .data only, got \(found)")
    }

    /// Found by fuzzing: after a line longer than the buffer was skipped,
    /// its tail was handed over as a line of its own.
    @Test func aLineLongerThanTheBufferIsSkippedWhole() {
        let text = Array("short one\n\(String(repeating: "x", count: 40)) 1000-2000 rw-p 0 0:0 1 /tail\nlast\n".utf8)
        var lines: [String] = []
        var consumed = 0
        let capacity = 16
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        let succeeded = LineReader.forEachLine(buffer: buffer, capacity: capacity, read: { destination, room in
            let count = min(room, 5, text.count - consumed)
            for index in 0..<count { destination[index] = text[consumed + index] }
            consumed += count
            return count
        }) { line in
            lines.append(String(decoding: line, as: UTF8.self))
        }
        #expect(succeeded)
        #expect(lines == ["short one", "last"], "the long line is skipped whole, got \(lines)")
    }
}
