import Testing
import Foundation
@testable import GCCore

/// The two formats of a collection record (TraceFormat): the stderr line and
/// the JSON record print every field of `CollectionRecord.forEachField`.
struct TraceFormatTests {
    private func formatted(_ record: CollectionRecord, json: Bool) -> String {
        var storage = [UInt8](repeating: 0, count: 1024)
        return storage.withUnsafeMutableBufferPointer { buffer in
            var message = Message(storage: buffer.baseAddress!, capacity: buffer.count)
            if json { TraceFormat.appendJSON(record, to: &message) } else { TraceFormat.appendLine(record, to: &message) }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<message.count]), as: UTF8.self)
        }
    }

    private var concurrentRecord: CollectionRecord {
        var record = CollectionRecord()
        record.number = 13
        record.kind = .concurrent
        record.startNanoseconds = 1_530_000_000
        record.startPauseNanoseconds = 91_000
        record.concurrentNanoseconds = 12_250_000
        record.pauseNanoseconds = 310_000
        record.heapBeforeBytes = 12 << 20
        record.heapAfterBytes = 13 << 20
        record.heapGoalBytes = 24 << 20
        record.liveBytes = 11 << 20
        record.allocatedBytes = 9 << 20
        record.markers = 2
        record.collectionTimePercent = 3
        return record
    }

    @Test func stopTheWorldLineLeavesOutTheConcurrentFields() {
        var record = concurrentRecord
        record.kind = .stopTheWorld
        record.startPauseNanoseconds = 0
        record.concurrentNanoseconds = 0
        #expect(formatted(record, json: false) == "gc 13 @1.530s 3%: stop-the-world, pause 0.310 ms, heap 12.0 MiB -> "
                + "13.0 MiB -> goal 24.0 MiB, live 11.0 MiB, allocated 9.0 MiB, markers 2")
    }

    @Test func concurrentLineShowsEachPauseAndTheConcurrentTime() {
        #expect(formatted(concurrentRecord, json: false) == "gc 13 @1.530s 3%: concurrent, start pause 0.091 ms, "
                + "concurrent 12.250 ms, pause 0.310 ms, heap 12.0 MiB -> 13.0 MiB -> goal 24.0 MiB, live 11.0 MiB, "
                + "allocated 9.0 MiB, markers 2")
    }

    @Test func jsonRecordHasEveryFieldWithItsValue() throws {
        let text = formatted(concurrentRecord, json: true)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                                  "expected one JSON object, got \(text)")
        var keys: Set<String> = ["gc", "kind", "time_since_start_ns", "collection_time_percent"]
        concurrentRecord.forEachField { field in
            let key = "\(field.key)"
            keys.insert(key)
            #expect((object[key] as? NSNumber)?.uint64Value == field.value, "\(key) should be \(field.value) in \(text)")
        }
        #expect(Set(object.keys) == keys, "expected exactly the keys \(keys.sorted()) in \(text)")
        #expect(object["gc"] as? Int == 13)
        #expect(object["kind"] as? String == "concurrent")
        #expect(object["time_since_start_ns"] as? Int == 1_530_000_000)
    }

    @Test func pathOptionHoldsTheAddressOfItsText() {
        var options = Options()
        #expect(options.path(.traceFile) == nil)
        let entry = Array("SWIFTGC_TRACE_FILE=/tmp/trace-%p.jsonl\u{0}".utf8)
        entry.withUnsafeBufferPointer { buffer in
            options.apply(environmentEntry: buffer.baseAddress!)
            let path = options.path(.traceFile).map { String(cString: $0) }
            #expect(path == "/tmp/trace-%p.jsonl", "expected the path after '=', got \(String(describing: path))")
        }
    }
}
