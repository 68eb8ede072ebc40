import Testing
import SwiftGC

/// Finalizer closures and weak references. Objects are created in
/// non-inlined functions so no live frame holds them; a few may still be
/// kept by stray stack words, so counts allow some slack.
@Suite(.serialized)
struct FinalizationTests {
    @Test func finalizerClosuresRunOnceWithTheirObject() {
        let counter = Counter()
        makeFinalizable(count: 100, counter: counter)
        for _ in 0..<3 { collectWithCleanStack() }
        #expect(counter.value >= 80, "at least 80 of 100 unreachable objects should be finalized, \(counter.value) were")
        #expect(counter.maximumRunsPerObject == 1, "each closure should run once")
        #expect(counter.objectsMatched, "each closure should receive the object it was added to")
    }

    @Test func severalFinalizersOnOneObjectAllRunInOrder() {
        let counter = Counter()
        makeDoublyFinalizable(count: 50, counter: counter)
        for _ in 0..<3 { collectWithCleanStack() }
        #expect(counter.value >= 80, "at least 40 of 50 objects should run both finalizers, \(counter.value) ran")
        #expect(counter.outOfOrder == 0, "the first finalizer added should run first")
    }

    @Test func onDemandFinalizersWaitForRunFinalizers() {
        let counter = Counter()
        GC.finalizeOnDemand = true
        makeFinalizable(count: 50, counter: counter)
        collectWithCleanStack()
        let before = counter.value
        let ran = GC.runFinalizers()
        GC.finalizeOnDemand = false
        #expect(before == 0, "nothing should run before runFinalizers in on-demand mode")
        // `ran` may also count finalizers left pending by earlier tests
        // (objects that stray words had kept alive until now).
        #expect(counter.value >= 40 && counter.value <= ran,
                "runFinalizers should run the pending finalizers: \(counter.value) of this test's ran, \(ran) in all")
    }

    @Test func weakReferencesClearOnlyWhenTheTargetDies() {
        let kept = GC.allocate(byteCount: 64)
        let strong = GC.WeakReference(kept)
        let weak = makeWeakReferences(count: 100)
        for _ in 0..<3 { collectWithCleanStack() }
        #expect(strong.target == kept, "a reference to a reachable object should stay set")
        let cleared = weak.filter { $0.target == nil }.count
        #expect(cleared >= 80, "at least 80 of 100 references to unreachable objects should clear, \(cleared) did")
        let wrong = weak.filter { $0.target != nil && GC.base(of: $0.target!) == nil }.count
        #expect(wrong == 0, "a reference should never point to a reclaimed object")
        withExtendedLifetime(kept) {}
    }
}

final class Counter: @unchecked Sendable {
    var value = 0
    var runs: [Int: Int] = [:]
    var objectsMatched = true
    var outOfOrder = 0
    var maximumRunsPerObject: Int { runs.values.max() ?? 0 }
}

@inline(never) func makeFinalizable(count: Int, counter: Counter) {
    for index in 0..<count {
        let object = GC.allocate(byteCount: 32)
        object.storeBytes(of: index, as: Int.self)
        let address = UInt(bitPattern: object)
        GC.addFinalizer(to: object) { finalized in
            counter.value += 1
            counter.runs[index, default: 0] += 1
            if UInt(bitPattern: finalized) != address || finalized.load(as: Int.self) != index {
                counter.objectsMatched = false
            }
        }
    }
}

@inline(never) func makeDoublyFinalizable(count: Int, counter: Counter) {
    for index in 0..<count {
        let object = GC.allocate(byteCount: 32)
        var firstRan = false
        GC.addFinalizer(to: object) { _ in
            firstRan = true
            counter.value += 1
        }
        GC.addFinalizer(to: object) { _ in
            if !firstRan { counter.outOfOrder += 1 }
            counter.value += 1
            _ = index
        }
    }
}

@inline(never) func makeWeakReferences(count: Int) -> [GC.WeakReference] {
    (0..<count).map { _ in GC.WeakReference(GC.allocate(byteCount: 48)) }
}

@inline(never) func scrubStack() {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64 * 1024) { buffer in
        buffer.initialize(repeating: 0)
    }
}

@inline(never) func collectWithCleanStack() {
    scrubStack()
    GC.collect()
}

