import _CSwiftGC

/// Where a root comes from; passed to every `RootVisitor` call, so that a
/// visitor can treat objects apart from ranges and name the source of a
/// failed check.
enum RootSource: UInt32 {
    /// `[low, high)` is an uncollectable object: a root as a whole, so the
    /// object itself is marked (its words are scanned once it is).
    case uncollectableObject = 0
    /// A range registered with gc_add_roots.
    case addedRange = 1
    /// A data segment, or in the preload library an anonymous mapping,
    /// less the collector's region and the dead parts of other threads'
    /// stacks.
    case mapping = 2
    /// The collecting thread's registers and stack, above the collector's
    /// own frames.
    case collectingThread = 3
    /// Another thread's stack and saved registers, any thread's
    /// thread-local storage, a starting thread's argument or a finished
    /// thread's result.
    case thread = 4
    /// A range the program pushed from bdwgc's push-other-roots callback
    /// (`GC_push_all`), for example a coroutine's stack.
    case pushedByProgram = 5
    /// The used part of a scanned chunk of a user arena (gc_arena_malloc).
    case userArena = 6
}

/// Receives one root `[low, high)`, its `RootSource` raw value and the
/// caller's context. A C function pointer: visiting allocates nothing.
typealias RootVisitor = @convention(c) (_ low: UInt, _ high: UInt, _ source: UInt32,
                                        _ context: UnsafeMutableRawPointer?) -> Void

/// The roots of one collection, and the only list of them: the cycle marks
/// from it and the heap verifier checks it, so the two cannot drift apart.
///
/// In order:
///  1. the live objects of uncollectable spans;
///  1a. the used parts of the scanned chunks of every user arena (but
///     `excludedUserArena`, which gc_arena_check leaves out);
///  2. the gc_add_roots ranges;
///  3. data segments from /proc/self/maps (with `anonymousMappingsAreRoots`,
///     every anonymous private writable mapping too, but
///     `pointerFreeMapping`), minus the collector's region and the unused
///     parts of other threads' stacks;
///  4. the collecting thread's stack from `stackLow` (below it: the
///     collector's frames; its registers are saved above it) to its base;
///  5. other threads' stacks from their saved stack pointers, the TLS of
///     every thread, start arguments and unjoined results
///     (`ThreadRegistry.forEachRootRange`);
///  6. what bdwgc's push-other-roots callback pushes.
///
/// The world is stopped and the heap lock held for the whole visit.
struct RootEnumeration {
    let state: UnsafeMutablePointer<CollectorState>
    /// The collecting thread's record (its stack is item 4, not 5).
    let collectingThread: UnsafeMutablePointer<ThreadRecord>?
    let stackLow: UInt
    let stackHigh: UInt
    /// Whether anonymous mappings are roots, and the one that never is
    /// (`CollectionPolicy`).
    var anonymousMappingsAreRoots = false
    var pointerFreeMapping: (start: UInt, end: UInt) = (0, 0)
    /// The user arena gc_arena_check traces without (nil in collections).
    var excludedUserArena: UnsafeMutablePointer<UserArena>? = nil

    struct Result {
        /// False when /proc/self/maps could not be read: some roots are
        /// unknown, so nothing may be freed.
        var hasAllRoots: Bool
        /// Bytes of the mappings visited (item 3), for pacing and statistics.
        var mappingBytes: UInt
    }

    /// Calls `visit` with every root, in the order of the type's
    /// documentation.
    func forEachRoot(context: UnsafeMutableRawPointer, _ visit: RootVisitor) -> Result {
        visitUncollectableObjects(context, visit)
        visitUserArenas(context, visit)
        for index in 0..<state.pointee.roots.count {
            let range = state.pointee.roots.ranges[index]
            // A registered range may have been unmapped or protected since:
            // only its readable pages are roots, and one line says so.
            let unreadableBytes = ReadableMemory.forEachReadableRun(low: range.low.value, high: range.high.value) {
                low, high in
                visit(low, high, RootSource.addedRange.rawValue, context)
            }
            state.pointee.roots.noteUnreadableBytes(unreadableBytes, inRangeAt: index)
        }
        var mappingBytes: UInt = 0
        let hasAllRoots = DataSegments.forEach(buffer: state.pointee.mapsBuffer, capacity: state.pointee.mapsBufferCapacity,
                                               anonymousMappingsBelow: anonymousMappingsAreRoots ? Address(stackLow) : nil,
                                               pointerFreeMapping: pointerFreeMapping) {
            low, high in
            mappingBytes &+= visitExcludingCollector(low: low.value, high: high.value, context, visit)
        }
        visit(stackLow, stackHigh, RootSource.collectingThread.rawValue, context)
        visitThreads(context, visit)
        visitPushedByProgram(context, visit)
        return Result(hasAllRoots: hasAllRoots, mappingBytes: mappingBytes)
    }

    private func visitUncollectableObjects(_ context: UnsafeMutableRawPointer, _ visit: RootVisitor) {
        guard state.pointee.heap.pages.uncollectableSpanCount > 0 else { return }
        state.pointee.heap.pageMap.forEachSpan { span in
            guard span.pointee.state != .free, span.pointee.kind == .uncollectable else { return }
            for index in 0..<span.pointee.objectCount where span.liveBits.isSet(index) {
                let start = span.objectStart(index).value
                visit(start, start &+ span.pointee.objectSize, RootSource.uncollectableObject.rawValue, context)
            }
        }
    }

    /// Arena chunks lie in the heap part of the region, which item 3 skips:
    /// they are listed here, each from its arena. Concurrent marking sees
    /// writes to them through the dirty pages of the heap (DirtyPageRescan)
    /// and scans them whole again in its final pause, as every root.
    private func visitUserArenas(_ context: UnsafeMutableRawPointer, _ visit: RootVisitor) {
        state.pointee.heap.forEachUserArena { arena in
            guard arena != excludedUserArena else { return }
            arena.forEachScannedRange { low, high in visit(low, high, RootSource.userArena.rawValue, context) }
        }
    }

    /// Visits `[low, high)` but for the collector's region and the unused
    /// parts of other threads' stacks (the preload scans whole anonymous
    /// mappings, and thread stacks are such mappings: their dead frames
    /// would cost a scan of megabytes and retain stale pointers). Returns
    /// the bytes visited.
    private func visitExcludingCollector(low: UInt, high: UInt, _ context: UnsafeMutableRawPointer,
                                         _ visit: RootVisitor) -> UInt {
        let region = state.pointee.region
        let threads = state.pointee.threads
        var visitedBytes: UInt = 0
        var cursor = low
        while cursor < high {
            var skipped = threads.unusedStackPart(overlapping: cursor, high, except: collectingThread)
            if region.start.value < high && cursor < region.end.value
                && (skipped == nil || region.start.value < skipped!.low) {
                skipped = (region.start.value, region.end.value)
            }
            guard let (skipLow, skipHigh) = skipped else {
                visit(cursor, high, RootSource.mapping.rawValue, context)
                visitedBytes &+= high &- cursor
                break
            }
            if cursor < skipLow {
                visit(cursor, skipLow, RootSource.mapping.rawValue, context)
                visitedBytes &+= skipLow &- cursor
            }
            cursor = max(cursor, skipHigh)
        }
        return visitedBytes
    }

    /// The caller's visitor, as the context of a thread-range visitor.
    private struct Forwarding {
        let visit: RootVisitor
        let context: UnsafeMutableRawPointer
    }

    /// Every range `ThreadRegistry.forEachRootRange` lists.
    private func visitThreads(_ context: UnsafeMutableRawPointer, _ visit: RootVisitor) {
        var forwarding = Forwarding(visit: visit, context: context)
        withUnsafeMutablePointer(to: &forwarding) { pointer in
            state.pointee.threads.forEachRootRange(except: collectingThread, context: UnsafeMutableRawPointer(pointer)) {
                low, high, context in
                let forwarding = context.unsafelyUnwrapped.assumingMemoryBound(to: Forwarding.self).pointee
                forwarding.visit(UInt(bitPattern: low), UInt(bitPattern: high), RootSource.thread.rawValue,
                                 forwarding.context)
            }
        }
    }

    /// Calls the bdwgc layer's hook (a no-op without it), which calls the
    /// push-other-roots callback and then counts this collection in
    /// GC_gc_no. While it runs, the visitor is published in
    /// `CollectorState.pushedRootVisitor` for `pushRootRange`.
    private func visitPushedByProgram(_ context: UnsafeMutableRawPointer, _ visit: RootVisitor) {
        state.pointee.pushedRootVisitor = PushedRootVisitor(visit: visit, context: context)
        swiftgc_push_other_roots(state.pointee.statistics.collections)
        state.pointee.pushedRootVisitor = nil
    }

    /// GC_push_all: visits [low, high), rounded inwards to words, if a
    /// root enumeration is asking for pushed roots right now; otherwise
    /// does nothing. Called with the world stopped and the heap lock held,
    /// from the program's push-other-roots callback.
    static func pushRootRange(low: UInt, high: UInt) {
        guard let state = collectorState, let pushed = state.pointee.pushedRootVisitor else { return }
        let start = (low &+ 7) & ~7
        let end = high & ~7
        guard start < end, low <= start else { return }
        pushed.visit(start, end, RootSource.pushedByProgram.rawValue, pushed.context)
    }
}

/// The visitor of the root enumeration in progress, while the program's
/// push-other-roots callback runs.
struct PushedRootVisitor {
    let visit: RootVisitor
    let context: UnsafeMutableRawPointer
}
