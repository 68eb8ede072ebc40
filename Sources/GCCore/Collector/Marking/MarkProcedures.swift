import _CSwiftGC

/// Marking objects of bdwgc kinds (ObjectKinds.swift): descriptors and mark
/// procedures, adapted to our mark stack of plain ranges.
///
/// bdwgc's mark stack holds (start, descriptor) entries; ours holds ranges
/// that are scanned word by word. The adapter is a second, small stack of
/// bdwgc-format entries (`ObjectKinds.work`) that lives only while one
/// described object is being expanded:
///
/// - GC_DS_LENGTH and GC_DS_BITMAP entries become ranges on our stack;
/// - GC_DS_PROC entries call the procedure with the work stack's top and
///   limit; what it pushes is expanded in turn;
/// - GC_DS_PER_OBJECT entries are replaced by the descriptor they point to;
/// - GC_mark_and_push marks an object and pushes it with
///   `wholeObjectDescriptor`, expanded by the object's own kind (a range, a
///   typed object's runs, or a described object's descriptor).
///
/// Nothing recurses except on mark stack overflow: a range that does not fit
/// flags the span of the marked object it lies in for rescanning (as the
/// marker does), or is scanned at once when it is outside the heap or in a
/// described object, whose procedure might not push that range again.
extension Marker {
    /// The descriptor GC_mark_and_push pushes: "the object at start, as its
    /// kind says". A per-object tag with every offset bit set, which no
    /// real descriptor uses.
    static let wholeObjectDescriptor: UInt = ~0

    /// Pushes what a newly marked described object's descriptor says.
    /// Always succeeds: whatever does not fit is flagged or scanned.
    @inline(never) mutating func pushDescribedObject(span: UnsafeMutablePointer<Span>, index: Int) -> Bool {
        let start = span.objectStart(index).value
        let size = span.pointee.objectSize
        // A slot a cache has reserved holds no object yet; it is pinned.
        guard span.isAllocated(index) else { return true }
        guard let state = collectorState, state.pointee.kinds.work != nil else {
            pushRangeOrFlag(low: start, high: start &+ size)
            return true
        }
        let number = UnsafePointer<UInt>(bitPattern: start &+ size &- ObjectKinds.trailerBytes).unsafelyUnwrapped.pointee
        guard let descriptor = state.pointee.kinds.descriptor(ofKind: number, slotBytes: size) else {
            pushRangeOrFlag(low: start, high: start &+ size)
            return true
        }
        expand(start: start, descriptor: descriptor, state)
        return true
    }

    /// Expands one bdwgc entry, and everything it leads to, onto our stack.
    private mutating func expand(start: UInt, descriptor: UInt, _ state: UnsafeMutablePointer<CollectorState>) {
        let work = state.pointee.kinds.work.unsafelyUnwrapped
        let base = state.pointee.kinds.workTop
        guard base < ObjectKinds.workCapacity else {
            scanNow(start: start, descriptor: descriptor)
            return
        }
        state.pointee.kinds.workTop = base + 1
        work[base + 1] = swiftgc_mark_stack_entry(start: start, descriptor: descriptor)
        while state.pointee.kinds.workTop > base {
            let top = state.pointee.kinds.workTop
            let entry = work[top]
            state.pointee.kinds.workTop = top - 1
            expandEntry(entry, work: work, state)
        }
    }

    private mutating func expandEntry(_ entry: swiftgc_mark_stack_entry,
                                      work: UnsafeMutablePointer<swiftgc_mark_stack_entry>,
                                      _ state: UnsafeMutablePointer<CollectorState>) {
        let descriptor = entry.descriptor
        if descriptor == Marker.wholeObjectDescriptor {
            expandMarkedObject(at: entry.start, work: work, state)
            return
        }
        switch descriptor & 3 {
        case 0: // GC_DS_LENGTH
            if descriptor != 0 { pushRangeOrFlag(low: entry.start, high: entry.start &+ descriptor) }
        case 1: // GC_DS_BITMAP: most significant bit = word 0
            var bits = descriptor & ~3
            var word = entry.start
            while bits != 0 {
                let skipped = UInt(bits.leadingZeroBitCount)
                word &+= skipped &* 8
                bits <<= skipped
                let run = UInt((~bits).leadingZeroBitCount)
                pushRangeOrFlag(low: word, high: word &+ run &* 8)
                word &+= run &* 8
                bits = run == 64 ? 0 : bits << run
            }
        case 2: // GC_DS_PROC
            callProcedure(entry, work: work, state)
        default: // GC_DS_PER_OBJECT
            let offset = descriptor & ~3
            var real: UInt
            if Int(bitPattern: descriptor) >= 0 {
                real = UnsafePointer<UInt>(bitPattern: entry.start &+ offset).unsafelyUnwrapped.pointee
            } else {
                let typeRecord = UnsafePointer<UInt>(bitPattern: entry.start).unsafelyUnwrapped.pointee
                if typeRecord == 0 { return } // not initialised yet
                real = UnsafePointer<UInt>(bitPattern: typeRecord &- offset &- 0x10).unsafelyUnwrapped.pointee
            }
            if real & 3 == 3 { return } // a per-object descriptor may not point to another
            let top = state.pointee.kinds.workTop + 1 // the slot just popped
            work[top] = swiftgc_mark_stack_entry(start: entry.start, descriptor: real)
            state.pointee.kinds.workTop = top
        }
    }

    /// Calls a GC_DS_PROC entry's procedure on the work stack.
    private mutating func callProcedure(_ entry: swiftgc_mark_stack_entry,
                                        work: UnsafeMutablePointer<swiftgc_mark_stack_entry>,
                                        _ state: UnsafeMutablePointer<CollectorState>) {
        let index = Int((entry.descriptor >> 2) & 63)
        let environment = entry.descriptor >> 8
        guard index < state.pointee.kinds.procedureCount,
              let procedure = state.pointee.kinds.procedures.unsafelyUnwrapped[index] else { return }
        let top = state.pointee.kinds.workTop
        let limit = work + (ObjectKinds.workCapacity + 1)
        let result = procedure(UnsafeMutablePointer<UInt>(bitPattern: entry.start), work + top, limit, environment)
        // A procedure only pushes; anything else keeps the entries below it.
        var newTop = top
        if let result, result > work + top, result < limit { newTop = result - work }
        state.pointee.kinds.workTop = newTop
        if state.pointee.kinds.workOverflowed {
            state.pointee.kinds.workOverflowed = false
            didOverflow = true
            overflowCount &+= 1
        }
    }

    /// An object GC_mark_and_push marked: push it as its kind says.
    private mutating func expandMarkedObject(at start: UInt, work: UnsafeMutablePointer<swiftgc_mark_stack_entry>,
                                             _ state: UnsafeMutablePointer<CollectorState>) {
        guard let span = pageMap.span(containing: Address(start)), span.pointee.state != .free else { return }
        let index = span.objectIndex(containing: Address(start))
        let size = span.pointee.objectSize
        switch span.pointee.kind {
        case .atomic:
            return
        case .normal, .uncollectable:
            pushRangeOrFlag(low: start, high: start &+ size)
        case .typed:
            if !pushTypedObject(start: start, size: size) { flagForRescan(span) }
        case .described:
            let number = UnsafePointer<UInt>(bitPattern: start &+ size &- ObjectKinds.trailerBytes).unsafelyUnwrapped.pointee
            guard span.isAllocated(index) else { return }
            guard let descriptor = state.pointee.kinds.descriptor(ofKind: number, slotBytes: size) else {
                pushRangeOrFlag(low: start, high: start &+ size)
                return
            }
            let top = state.pointee.kinds.workTop + 1 // the slot just popped
            work[top] = swiftgc_mark_stack_entry(start: start, descriptor: descriptor)
            state.pointee.kinds.workTop = top
        }
    }

    /// Pushes [low, high); when the stack is full, flags the marked object
    /// holding `low` for rescanning, or scans the range at once.
    private mutating func pushRangeOrFlag(low: UInt, high: UInt) {
        if high <= low || stack.push(low: low, high: high) { return }
        if let span = pageMap.span(containing: Address(low)), span.pointee.state != .free,
           span.pointee.kind != .described {
            let index = span.objectIndex(containing: Address(low))
            if index < span.pointee.objectCount && span.markBits.isSet(index) {
                flagForRescan(span)
                return
            }
        }
        var cursor = low
        while cursor < high {
            let end = min(high, cursor &+ Marker.scanChunkBytes)
            scan(low: cursor, high: end)
            cursor = end
        }
    }

    private mutating func flagForRescan(_ span: UnsafeMutablePointer<Span>) {
        span.pointee.hasUnscannedMarks = true
        didOverflow = true
        overflowCount &+= 1
    }

    /// The work stack is full (deeply nested overflow): scan the object's
    /// words conservatively, which can only retain more.
    private mutating func scanNow(start: UInt, descriptor: UInt) {
        guard let span = pageMap.span(containing: Address(start)), span.pointee.state != .free else { return }
        scan(low: start, high: start &+ span.pointee.objectSize)
    }
}

extension ObjectKinds {
    /// GC_mark_and_push: marks the object containing `address` and, if it
    /// was not marked and may hold pointers, pushes it on the work stack.
    static func markAndPush(address: UInt, top: UnsafeMutablePointer<swiftgc_mark_stack_entry>?,
                            limit: UnsafeMutablePointer<swiftgc_mark_stack_entry>?)
        -> UnsafeMutablePointer<swiftgc_mark_stack_entry>? {
        guard let state = collectorState, state.pointee.kinds.isMarking, let top, let limit else { return top }
        guard let span = state.pointee.heap.pageMap.span(containing: Address(address)),
              span.pointee.state != .free else { return top }
        let index = span.objectIndex(containing: Address(address))
        guard index < span.pointee.objectCount, span.liveBits.isSet(index) else { return top }
        if span.markBits.testAndSet(index) || span.pointee.kind == .atomic { return top }
        let next = top + 1
        if next >= limit {
            span.pointee.hasUnscannedMarks = true
            state.pointee.kinds.workOverflowed = true
            return top
        }
        next.pointee = swiftgc_mark_stack_entry(start: span.objectStart(index).value,
                                                descriptor: Marker.wholeObjectDescriptor)
        return next
    }

    /// GC_is_marked: during marking, the object's mark bit; otherwise
    /// whether `address` is in an allocated object.
    static func isMarked(_ address: Address) -> Bool {
        guard let state = collectorState, let (span, index) = state.pointee.heap.object(containing: address) else {
            return false
        }
        return state.pointee.kinds.isMarking ? span.markBits.isSet(index) : true
    }

    /// GC_set_mark_bit and GC_clear_mark_bit; only during marking, since
    /// between collections every mark bit must stay clear.
    static func setMarkBit(_ address: Address, isMarked: Bool) {
        guard let state = collectorState, state.pointee.kinds.isMarking,
              let (span, index) = state.pointee.heap.object(containing: address) else { return }
        if isMarked { span.markBits.set(index) } else { span.markBits.clear(index) }
    }
}
