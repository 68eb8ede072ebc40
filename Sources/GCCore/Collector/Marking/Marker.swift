import _CSwiftGC

/// Conservative marking.
///
/// Every aligned word of a root or of a reached scanned object is a
/// candidate pointer. A candidate marks an object when it falls inside the
/// used arena, on a page of a small or large span, within an allocated
/// object (any byte of it, including the padding byte after the requested
/// size). Newly marked scanned objects go on the mark stack; the marker
/// pops and scans them until the stack is empty.
///
/// Overflow: when the stack is full, the object is marked but not pushed and
/// its span is flagged. After the stack drains, flagged spans are rescanned
/// for marked objects, whose children are marked in turn, until no flag
/// remains. Work is never lost; only rescanned.
struct Marker {
    /// Objects bigger than this are scanned in chunks so the stack stays short.
    static let scanChunkBytes: UInt = 4096

    /// Objects at least this big are scanned only where their pages may
    /// hold data (see PageResidency), when `residency` is open.
    static let sparseScanBytes: UInt = 64 * 1024

    /// A copy of the heap's page map. A concurrent cycle's marker lives
    /// while the arena grows, so it takes a fresh copy before every slice
    /// (`ConcurrentCycle`): with a stale arena top, words pointing into
    /// spans handed out since would not count as pointers.
    var pageMap: PageMap
    var stack: MarkStack
    /// Set by the collection for the heap's big objects, which lie in the
    /// collector's private anonymous arena.
    var residency = PageResidency()
    /// The parallel marking session this marker takes part in, if any
    /// (see ParallelMarking): mark bits are then set atomically.
    var pool: UnsafeMutablePointer<MarkingPool>? = nil
    private var popsSinceShareCheck = 0
    /// Set while a concurrent cycle's start pause scans the roots: `drain`
    /// then leaves the work on the stack, for marking beside the program.
    var defersTracing = false
    /// Set while a concurrent cycle's marker drains without the heap lock,
    /// beside the program's slow paths (ConcurrentCycle, "Marking without
    /// the lock"): mark bits are then set atomically, an object whose
    /// descriptor looks torn (a span re-formatted as it was read) is
    /// skipped unless it lies in the arena, and overflow recovery, which
    /// walks the spans, is left to the caller under the lock.
    var runsBesideProgram = false
    var didOverflow = false
    var overflowCount: UInt64 = 0
    /// Open only inside a drain (see CandidateQueue).
    var candidates = CandidateQueue()

    init(pageMap: PageMap, stack: MarkStack) {
        self.pageMap = pageMap
        self.stack = stack
    }

    /// Treats every aligned word in [low, high) as a possible pointer.
    mutating func scan(low: UInt, high: UInt) {
        let arenaStart = pageMap.arenaStart.value
        let arenaUsed = pageMap.arenaTop.value &- arenaStart
        let entries = pageMap.entries
        var cursor = (low &+ 7) & ~7
        let end = high & ~7
        while cursor < end {
            let word = UnsafePointer<UInt>(bitPattern: cursor).unsafelyUnwrapped.pointee
            cursor &+= 8
            let offset = word &- arenaStart
            if offset >= arenaUsed { continue }
            guard let span = entries[Int(truncatingIfNeeded: offset &>> PageMap.pageShift)] else { continue }
            if candidates.slots != nil {
                enqueueCandidate(span: span, word: word)
            } else {
                mark(span: span, word: word)
            }
        }
    }

    @inline(__always) private mutating func mark(span: UnsafeMutablePointer<Span>, word: UInt) {
        if span.pointee.state == .free { return }
        let index = span.objectIndex(containing: Address(word))
        if index >= span.pointee.objectCount { return }
        markIndexed(span: span, index: index)
    }

    /// Marks object `index` of `span` if it is allocated and not yet marked,
    /// and pushes it if it is scanned.
    @inline(__always) mutating func markIndexed(span: UnsafeMutablePointer<Span>, index: Int) {
        if !span.liveBits.isSet(index) { return }
        if pool == nil && !runsBesideProgram {
            if span.markBits.testAndSet(index) { return }
        } else if span.markBits.isSet(index) || span.markBits.atomicTestAndSet(index) {
            return
        }
        let kind = span.pointee.kind
        if kind == .atomic { return }
        let start = span.objectStart(index).value
        if runsBesideProgram && !pageMap.arenaHolds(start: start, bytes: span.pointee.objectSize) { return }
        let isPushed = kind.rawValue < ObjectKind.typed.rawValue
            ? stack.push(low: start, high: start &+ span.pointee.objectSize)
            : kind == .typed ? pushTypedObject(start: start, size: span.pointee.objectSize)
                             : pushDescribedObject(span: span, index: index)
        if !isPushed {
            span.pointee.hasUnscannedMarks = true
            didOverflow = true
            overflowCount &+= 1
        }
    }

    /// Marks object `index` of `span` as a root (uncollectable objects).
    mutating func markRoot(span: UnsafeMutablePointer<Span>, index: Int) {
        mark(span: span, word: span.objectStart(index).value)
    }

    /// Entries popped but not yet scanned. Marking waits on memory, so each
    /// popped object is prefetched and scanned only after this many others.
    static let prefetchDistance = 8

    /// Scans until the stack is empty and no overflow is pending; in a
    /// parallel session, also until no other marker holds work.
    mutating func drain() {
        if defersTracing { return }
        withUnsafeTemporaryAllocation(of: MarkStack.Entry.self, capacity: Marker.prefetchDistance) { ring in
            withCandidateQueue { marker in
                while true {
                    marker.drainStack(through: ring.baseAddress!)
                    if let pool = marker.pool { marker.finishWithHelpers(pool, ring: ring.baseAddress!) }
                    if !marker.didOverflow { return }
                    marker.didOverflow = false
                    marker.rescanOverflowedSpans()
                }
            }
        }
    }

    /// The collecting thread's end of a drain in a parallel session: takes
    /// what helpers share until the pool is empty and no helper holds work.
    private mutating func finishWithHelpers(_ pool: UnsafeMutablePointer<MarkingPool>,
                                            ring: UnsafeMutablePointer<MarkStack.Entry>) {
        pool.startWaiting()
        while true {
            if pool.take(into: &stack, asHelper: false) {
                pool.stopWaiting()
                drainStack(through: ring)
                pool.startWaiting()
            } else if pool.isQuiet() {
                break
            } else {
                swiftgc_spin_pause()
            }
        }
        pool.stopWaiting()
        if pool.didHelperOverflow {
            pool.clearHelperOverflow()
            didOverflow = true
        }
    }

    /// A slice of concurrent marking: scans at most `entryBudget` entries,
    /// then stops with the rest still on the stack. Returns true when no
    /// work is left (the stack is empty and no overflow rescan is pending).
    /// Never used inside a parallel session.
    ///
    /// Beside the program (`runsBesideProgram`), an overflow is not
    /// recovered here: true then means the stack is empty, and the caller
    /// takes the lock and calls `recoverFromOverflow` if `didOverflow`.
    mutating func drain(entryBudget: Int) -> Bool {
        withUnsafeTemporaryAllocation(of: MarkStack.Entry.self, capacity: Marker.prefetchDistance) { ring in
            withCandidateQueue { marker in
                var budget = entryBudget
                while true {
                    if !marker.drainStack(through: ring.baseAddress!, budget: &budget) { return false }
                    if !marker.didOverflow || marker.runsBesideProgram { return true }
                    marker.didOverflow = false
                    marker.rescanOverflowedSpans()
                }
            }
        }
    }

    /// Overflow recovery for a marker that drains beside the program: the
    /// caller holds the heap lock, so the spans hold still.
    mutating func recoverFromOverflow() {
        while didOverflow {
            didOverflow = false
            rescanOverflowedSpans()
        }
    }

    /// A helper's drain: its own stack only.
    mutating func drainAsHelper() {
        withUnsafeTemporaryAllocation(of: MarkStack.Entry.self, capacity: Marker.prefetchDistance) { ring in
            withCandidateQueue { marker in marker.drainStack(through: ring.baseAddress!) }
        }
    }

    private mutating func drainStack(through ring: UnsafeMutablePointer<MarkStack.Entry>) {
        var unlimited = Int.max
        _ = drainStack(through: ring, budget: &unlimited)
    }

    /// Scans popped entries until the stack is empty (true) or `budget`
    /// entries have been scanned (false: the entries still queued in the
    /// prefetch ring go back on the stack).
    private mutating func drainStack(through ring: UnsafeMutablePointer<MarkStack.Entry>,
                                     budget: inout Int) -> Bool {
        let mask = Marker.prefetchDistance - 1
        var head = 0
        var queued = 0
        while true {
            if budget <= 0 {
                flushCandidates()
                while queued > 0 {
                    let entry = ring[head]
                    head = (head &+ 1) & mask
                    queued &-= 1
                    if !stack.push(low: entry.low, high: entry.high) { scanBounded(entry) }
                }
                return false
            }
            budget &-= 1
            while queued < Marker.prefetchDistance, let entry = stack.pop() {
                swiftgc_prefetch(UnsafeRawPointer(bitPattern: entry.low))
                ring[(head &+ queued) & mask] = entry
                queued &+= 1
            }
            if queued == 0 {
                // The queued candidates may mark objects that need scanning.
                if candidates.pending == 0 { return true }
                flushCandidates()
                continue
            }
            if let pool {
                popsSinceShareCheck &+= 1
                if popsSinceShareCheck & (MarkingPool.shareCheckInterval - 1) == 0 { pool.shareIfWanted(from: &stack) }
            }
            let entry = ring[head]
            head = (head &+ 1) & mask
            queued &-= 1
            if entry.high &- entry.low >= Marker.sparseScanBytes && residency.isOpen {
                scanWrittenPages(entry)
            } else if entry.high &- entry.low > Marker.scanChunkBytes {
                let split = entry.low &+ Marker.scanChunkBytes
                if !stack.push(low: split, high: entry.high) {
                    scanBounded(MarkStack.Entry(low: split, high: entry.high))
                }
                scan(low: entry.low, high: split)
            } else {
                scan(low: entry.low, high: entry.high)
            }
        }
    }

    /// Scans the marked objects of every span flagged by an overflow.
    private mutating func rescanOverflowedSpans() {
        let spans = pageMap
        spans.forEachSpan { span in
            guard span.pointee.hasUnscannedMarks else { return }
            span.pointee.hasUnscannedMarks = false
            for index in 0..<span.pointee.objectCount where span.markBits.isSet(index) {
                pushMarkedObject(span: span, index: index)
            }
            repeat {
                while let entry = stack.pop() { scanBounded(entry) }
                flushCandidates()
            } while stack.count > 0
        }
    }

    /// Queues the contents of marked object `index` of `span` for scanning
    /// again (overflow recovery, dirty-page rescans); when the stack is
    /// full, scans it at once (its children may overflow again).
    mutating func pushMarkedObject(span: UnsafeMutablePointer<Span>, index: Int) {
        let start = span.objectStart(index).value
        switch span.pointee.kind {
        case .atomic:
            return
        case .described:
            _ = pushDescribedObject(span: span, index: index)
        case .typed:
            if !pushTypedObject(start: start, size: span.pointee.objectSize) {
                scanTypedObject(start: start, size: span.pointee.objectSize)
            }
        default:
            if !stack.push(low: start, high: start &+ span.pointee.objectSize) {
                scanBounded(MarkStack.Entry(low: start, high: start &+ span.pointee.objectSize))
            }
        }
    }

    /// Scans the pages of one window of a big object that may hold data
    /// and leaves the rest of the object on the stack (or, if it is full,
    /// scans the written pages of the rest too).
    private mutating func scanWrittenPages(_ entry: MarkStack.Entry) {
        let residency = self.residency
        var scanHigh = min(entry.high, residency.windowEnd(from: entry.low))
        if scanHigh < entry.high && !stack.push(low: scanHigh, high: entry.high) { scanHigh = entry.high }
        residency.forEachWrittenRun(low: entry.low, high: scanHigh) { low, high in
            scanBounded(MarkStack.Entry(low: low, high: high))
        }
    }

    mutating func scanBounded(_ entry: MarkStack.Entry) {
        var low = entry.low
        while low < entry.high {
            let high = min(entry.high, low &+ Marker.scanChunkBytes)
            scan(low: low, high: high)
            low = high
        }
    }
}
