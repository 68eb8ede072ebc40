import _CSwiftGC

/// What leak-check mode keeps, at the start of its own reservation:
///
///     [ guard page | LeakCheckState (one page) | stack depot | block stacks | guard page ]
///
/// The block-stack table has one UInt32 for each 16-byte granule of the
/// arena; the entry of a block's first granule holds its stack id in the low
/// 30 bits and the two flags below. The memory is reserved without swap and
/// touched only where blocks are, so it costs a quarter of the heap in use.
/// The guard pages keep the reservation a mapping of its own, which the
/// root scan leaves out (`CollectionPolicy.pointerFreeMapping`): it holds no pointers.
struct LeakCheckState {
    /// Serialises reports. The first stored property, at offset 0.
    var reportLock = HeapLock()
    /// The depot's next record id, at offset 4 (updated atomically).
    var nextStackIdentifier: UInt32 = 0
    var depot: StackDepot
    let blockStacks: UnsafeMutablePointer<UInt32>
    let arenaStart: UInt
    let arenaBytes: UInt
    let reservationStart: UInt
    let reservationEnd: UInt
    /// A report was asked for: the next collection classifies blocks.
    var isReportRequested = false
    /// Some report of this run found leaks (decides the exit status).
    var hasFoundLeaks = false
    /// Totals of the report being made.
    var reachableObjects: UInt64 = 0
    var reachableBytes: UInt64 = 0
    var leakedObjects: UInt64 = 0
    var leakedBytes: UInt64 = 0
    var previouslyReportedObjects: UInt64 = 0
    /// Marking stopped short (no /proc/self/maps): nothing can be classified.
    var isIncomplete = false
    /// stderr as it was at start-up, for when the program has closed fd 2.
    var savedStandardError: Int32 = -1
    /// Where the report being printed goes: stderr, or the saved copy once
    /// the program has closed fd 2. Set by `LeakReport.print`.
    var reportDescriptor: Int32 = 2
}

/// SWIFTGC_MODE=leak-check: every allocation records its stack; a report
/// (at exit, or at gc_collect) marks from the roots as a collection does,
/// sweeps nothing, and tallies the allocated blocks marking did not reach,
/// by stack, as direct leaks (nothing leaked points to them either) or
/// indirect leaks (only other leaked blocks point to them).
enum LeakCheck {
    static let stackIdentifierMask: UInt32 = (1 << 30) - 1
    /// The block is unreachable in the report being made.
    static let isLeakedFlag: UInt32 = 1 << 30
    /// The block was reported by an earlier report of this run.
    static let isReportedFlag: UInt32 = 1 << 31
    static let depotCapacity: UInt32 = 1 << 20

    /// Reserves the tables and registers the report at exit. Called once
    /// from MallocFamily.configure, before the state is published.
    static func start(_ state: UnsafeMutablePointer<CollectorState>) {
        let pageSize = OS.systemPageSize
        let arenaStart = state.pointee.region.arenaStart.value
        let arenaBytes = state.pointee.region.arenaBytes
        let depotBytes = roundUp(StackDepot.reservationBytes(recordCapacity: depotCapacity), toMultipleOf: pageSize)
        let tableBytes = roundUp(arenaBytes / SizeClass.granule * 4, toMultipleOf: pageSize)
        let totalBytes = pageSize * 3 + depotBytes + tableBytes
        guard let reservation = OS.reserve(bytes: totalBytes).map({ Address($0) }) else {
            reportLine { $0.append("leak-check: cannot reserve address space for allocation stacks; no leak report") }
            return
        }
        OS.makeInaccessible(reservation.pointer!, bytes: pageSize)
        OS.makeInaccessible((reservation + (totalBytes - pageSize)).pointer!, bytes: pageSize)
        let check = (reservation + pageSize).pointer!.bindMemory(to: LeakCheckState.self, capacity: 1)
        let counter = (reservation + pageSize + 4).pointer!.assumingMemoryBound(to: UInt32.self)
        let depotMemory = (reservation + pageSize * 2).pointer!
        let table = (reservation + pageSize * 2 + depotBytes).pointer!.bindMemory(to: UInt32.self, capacity: 1)
        let depot = StackDepot(memory: depotMemory, recordCapacity: depotCapacity, nextIdentifier: counter)
        check.initialize(to: LeakCheckState(
            nextStackIdentifier: 1, depot: depot, blockStacks: table, arenaStart: arenaStart, arenaBytes: arenaBytes,
            reservationStart: reservation.value, reservationEnd: reservation.value + totalBytes))
        check.pointee.savedStandardError = OS.duplicateStandardError()
        leakCheckState = check
        // Its tables hold stack ids, never pointers: not a root.
        state.pointee.policy.pointerFreeMapping = (reservation.value, reservation.value + totalBytes)
        OS.atExit { LeakCheck.reportAtExit() }
    }

    // MARK: Recording

    /// Records the calling thread's stack as the allocation stack of
    /// `object`, a block just handed out (bootstrap blocks are ignored).
    @inline(never) static func recordAllocation(_ object: UnsafeMutableRawPointer?) {
        guard let object, let check = leakCheckState else { return }
        let offset = UInt(bitPattern: object) &- check.pointee.arenaStart
        guard offset < check.pointee.arenaBytes else { return }
        let identifier = check.pointee.depot.identifyCurrentStack()
        check.pointee.blockStacks[Int(offset / SizeClass.granule)] = identifier
    }

    // MARK: Reports

    static func reportAtExit() {
        let foundLeaks = report(isAtExit: true)
        guard foundLeaks, let state = collectorState else { return }
        let status = state.pointee.options[.leakExitCode]
        if status != 0 { OS.flushAndExit(status: Int32(truncatingIfNeeded: status)) }
    }

    /// gc_collect in leak-check mode: reports the leaks no earlier report named.
    static func reportNewLeaks() { _ = report(isAtExit: false) }

    /// Classifies the heap and prints the leaks not reported before. Returns
    /// whether any report of this run found leaks.
    @discardableResult
    static func report(isAtExit: Bool) -> Bool {
        guard let check = leakCheckState, let state = CollectorState.shared() else { return false }
        let reportLock = UnsafeMutableRawPointer(check).assumingMemoryBound(to: HeapLock.self)
        reportLock.lock()
        state.lock()
        check.pointee.isReportRequested = true
        state.collect()
        check.pointee.isReportRequested = false
        state.unlock()
        // Printing runs with the heap unlocked and the threads running:
        // dladdr takes the dynamic loader's lock, which a thread may hold
        // while it waits for the heap lock in malloc.
        LeakReport.print(check, isAtExit: isAtExit)
        let foundLeaks = check.pointee.hasFoundLeaks
        reportLock.unlock()
        return foundLeaks
    }

    /// Whether the collection about to run is a leak report rather than a
    /// collection (which leak-check mode never does).
    static var isReportRequested: Bool { leakCheckState?.pointee.isReportRequested ?? false }

    /// The policy's `afterMarking` hook, with the world stopped, the heap
    /// locked and the cycle's marker done marking from every root: tallies
    /// unreachable blocks into the depot's records. The cycle then clears
    /// the marks; nothing is swept.
    static func classify(_ cycle: UnsafeMutablePointer<CollectionCycle>) {
        guard let check = leakCheckState else { return }
        let state = cycle.pointee.state
        let hasAllRoots = cycle.pointee.hasAllRoots
        check.pointee.reachableObjects = 0
        check.pointee.reachableBytes = 0
        check.pointee.leakedObjects = 0
        check.pointee.leakedBytes = 0
        check.pointee.previouslyReportedObjects = 0
        check.pointee.isIncomplete = !hasAllRoots
        if hasAllRoots {
            flagUnreachableBlocks(state, check)
            markFromLeakedBlocks(state, check, &cycle.pointee.marker)
            tallyLeakedBlocks(state, check)
        }
    }

    /// Calls `body(span, index, start, bytes)` for every allocated block.
    @inline(__always) private static func forEachAllocatedBlock(
        _ state: UnsafeMutablePointer<CollectorState>,
        _ body: (UnsafeMutablePointer<Span>, Int, UInt, UInt) -> Void
    ) {
        state.pointee.heap.pageMap.forEachSpan { span in
            switch span.pointee.state {
            case .free, .userArena:
                return
            case .large:
                guard span.liveBits.isSet(0) else { return }
                body(span, 0, span.pointee.start.value, span.pointee.objectSize - span.pointee.userOffset)
            case .small:
                for index in 0..<span.pointee.objectCount where span.isAllocated(index) {
                    body(span, index, span.objectStart(index).value, span.pointee.objectSize)
                }
            }
        }
    }

    @inline(__always) private static func entry(_ check: UnsafeMutablePointer<LeakCheckState>,
                                                start: UInt) -> UnsafeMutablePointer<UInt32> {
        check.pointee.blockStacks + Int((start &- check.pointee.arenaStart) / SizeClass.granule)
    }

    /// Pass 1: counts marked blocks as reachable and flags the others.
    private static func flagUnreachableBlocks(_ state: UnsafeMutablePointer<CollectorState>,
                                              _ check: UnsafeMutablePointer<LeakCheckState>) {
        forEachAllocatedBlock(state) { span, index, start, bytes in
            if span.markBits.isSet(index) {
                check.pointee.reachableObjects += 1
                check.pointee.reachableBytes += UInt64(bytes)
            } else {
                entry(check, start: start).pointee |= isLeakedFlag
            }
        }
    }

    /// Pass 2: marks what each leaked block reaches, without marking the
    /// block through its own pointers. A leaked block still unmarked after
    /// this pass is a direct leak; a marked one is indirect. In a cycle of
    /// leaked blocks the first one visited stays direct.
    private static func markFromLeakedBlocks(_ state: UnsafeMutablePointer<CollectorState>,
                                             _ check: UnsafeMutablePointer<LeakCheckState>,
                                             _ marker: inout Marker) {
        forEachAllocatedBlock(state) { span, index, start, bytes in
            guard entry(check, start: start).pointee & isLeakedFlag != 0, !span.markBits.isSet(index),
                  span.pointee.kind != .atomic else { return }
            span.markBits.set(index)
            let contentStart = span.pointee.state == .large ? start + span.pointee.userOffset : start
            marker.scan(low: contentStart, high: contentStart + bytes)
            marker.drain()
            span.markBits.clear(index)
        }
    }

    /// Pass 3: adds each leaked block not reported before to its stack's
    /// record, and flags it reported.
    private static func tallyLeakedBlocks(_ state: UnsafeMutablePointer<CollectorState>,
                                          _ check: UnsafeMutablePointer<LeakCheckState>) {
        let depot = check.pointee.depot
        forEachAllocatedBlock(state) { span, index, start, bytes in
            let stackEntry = entry(check, start: start)
            let value = stackEntry.pointee
            guard value & isLeakedFlag != 0 else { return }
            stackEntry.pointee = (value & ~isLeakedFlag) | isReportedFlag
            if value & isReportedFlag != 0 {
                check.pointee.previouslyReportedObjects += 1
                return
            }
            check.pointee.leakedObjects += 1
            check.pointee.leakedBytes += UInt64(bytes)
            let identifier = value & stackIdentifierMask
            let record = depot.record(identifier < depot.recordCapacity ? identifier : 0)
            if span.markBits.isSet(index) {
                record.pointee.indirectObjects += 1
                record.pointee.indirectBytes += UInt64(bytes)
            } else {
                record.pointee.directObjects += 1
                record.pointee.directBytes += UInt64(bytes)
            }
        }
        if check.pointee.leakedObjects > 0 { check.pointee.hasFoundLeaks = true }
    }
}
