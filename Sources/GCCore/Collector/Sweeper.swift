/// Sweeping: after marking, a span's mark bits become its live bits. Spans
/// with no survivors go back to the page allocator; spans with free slots
/// go on their class's available list. A span a cache owns is never freed. Works on bitmaps, a word at a time;
/// it never touches object memory.

extension Heap {
    /// Clears every mark bit without sweeping, for an abandoned collection.
    func clearMarks() {
        pages.pageMap.forEachSpan { span in
            span.pointee.hasUnscannedMarks = false
            if span.pointee.state != .free { span.markBits.clearAll(wordCount: Span.bitmapWordCount) }
        }
    }

    mutating func sweep() -> SweepResult {
        var result = SweepResult()
        clearAvailableLists()
        var emptySpans: UnsafeMutablePointer<Span>? = nil
        let spans = pages.pageMap
        spans.forEachSpan { span in
            span.pointee.hasUnscannedMarks = false
            if span.pointee.state != .free { sweep(span, into: &result, emptySpans: &emptySpans) }
        }
        freeSpans(emptySpans)
        return result
    }

    /// Frees every span of a list linked through `next`.
    mutating func freeSpans(_ list: UnsafeMutablePointer<Span>?) {
        var emptySpans = list
        while let span = emptySpans {
            emptySpans = span.pointee.next
            pages.free(span, metadata: &metadata)
        }
    }

    /// Sweeps one small or large span: its mark bits become its live bits.
    /// A span left without objects goes on `emptySpans` (to be freed once
    /// no walk of the page map is under way), unless a cache owns it or it
    /// is on an available list (an explicit free during lazy sweeping put
    /// it there); one with free slots becomes available.
    mutating func sweep(_ span: UnsafeMutablePointer<Span>, into result: inout SweepResult,
                        emptySpans: inout UnsafeMutablePointer<Span>?) {
        switch span.pointee.state {
        case .free, .userArena:
            // Arena chunks hold no collected objects; only the arena frees them.
            return
        case .large:
            if span.markBits.words[0] != 0 {
                span.markBits.words[0] = 0
                result.liveBytes += span.pointee.objectSize
            } else {
                result.reclaimedBytes += span.pointee.objectSize
                span.liveBits.words[0] = 0
                span.pointee.next = emptySpans
                emptySpans = span
            }
        case .small:
            let liveBits = span.liveBits.words
            let markBits = span.markBits.words
            var survivors = 0
            var dead = 0
            for word in 0..<((span.pointee.objectCount + 63) / 64) {
                let marked = markBits[word]
                dead &+= (liveBits[word] & ~marked).nonzeroBitCount
                survivors &+= marked.nonzeroBitCount
                liveBits[word] = marked
                markBits[word] = 0
            }
            result.liveBytes += UInt(survivors) * span.pointee.objectSize
            result.reclaimedBytes += UInt(dead) * span.pointee.objectSize
            if dead > 0 { span.pointee.isZeroed = false }
            if survivors == 0 && !span.pointee.isOwnedByCache && !span.pointee.isInAvailableList {
                span.pointee.next = emptySpans
                emptySpans = span
            } else if survivors < span.pointee.objectCount {
                makeAvailable(span)
            }
        }
    }
}
