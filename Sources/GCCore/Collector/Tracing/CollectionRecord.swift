/// What one collection did, filled by the engine when the collection ends
/// (`CollectionTrace`) and printed by the trace's two formats
/// (`TraceFormat`): the SWIFTGC_TRACE line and the SWIFTGC_TRACE_FILE
/// record. Both print every field of `forEachField`, in its order, so a
/// new field is a stored property here and one line in that list.
struct CollectionRecord {
    /// The collection's number, from 1: `Statistics.collections` once it
    /// is counted.
    var number: UInt64 = 0
    var kind = CollectionKind.stopTheWorld
    /// When the collection's (first) pause began, from the collector's
    /// initialisation.
    var startNanoseconds: UInt64 = 0
    /// A concurrent cycle's first pause (0 for a stop-the-world collection).
    var startPauseNanoseconds: UInt64 = 0
    /// The program ran, and the background collector marked, between the
    /// end of the start pause and the start of the final one.
    var concurrentNanoseconds: UInt64 = 0
    /// The stop-the-world pause, or a concurrent cycle's final pause.
    var pauseNanoseconds: UInt64 = 0
    /// Committed heap when the collection began, and when it ended (after
    /// the sweep, and the return of long-free spans to the OS).
    var heapBeforeBytes: UInt64 = 0
    var heapAfterBytes: UInt64 = 0
    /// Live bytes at which the next collection is due: live plus the
    /// budget (Pacing.swift's `collectionBudget`).
    var heapGoalBytes: UInt64 = 0
    /// Bytes the collection found live.
    var liveBytes: UInt64 = 0
    /// Bytes allocated since the previous collection ended.
    var allocatedBytes: UInt64 = 0
    /// Threads that marked in the (final) pause, the collecting one included.
    var markers: UInt64 = 1
    /// Time in collection since initialisation (the pauses, and the
    /// background collector's CPU time in concurrent phases), as a
    /// percentage of the wall-clock time since then (as Go's gctrace
    /// reports; `CollectionTrace.totalCollectionNanoseconds`).
    var collectionTimePercent: UInt64 = 0
}

/// How a collection ran; the JSON record's `kind`.
enum CollectionKind {
    /// Every phase with the world stopped.
    case stopTheWorld
    /// Marked mostly concurrently, between two pauses, by the background
    /// collector.
    case concurrent

    var name: StaticString {
        switch self {
        case .stopTheWorld: return "stop-the-world"
        case .concurrent: return "concurrent"
        }
    }
}

/// How a field's value is written: the JSON value is always the plain
/// integer, in the unit the key names.
enum TraceUnit {
    case nanoseconds
    case bytes
    case count
    case percent
}

struct TraceField {
    /// Written before the value on the stderr line, separators included.
    let label: StaticString
    /// The JSON key, ending in its unit.
    let key: StaticString
    let unit: TraceUnit
    let value: UInt64
    /// Whether the stderr line shows the field when it is 0 (the JSON
    /// record always has every key).
    let isShownWhenZero: Bool

    init(_ label: StaticString, _ key: StaticString, _ unit: TraceUnit, _ value: UInt64, isShownWhenZero: Bool = true) {
        self.label = label
        self.key = key
        self.unit = unit
        self.value = value
        self.isShownWhenZero = isShownWhenZero
    }
}

extension CollectionRecord {
    /// The fields after the head (`gc N @seconds percent: kind` on the
    /// stderr line; `gc`, `kind`, `time_since_start_ns` and
    /// `collection_time_percent` in the JSON record), in printing order.
    func forEachField(_ body: (TraceField) -> Void) {
        body(TraceField(", start pause ", "start_pause_ns", .nanoseconds, startPauseNanoseconds, isShownWhenZero: false))
        body(TraceField(", concurrent ", "concurrent_ns", .nanoseconds, concurrentNanoseconds, isShownWhenZero: false))
        body(TraceField(", pause ", "pause_ns", .nanoseconds, pauseNanoseconds))
        body(TraceField(", heap ", "heap_before_bytes", .bytes, heapBeforeBytes))
        body(TraceField(" -> ", "heap_after_bytes", .bytes, heapAfterBytes))
        body(TraceField(" -> goal ", "heap_goal_bytes", .bytes, heapGoalBytes))
        body(TraceField(", live ", "live_bytes", .bytes, liveBytes))
        body(TraceField(", allocated ", "allocated_bytes", .bytes, allocatedBytes))
        body(TraceField(", markers ", "markers", .count, markers))
    }
}
