/// Re-marking from written pages, for mostly-concurrent marking.
///
/// While marking runs beside the program, the program may store a pointer
/// to an unmarked object into an object the marker has already scanned.
/// The kernel reports every arena page written since the last report
/// (OS/DirtyPages); scanning again every marked object on such a page
/// finds those stores. An unmarked object on a written page needs nothing:
/// if it is reached later, it is scanned then, after the write. A written
/// page of a user arena's scanned chunk is a written root: it is scanned
/// again too (and the final pause scans every arena chunk whole anyway).
extension Marker {
    /// Queues for scanning every marked object that overlaps the arena
    /// range [low, high) (whole pages reported as written). A large object
    /// of a plainly scanned kind is queued only for the written part.
    /// The caller holds the heap lock, so spans do not change underneath.
    mutating func rescanMarkedObjects(low: UInt, high: UInt) {
        let pageSize = PageMap.pageSize
        var cursor = low
        while cursor < high {
            guard let span = pageMap.span(containing: Address(cursor)), span.pointee.state != .free else {
                cursor = (cursor | (pageSize &- 1)) &+ 1
                continue
            }
            let spanStart = span.pointee.start.value
            let spanEnd = span.pointee.end.value
            var runEnd = min(high, spanEnd)
            // Beside the program (a re-marking round without the lock), a
            // descriptor read while it is re-formatted may not cover the
            // cursor: skip the page rather than walk backwards.
            if runEnd <= cursor || spanStart > cursor {
                runEnd = min(high, (cursor | (pageSize &- 1)) &+ 1)
                cursor = runEnd
                continue
            }
            if span.pointee.state == .userArena {
                // A root, not an object: its written part is scanned again if
                // its arena is live and it is scanned at all.
                if span.pointee.userArena != nil && span.pointee.kind == .normal {
                    let clippedLow = max(cursor, spanStart)
                    if clippedLow < runEnd && !stack.push(low: clippedLow, high: runEnd) {
                        scanBounded(MarkStack.Entry(low: clippedLow, high: runEnd))
                    }
                }
            } else if span.pointee.state == .large {
                if span.markBits.isSet(0) {
                    let kind = span.pointee.kind
                    if kind == .normal || kind == .uncollectable {
                        let objectEnd = spanStart &+ span.pointee.objectSize
                        let clippedLow = max(cursor, spanStart)
                        let clippedHigh = min(runEnd, objectEnd)
                        if clippedLow < clippedHigh && !stack.push(low: clippedLow, high: clippedHigh) {
                            scanBounded(MarkStack.Entry(low: clippedLow, high: clippedHigh))
                        }
                    } else if pageMap.arenaHolds(start: spanStart, bytes: span.pointee.objectSize) {
                        pushMarkedObject(span: span, index: 0)
                    }
                }
            } else {
                // Every object that overlaps [cursor, runEnd): the first may
                // start on an earlier page.
                var index = span.objectIndex(containing: Address(cursor))
                while index < span.pointee.objectCount {
                    let start = span.objectStart(index).value
                    if start >= runEnd || !pageMap.arenaHolds(start: start, bytes: span.pointee.objectSize) { break }
                    if span.markBits.isSet(index) { pushMarkedObject(span: span, index: index) }
                    index &+= 1
                }
            }
            cursor = runEnd
        }
    }
}
