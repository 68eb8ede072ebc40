import _CSwiftGC

/// Parallel marking: threads of the collector's own help the collecting
/// thread drain its mark stack while the world is stopped.
///
/// A *session* spans the marking of one collection. Between sessions the
/// helpers sleep on a futex. During one, each marker (the collecting thread
/// and every helper) drains a mark stack of its own; work moves between
/// them only through the *pool*, a short array of entries under a spin
/// lock. A marker with at least two entries gives the older half of its
/// stack to the pool when the pool is empty and another marker is waiting.
///
/// Only the collecting thread decides that marking is finished: each of its
/// `drain` calls returns once its own stack and the pool are empty and no
/// helper holds work. A helper takes work from the pool and counts itself
/// busy in the same locked step, and uncounts itself only with an empty
/// stack, so the check cannot miss work in flight. Mark bits are set with
/// an atomic OR while a session is open. A helper's mark stack overflows
/// like the collecting thread's (the span is flagged); the collecting
/// thread learns of it at the end of the drain and rescans alone.
///
/// Helpers are started with the next library's `pthread_create` (never
/// registered, so never stopped), every signal blocked, on stacks in the
/// collector's metadata. Never during a collection: pthread_create takes
/// glibc's locks and mallocs, and a stopped thread may hold them. A
/// collection that wanted helpers it does not have notes how many, and the
/// next allocation slow path starts them once it has released the heap
/// lock; after fork, the child starts its own. No session opens while bdwgc
/// mark procedures or kinds of the program's exist: their code was not
/// written to run on several threads at once.
struct MarkingPool {
    static let capacity = 4096
    static let maximumHelpers = 7
    /// Mark stack entries per helper, taken from the end of the region's
    /// mark stack area (4 MiB each).
    static let helperStackEntries = 1 << 18
    static let helperStacksBytes = UInt(maximumHelpers * helperStackEntries * MemoryLayout<MarkStack.Entry>.stride)
    static let helperThreadStackBytes: UInt = 256 << 10
    /// Pops between two looks at whether another marker waits for work.
    static let shareCheckInterval = 16

    /// 0 = free, 1 = held.
    var lock: UInt32 = 0
    var count: UInt64 = 0
    let entries: UnsafeMutablePointer<MarkStack.Entry>
    /// Helpers holding work taken from the pool (under the lock).
    var busyHelpers: UInt64 = 0
    /// Markers looking for work; read without the lock as a hint.
    var waitingMarkers: UInt64 = 0
    /// Odd while a session is open; helpers sleep on it in between.
    var session: UInt32 = 0
    /// Set by a helper whose stack overflowed during the session.
    var helperOverflowed: UInt32 = 0
    /// What a helper's marker needs; set when a session opens.
    var pageMap: PageMap
    var pagemapDescriptor: Int32 = -1
    /// Helpers started in process `helpersProcess` (0: none yet); the
    /// count only grows within a process.
    var helperCount: UInt64 = 0
    var helpersProcess: UInt64 = 0
    /// Helpers a collection wanted; the next allocation slow path starts them.
    var helpersWanted: UInt64 = 0
    /// The process whose thread is starting helpers, or 0.
    var starter: UInt64 = 0
    /// One record per possible helper, set up at initialisation.
    let helpers: UnsafeMutablePointer<MarkingHelper>
    /// Entries handed between markers, for SWIFTGC_STATS.
    var sharedEntries: UInt64 = 0
}

/// One helper's own memory.
struct MarkingHelper {
    var pool: UnsafeMutablePointer<MarkingPool>
    var stackEntries: UnsafeMutablePointer<MarkStack.Entry>
    var stackCapacity: Int
    var pagemapBuffer: UnsafeMutablePointer<UInt64>
    var threadStack: UnsafeMutableRawPointer
}

extension UnsafeMutablePointer where Pointee == MarkingPool {
    /// A pool and every helper's memory, in metadata: the records, page
    /// map buffers and thread stacks (only touched pages cost memory). The
    /// helpers' mark stacks are the end of the region's mark stack area.
    static func make(metadata: inout Metadata, region: Region, pageMap: PageMap,
                     markStackLimit: UInt64) -> UnsafeMutablePointer<MarkingPool>? {
        guard let entries = metadata.allocate(bytes: UInt(MarkingPool.capacity * MemoryLayout<MarkStack.Entry>.stride)),
              let records = metadata.allocate(bytes: UInt(MarkingPool.maximumHelpers * MemoryLayout<MarkingHelper>.stride)),
              let memory = metadata.allocate(bytes: UInt(MemoryLayout<MarkingPool>.stride)) else { return nil }
        let pool = memory.bindMemory(to: MarkingPool.self, capacity: 1)
        let helpers = records.bindMemory(to: MarkingHelper.self, capacity: MarkingPool.maximumHelpers)
        var capacity = MarkingPool.helperStackEntries
        if markStackLimit > 0 { capacity = Swift.min(capacity, Swift.max(4, Int(clamping: markStackLimit))) }
        let stackBytes = UInt(MarkingPool.helperStackEntries * MemoryLayout<MarkStack.Entry>.stride)
        for index in 0..<MarkingPool.maximumHelpers {
            guard let buffer = metadata.allocate(bytes: UInt(PageResidency.bufferBytes)),
                  let threadStack = metadata.allocate(bytes: MarkingPool.helperThreadStackBytes, alignment: 4096)
            else { return nil }
            let stackStart = region.markStackStart + region.markStackBytes - UInt(index &+ 1) &* stackBytes
            (helpers + index).initialize(to: MarkingHelper(
                pool: pool, stackEntries: stackStart.pointer!.bindMemory(to: MarkStack.Entry.self, capacity: capacity),
                stackCapacity: capacity,
                pagemapBuffer: buffer.bindMemory(to: UInt64.self, capacity: Int(PageResidency.windowPages)),
                threadStack: threadStack))
        }
        pool.initialize(to: MarkingPool(
            entries: entries.bindMemory(to: MarkStack.Entry.self, capacity: MarkingPool.capacity),
            pageMap: pageMap, helpers: helpers))
        return pool
    }

    // MARK: Helpers (any thread, no lock held)

    /// Helpers running in this process.
    var runningHelpers: Int {
        let process = UInt64(OS.processIdentifier)
        guard load(&pointee.helpersProcess) == process else { return 0 }
        return Int(load(&pointee.helperCount))
    }

    /// Starts the helpers a collection asked for. Called by allocation slow
    /// paths after they release the heap lock; one thread at a time.
    func startWantedHelpers() {
        let process = UInt64(OS.processIdentifier)
        let starter = load(&pointee.starter)
        // A starter of another process is the parent's, caught by fork.
        guard starter != process,
              withUnsafeMutablePointer(to: &pointee.starter, {
                  Atomics.compareExchange(acquiringAndReleasing: $0, expected: starter, desired: process) }) else { return }
        defer { withUnsafeMutablePointer(to: &pointee.starter) { Atomics.store(releasing: $0, 0) } }
        if load(&pointee.helpersProcess) != process {
            withUnsafeMutablePointer(to: &pointee.helperCount) { Atomics.store(releasing: $0, 0) }
            withUnsafeMutablePointer(to: &pointee.helpersProcess) { Atomics.store(releasing: $0, process) }
        }
        let wanted = Swift.min(Int(load(&pointee.helpersWanted)), MarkingPool.maximumHelpers)
        withUnsafeMutablePointer(to: &pointee.helpersWanted) { Atomics.store(releasing: $0, 0) }
        var count = Int(load(&pointee.helperCount))
        while count < wanted {
            let helper = pointee.helpers + count
            guard OS.startCollectorThread(markingHelperMain, argument: UnsafeMutableRawPointer(helper),
                                           stack: helper.pointee.threadStack,
                                           stackBytes: Int(MarkingPool.helperThreadStackBytes)) else { break }
            count &+= 1
            withUnsafeMutablePointer(to: &pointee.helperCount) { Atomics.store(releasing: $0, UInt64(count)) }
        }
    }

    var wantsHelpers: Bool { load(&pointee.helpersWanted) != 0 }

    // MARK: Sessions (collecting thread)

    /// Opens a session if helpers are running; otherwise asks for
    /// `markers - 1` of them, to be started after the collection, and
    /// returns false: this collection marks on one thread. The world is
    /// stopped and the heap lock held.
    func openSession(markers: Int, state: UnsafeMutablePointer<CollectorState>,
                     residency: PageResidency) -> Bool {
        let wanted = Swift.min(markers &- 1, MarkingPool.maximumHelpers)
        let running = runningHelpers
        if running < wanted {
            withUnsafeMutablePointer(to: &pointee.helpersWanted) { Atomics.store(releasing: $0, UInt64(wanted)) }
        }
        guard running > 0 else { return false }
        pointee.pageMap = state.pointee.heap.pageMap
        pointee.pagemapDescriptor = residency.descriptor
        pointee.count = 0
        pointee.busyHelpers = 0
        withUnsafeMutablePointer(to: &pointee.helperOverflowed) { Atomics.store(releasing: $0, 0) }
        // Releasing: a helper that reads the session open (acquiring) sees
        // the page map, pagemap descriptor and counts written above.
        let session = withUnsafeMutablePointer(to: &pointee.session) { Atomics.fetchAdd(acquiringAndReleasing: $0, 1) &+ 1 }
        precondition(session & 1 == 1, "marking session opened twice")
        wakeHelpers()
        return true
    }

    /// Closes the session; the helpers go back to sleep. Marking is done:
    /// the last drain left no work anywhere.
    func closeSession() {
        withUnsafeMutablePointer(to: &pointee.session) { _ = Atomics.fetchAdd(acquiringAndReleasing: $0, 1) }
        wakeHelpers()
    }

    private func wakeHelpers() {
        withUnsafeMutablePointer(to: &pointee.session) { OS.futexWake($0, count: Int32.max) }
    }

    // MARK: Work

    /// Moves up to half the pool's entries (at least one) onto `stack`;
    /// a helper counts itself busy in the same step. False if none.
    func take(into stack: inout MarkStack, asHelper: Bool) -> Bool {
        if sharedCount == 0 { return false }
        acquire()
        let available = Int(pointee.count)
        let room = stack.capacity &- stack.count
        let moved = Swift.min((available &+ 1) / 2, room)
        if moved > 0 {
            for index in 0..<moved {
                _ = stack.push(low: pointee.entries[available &- moved &+ index].low,
                               high: pointee.entries[available &- moved &+ index].high)
            }
            setSharedCount(UInt64(available &- moved))
            if asHelper { pointee.busyHelpers &+= 1 }
        }
        release()
        return moved > 0
    }

    /// Gives the older half of `stack` (at most the pool's room) to the pool
    /// if the pool is empty and another marker waits. Called every
    /// `shareCheckInterval` pops.
    @inline(__always) func shareIfWanted(from stack: inout MarkStack) {
        guard stack.count >= 2, waitingCount != 0, sharedCount == 0 else { return }
        share(from: &stack)
    }

    @inline(never) private func share(from stack: inout MarkStack) {
        acquire()
        let moved = Swift.min(stack.count / 2, MarkingPool.capacity &- Int(pointee.count))
        if moved > 0 {
            let base = Int(pointee.count)
            for index in 0..<moved { pointee.entries[base &+ index] = stack.entries[index] }
            // The newest entries fill the hole, so a share costs what it
            // moves, not the stack's depth (a root range can push millions).
            // moved <= count / 2, so they never overlap the hole's source.
            let top = stack.count &- moved
            for index in 0..<moved { stack.entries[index] = stack.entries[top &+ index] }
            stack.count = top
            pointee.sharedEntries &+= UInt64(moved)
            setSharedCount(UInt64(base &+ moved))
        }
        release()
    }

    /// Whether no marker holds work and the pool is empty.
    func isQuiet() -> Bool {
        acquire()
        let quiet = pointee.count == 0 && pointee.busyHelpers == 0
        release()
        return quiet
    }

    /// A helper's stack is empty again.
    func helperIsIdle() {
        acquire()
        pointee.busyHelpers &-= 1
        release()
    }

    func startWaiting() {
        withUnsafeMutablePointer(to: &pointee.waitingMarkers) { _ = Atomics.fetchAdd(acquiringAndReleasing: $0, 1) }
    }

    func stopWaiting() {
        withUnsafeMutablePointer(to: &pointee.waitingMarkers) { _ = Atomics.fetchAdd(acquiringAndReleasing: $0, UInt64.max) }
    }

    // MARK: Words shared without the lock

    var session: UInt32 { withUnsafeMutablePointer(to: &pointee.session) { Atomics.load(acquiring: $0) } }

    func waitForSessionChange(from session: UInt32) {
        withUnsafeMutablePointer(to: &pointee.session) { OS.futexWait($0, expected: session) }
    }

    func clearHelperOverflow() {
        withUnsafeMutablePointer(to: &pointee.helperOverflowed) { Atomics.store(releasing: $0, 0) }
    }

    func noteHelperOverflow() {
        withUnsafeMutablePointer(to: &pointee.helperOverflowed) { Atomics.store(releasing: $0, 1) }
    }

    var didHelperOverflow: Bool {
        withUnsafeMutablePointer(to: &pointee.helperOverflowed) { Atomics.load(acquiring: $0) } != 0
    }

    private func load(_ word: inout UInt64) -> UInt64 {
        withUnsafeMutablePointer(to: &word) { Atomics.load(acquiring: $0) }
    }

    private var sharedCount: UInt64 { withUnsafeMutablePointer(to: &pointee.count) { Atomics.load(acquiring: $0) } }

    private func setSharedCount(_ value: UInt64) {
        withUnsafeMutablePointer(to: &pointee.count) { Atomics.store(releasing: $0, value) }
    }

    private var waitingCount: UInt64 {
        withUnsafeMutablePointer(to: &pointee.waitingMarkers) { Atomics.load(acquiring: $0) }
    }

    private func acquire() {
        withUnsafeMutablePointer(to: &pointee.lock) { lock in
            while !Atomics.compareExchange(acquiring: lock, expected: 0, desired: 1) { swiftgc_spin_pause() }
        }
    }

    private func release() { withUnsafeMutablePointer(to: &pointee.lock) { Atomics.store(releasing: $0, 0) } }
}

/// A helper thread's body: it sleeps between sessions; during one, it takes
/// work from the pool and drains it, sharing in turn when another marker
/// waits, until the collecting thread closes the session.
func markingHelperMain(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let helper = raw.unsafelyUnwrapped.assumingMemoryBound(to: MarkingHelper.self)
    let pool = helper.pointee.pool
    var stack = MarkStack(entries: helper.pointee.stackEntries, capacity: helper.pointee.stackCapacity)
    while true {
        let session = pool.session
        if session & 1 == 0 {
            pool.waitForSessionChange(from: session)
            continue
        }
        var marker = Marker(pageMap: pool.pointee.pageMap, stack: stack)
        marker.pool = pool
        marker.residency = PageResidency(sharing: pool.pointee.pagemapDescriptor, buffer: helper.pointee.pagemapBuffer)
        var idleRounds = 0
        pool.startWaiting()
        while pool.session == session {
            guard pool.take(into: &marker.stack, asHelper: true) else {
                idleRounds &+= 1
                if idleRounds < 256 { swiftgc_spin_pause() } else { OS.yieldProcessor() }
                continue
            }
            pool.stopWaiting()
            marker.drainAsHelper()
            if marker.didOverflow {
                marker.didOverflow = false
                pool.noteHelperOverflow()
            }
            pool.helperIsIdle()
            pool.startWaiting()
            idleRounds = 0
        }
        pool.stopWaiting()
        stack = marker.stack
        stack.release()
    }
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    /// Heaps smaller than this are marked by the collecting thread alone
    /// unless SWIFTGC_MARKERS asks for helpers: waking them costs more than
    /// they save.
    static var parallelMarkingMinimumHeap: UInt { 4 << 20 }

    /// Opens a parallel marking session for `marker` if this collection
    /// should have one. The world is stopped and the lock held.
    func openParallelMarking(_ marker: inout Marker) {
        guard let pool = pointee.markingPool,
              pointee.kinds.kindCount == ObjectKinds.predefinedCount, pointee.kinds.procedureCount == 0 else { return }
        var markers = Int(clamping: pointee.options[.markers])
        if markers == 0 {
            guard pointee.heap.pages.committedBytes >= Self.parallelMarkingMinimumHeap else { return }
            markers = OS.availableProcessors
        }
        markers = Swift.min(markers, MarkingPool.maximumHelpers &+ 1)
        guard markers > 1, pool.openSession(markers: markers, state: self, residency: marker.residency) else { return }
        marker.pool = pool
    }

    /// Ends the session `openParallelMarking` opened, once marking is done.
    func closeParallelMarking(_ marker: inout Marker) {
        guard let pool = marker.pool else { return }
        pool.closeSession()
        marker.pool = nil
    }
}
