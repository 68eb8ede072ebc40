import _CSwiftGC

/// Typed objects: objects scanned only at the words a pointer bitmap marks.
/// Their format, and how the marker scans them; gc_malloc_typed and
/// gc_make_descriptor are in GCAPI/TypedAllocation.swift.
///
/// A *type descriptor* is one word:
/// - bit 63 set: an inline bitmap. Bits 56...62 hold the length in words
///   (at most 56), bits 0...55 the bitmap (bit i set = word i may hold a
///   pointer);
/// - otherwise, the address of an uncollectable heap record
///   `[length, bitmap words...]`, for longer bitmaps (any other value is
///   read as 0: see forEachPointerRun);
/// - 0: unknown, every word may hold a pointer.
///
/// A typed object ends with a two-word trailer, at the end of its slot:
///
///     [ user words ... | descriptor | period ]
///
/// Word i of the object is scanned when (i mod period) < length and that
/// bit is set; the trailer itself is never scanned. gc_malloc_typed uses a
/// period as long as the object, so words past the bitmap are never
/// scanned; gc_calloc_typed uses the element size, so the bitmap describes
/// every element. Until the trailer is written (and after gc_realloc, which
/// does not copy it), it reads as zero: every word is scanned, which can
/// only retain more.
enum TypedObjects {
    static let trailerBytes: UInt = 16
    static let inlineTag: UInt = 1 << 63
    static let inlineCapacity = 56
    /// A period longer than any object: the bitmap applies once.
    static let neverRepeats: UInt = 1 << 40
}

extension Marker {
    /// Calls `body` with each run [low, high) of consecutive pointer words
    /// of the typed object [start, start + size).
    @inline(__always) func forEachPointerRun(start: UInt, size: UInt, _ body: (UInt, UInt) -> Bool) -> Bool {
        let trailer = UnsafePointer<UInt>(bitPattern: start &+ size &- TypedObjects.trailerBytes).unsafelyUnwrapped
        let descriptor = trailer[0]
        let end = start &+ size &- TypedObjects.trailerBytes
        if descriptor == 0 { return body(start, end) }
        let period = Int(trailer[1])
        var length: Int
        var inlineBits: UInt = 0
        var record: UnsafePointer<UInt>? = nil
        if descriptor & TypedObjects.inlineTag != 0 {
            length = Int((descriptor >> 56) & 0x7f)
            inlineBits = descriptor & ((1 << 56) - 1)
        } else if let span = pageMap.span(containing: Address(descriptor)), span.pointee.state != .free,
                  span.pointee.kind == .uncollectable {
            record = UnsafePointer<UInt>(bitPattern: descriptor)
            length = Int(record.unsafelyUnwrapped[0])
        } else {
            // Not a record: concurrent marking read the trailer of a slot
            // still being initialised (its old contents). Scanning every
            // word can only retain more; the page is written, so the final
            // pause scans the object again with its real trailer.
            return body(start, end)
        }
        let wordCount = Int((end &- start) / 8)
        var runStart = -1
        var index = 0
        var phase = 0
        while index < wordCount {
            var isPointer = false
            if phase < length {
                if let record {
                    isPointer = record[1 + phase >> 6] & (1 << UInt(phase & 63)) != 0
                } else {
                    isPointer = inlineBits & (1 << UInt(phase)) != 0
                }
            }
            if isPointer {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if !body(start &+ UInt(runStart) &* 8, start &+ UInt(index) &* 8) { return false }
                runStart = -1
            }
            index += 1
            phase += 1
            if phase == period { phase = 0 }
        }
        if runStart >= 0 { return body(start &+ UInt(runStart) &* 8, start &+ UInt(wordCount) &* 8) }
        return true
    }

    /// Pushes the pointer runs of a typed object; false if the stack filled
    /// (the runs pushed before stay pushed, and scanning twice is harmless).
    mutating func pushTypedObject(start: UInt, size: UInt) -> Bool {
        var stack = self.stack
        let isComplete = forEachPointerRun(start: start, size: size) { low, high in stack.push(low: low, high: high) }
        self.stack = stack
        return isComplete
    }

    /// Scans the pointer runs of a typed object at once.
    mutating func scanTypedObject(start: UInt, size: UInt) {
        var marker = self
        _ = forEachPointerRun(start: start, size: size) { low, high in
            marker.scan(low: low, high: high)
            return true
        }
        self = marker
    }

    /// Scans the words of an object that may hold pointers, marking what
    /// they reach (not the object itself).
    mutating func scanContents(span: UnsafeMutablePointer<Span>, index: Int) {
        let start = span.objectStart(index).value
        switch span.pointee.kind {
        case .atomic: return
        case .typed: scanTypedObject(start: start, size: span.pointee.objectSize)
        case .described: _ = pushDescribedObject(span: span, index: index) // the caller drains
        default: scan(low: start, high: start &+ span.pointee.objectSize)
        }
    }
}
