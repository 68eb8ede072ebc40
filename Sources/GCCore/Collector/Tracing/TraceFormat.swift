/// The trace's two formats of a `CollectionRecord`, each one line written
/// into a `Message` (a fixed buffer: no allocation, no String).
///
/// The stderr line (SWIFTGC_TRACE), after the `swiftgc: ` prefix:
///
///     gc 12 @1.204s 3%: stop-the-world, pause 0.412 ms, heap 16.0 MiB -> 12.0 MiB -> goal 24.0 MiB, live 11.8 MiB, allocated 8.0 MiB, markers 2
///     gc 13 @1.530s 3%: concurrent, start pause 0.091 ms, concurrent 12.250 ms, pause 0.310 ms, heap ...
///
/// The JSON record (SWIFTGC_TRACE_FILE), one object per line:
///
///     {"gc":12,"kind":"stop-the-world","time_since_start_ns":1204000000,"collection_time_percent":3,"start_pause_ns":0,...}
enum TraceFormat {
    static func appendLine(_ record: CollectionRecord, to message: inout Message) {
        message.append("gc ")
        message.append(decimal: record.number)
        message.append(" @")
        message.append(decimal: record.startNanoseconds / 1_000_000_000)
        message.append(byte: 46)
        appendThreeDigits(record.startNanoseconds / 1_000_000 % 1000, to: &message)
        message.append("s ")
        message.append(decimal: record.collectionTimePercent)
        message.append("%: ")
        message.append(record.kind.name)
        record.forEachField { field in
            guard field.value != 0 || field.isShownWhenZero else { return }
            message.append(field.label)
            switch field.unit {
            case .nanoseconds: message.append(milliseconds: field.value)
            case .bytes: message.append(byteCount: field.value)
            case .count: message.append(decimal: field.value)
            case .percent:
                message.append(decimal: field.value)
                message.append("%")
            }
        }
    }

    static func appendJSON(_ record: CollectionRecord, to message: inout Message) {
        message.append("{\"gc\":")
        message.append(decimal: record.number)
        message.append(",\"kind\":\"")
        message.append(record.kind.name)
        message.append("\",\"time_since_start_ns\":")
        message.append(decimal: record.startNanoseconds)
        message.append(",\"collection_time_percent\":")
        message.append(decimal: record.collectionTimePercent)
        record.forEachField { field in
            message.append(",\"")
            message.append(field.key)
            message.append("\":")
            message.append(decimal: field.value)
        }
        message.append("}")
    }

    private static func appendThreeDigits(_ value: UInt64, to message: inout Message) {
        if value < 100 { message.append(byte: 48) }
        if value < 10 { message.append(byte: 48) }
        message.append(decimal: value)
    }
}
