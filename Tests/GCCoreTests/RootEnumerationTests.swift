import Testing
import _CSwiftGC
@testable import GCCore

/// The root enumeration is the only list of roots: marking and the heap
/// verifier both visit it. Each case runs in its own process, where the
/// calling thread is the only registered one, so no other thread's stack
/// needs stopping while the list is walked.
struct RootEnumerationTests {
    /// A word in the test binary's data segment, which the list must cover.
    nonisolated(unsafe) static var dataSegmentWord: UInt = 1

    @Test func listsEveryKindOfRootOnceInOrder() async {
        await #expect(processExitsWith: .success, "the child passes every check (a precondition names the one that failed)") {
            let object = Allocation.allocate(byteCount: 48, kind: .uncollectable)!
            let range = UnsafeMutablePointer<UInt>.allocate(capacity: 4)
            Control.addRoots(low: Address(UInt(bitPattern: range)), high: Address(UInt(bitPattern: range + 4)))
            let state = CollectorState.shared()!
            state.lock()
            let current = state.pointee.threads.registerCurrentThread(heap: &state.pointee.heap)
            var stackWord: UInt = 0
            let stackLow = withUnsafeMutablePointer(to: &stackWord) { UInt(bitPattern: $0) }
            let stackHigh = UInt(bitPattern: swiftgc_current_stack_base())
            let roots = RootEnumeration(state: state, collectingThread: current, stackLow: stackLow, stackHigh: stackHigh)
            var visited = VisitedRoots()
            let result = withUnsafeMutablePointer(to: &visited) { pointer in
                roots.forEachRoot(context: UnsafeMutableRawPointer(pointer)) { low, high, source, context in
                    context.unsafelyUnwrapped.assumingMemoryBound(to: VisitedRoots.self).pointee
                        .ranges.append((low, high, source))
                }
            }
            state.unlock()

            let sources = visited.ranges.map { $0.source }
            precondition(sources == sources.sorted(), "roots are listed in the documented order, got \(sources)")
            let objectStart = UInt(bitPattern: object)
            // Slots a cache has reserved in the same span are listed too (marking them is harmless).
            precondition(visited.ranges.filter { $0.low == objectStart }.map { $0.source }
                            == [RootSource.uncollectableObject.rawValue],
                         "the uncollectable object is listed once, as an object")
            precondition(visited.ranges.contains { $0.source == RootSource.addedRange.rawValue
                                                   && $0.low == UInt(bitPattern: range)
                                                   && $0.high == UInt(bitPattern: range + 4) },
                         "the gc_add_roots range is listed as registered")
            let global = withUnsafeMutablePointer(to: &RootEnumerationTests.dataSegmentWord) { UInt(bitPattern: $0) }
            precondition(visited.ranges.contains { $0.source == RootSource.mapping.rawValue
                                                   && $0.low <= global && global < $0.high },
                         "a data segment holding the test binary's globals is listed")
            let region = state.pointee.region
            precondition(!visited.ranges.contains { $0.source == RootSource.mapping.rawValue
                                                    && $0.low < region.end.value && region.start.value < $0.high },
                         "no mapping overlaps the collector's region")
            let mappingBytes = visited.ranges.filter { $0.source == RootSource.mapping.rawValue }
                .reduce(0) { $0 + ($1.high - $1.low) }
            precondition(result.hasAllRoots && result.mappingBytes == mappingBytes,
                         "every root is found, and the mapping bytes add up (\(result.mappingBytes) vs \(mappingBytes))")
            precondition(visited.ranges.filter { $0.source == RootSource.collectingThread.rawValue }
                            .map { [$0.low, $0.high] } == [[stackLow, stackHigh]],
                         "the collecting thread's stack is listed once, from the bound it was given")
            precondition(visited.count(RootSource.thread) > 0, "the collecting thread's TLS is listed among thread roots")
        }
    }
}

/// What a visit saw, in order.
struct VisitedRoots {
    var ranges: [(low: UInt, high: UInt, source: UInt32)] = []

    func count(_ source: RootSource) -> Int { ranges.filter { $0.source == source.rawValue }.count }
}
