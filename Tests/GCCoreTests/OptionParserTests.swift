import Testing
import Foundation
@testable import GCCore

struct OptionParserTests {
    private func parse(_ text: String, as kind: OptionKind) -> UInt64? {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { OptionParser.parse(UnsafeBufferPointer($0), as: kind) }
    }

    @Test func byteCountsAcceptBinaryUnits() {
        #expect(parse("4096", as: .bytes) == 4096)
        #expect(parse("64M", as: .bytes) == 64 << 20)
        #expect(parse("64mb", as: .bytes) == 64 << 20)
        #expect(parse("2GiB", as: .bytes) == 2 << 30)
        #expect(parse("1t", as: .bytes) == 1 << 40)
        #expect(parse("10B", as: .bytes) == 10)
    }

    @Test func junkIsRejected() {
        for junk in ["", "M", "-1", "12Q", "1.5G", "64 M", "99999999999999999999999", "16777216T", "1GiBx", "0x10"] {
            #expect(parse(junk, as: .bytes) == nil, "\"\(junk)\" should not parse as a size")
        }
        for junk in ["0", "100001", "abc", "-5", ""] {
            #expect(parse(junk, as: .percent) == nil, "\"\(junk)\" should not parse as a percentage")
        }
        // "\u{10}" and "\u{11}" once read as 0 and 1 (case folding applied to digits; found by fuzzing).
        for junk in ["2", "maybe", "", "\u{10}", "\u{11}"] {
            #expect(parse(junk, as: .boolean) == nil, "\"\(junk)\" should not parse as a boolean")
        }
    }

    @Test func concurrency() {
        #expect(parse("auto", as: .concurrency) == Concurrency.automatic.rawValue)
        #expect(parse("AUTO", as: .concurrency) == Concurrency.automatic.rawValue)
        #expect(parse("1", as: .concurrency) == Concurrency.on.rawValue)
        #expect(parse("off", as: .concurrency) == Concurrency.off.rawValue)
        #expect(parse("2", as: .concurrency) == nil)
        #expect(parse("automatic", as: .concurrency) == nil)
    }

    @Test func booleansAndPercentages() {
        #expect(parse("1", as: .boolean) == 1)
        #expect(parse("TRUE", as: .boolean) == 1)
        #expect(parse("off", as: .boolean) == 0)
        #expect(parse("150", as: .percent) == 150)
    }

    @Test func environmentEntriesSetOptions() {
        var options = Options()
        for entry in ["SWIFTGC_HEAP_GROWTH=250", "SWIFTGC_MAX_HEAP=1G", "PATH=/bin", "SWIFTGC_STATS=yes"] {
            var bytes = Array(entry.utf8)
            bytes.withUnsafeMutableBufferPointer { options.apply(environmentEntry: UnsafeBufferPointer($0)) }
        }
        #expect(options[.heapGrowth] == 250)
        #expect(options[.maxHeap] == 1 << 30)
        #expect(options.isEnabled(.stats))
        #expect(options[.initialHeap] == Option.initialHeap.descriptor.defaultValue, "untouched options keep defaults")
    }

    @Test func readmeDocumentsEveryOption() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../README.md").standardized
        let text = try String(contentsOf: readme, encoding: .utf8)
        for index in 0..<Option.count {
            let name = "\(Option(rawValue: index)!.descriptor.name)"
            #expect(text.contains("`\(name)`"), "README.md should document \(name)")
        }
    }
}
