import Testing
@testable import GCCore

/// The verifier must stay silent on a correct heap (the C suites run it on
/// every collection under SWIFTGC_VERIFY=1) and must abort on a violation.
/// Each case corrupts the heap on purpose, so each runs in its own process.
struct HeapVerifierTests {
    @Test func markedObjectPointingToMarkedObjectPasses() async {
        await #expect(processExitsWith: .success) {
            let (first, second, span, index) = HeapVerifierTests.linkTwoObjects()
            span.markBits.set(index)
            let (secondSpan, secondIndex) = CollectorState.shared()!.pointee.heap.object(containing: Address(second))!
            secondSpan.markBits.set(secondIndex)
            HeapVerifier(CollectorState.shared()!).requireMarkedTargets(
                low: UInt(bitPattern: first), high: UInt(bitPattern: first) + 64, source: Address(first), "test")
        }
    }

    @Test func markedObjectPointingToUnmarkedObjectAborts() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (first, _, span, index) = HeapVerifierTests.linkTwoObjects()
            span.markBits.set(index)
            HeapVerifier(CollectorState.shared()!).requireMarkedTargets(
                low: UInt(bitPattern: first), high: UInt(bitPattern: first) + 64, source: Address(first),
                "a marked object points to a live object that is not marked")
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("swiftgc: heap verifier: a marked object points to a live object that is not marked"),
                "the verifier names the invariant; it printed: \(message)")
    }

    @Test func markBitLeftAfterSweepAborts() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let (_, _, span, index) = HeapVerifierTests.linkTwoObjects()
            let state = CollectorState.shared()!
            state.lock()
            let swept = state.pointee.heap.sweep()
            span.markBits.set(index)
            HeapVerifier(state).checkHeap(sweptLiveBytes: swept.liveBytes)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("swiftgc: heap verifier: a mark bit is set after the sweep"),
                "the verifier names the invariant; it printed: \(message)")
    }

    /// Two objects, the first holding a pointer to the second; returns the
    /// first's span and index.
    static func linkTwoObjects() -> (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeMutablePointer<Span>, Int) {
        let first = Allocation.allocate(byteCount: 64, kind: .normal)!
        let second = Allocation.allocate(byteCount: 64, kind: .normal)!
        first.storeBytes(of: UInt(bitPattern: second), as: UInt.self)
        let (span, index) = CollectorState.shared()!.pointee.heap.object(containing: Address(first))!
        return (first, second, span, index)
    }
}
