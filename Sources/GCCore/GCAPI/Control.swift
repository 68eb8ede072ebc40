import _CSwiftGC

/// Collection control, roots and statistics behind the C API.
enum Control {
    static func collect() {
        guard let state = CollectorState.shared() else { return }
        if state.pointee.policy.replacesRequestedCollection(UnsafeMutableRawPointer(state)) { return }
        state.lock()
        state.collect()
        state.unlock()
        state.runFinalizersIfReady()
    }

    static func addRoots(low: Address, high: Address) {
        let alignedLow = low.alignedUp(to: 8)
        let alignedHigh = high.alignedDown(to: 8)
        guard low < high, low <= alignedLow, alignedLow < alignedHigh else {
            Misuse.report("gc_add_roots", low, "empty or reversed range; ignored")
            return
        }
        guard let state = CollectorState.shared() else { return }
        state.lock()
        let result = state.pointee.roots.add(low: alignedLow, high: alignedHigh)
        state.unlock()
        if case .tableFull = result {
            Misuse.report("gc_add_roots", low, "too many root ranges; ignored")
        }
    }

    static func removeRoots(low: Address, high: Address) {
        guard let state = collectorState else { return }
        state.lock()
        state.pointee.roots.remove(within: low, high)
        state.unlock()
    }

    static func disable() {
        guard let state = CollectorState.shared() else { return }
        state.lock()
        state.pointee.disableCount += 1
        state.unlock()
    }

    static func enable() {
        guard let state = CollectorState.shared() else { return }
        state.lock()
        if state.pointee.disableCount > 0 {
            state.pointee.disableCount -= 1
        } else {
            reportRepeatedLine(occurrences: &state.pointee.warnings.unmatchedEnable) {
                $0.append("gc_enable called more often than gc_disable; ignored")
            }
        }
        state.unlock()
    }

    static func statistics(into out: UnsafeMutablePointer<gc_stats>?) {
        guard let out else { return }
        guard let state = CollectorState.shared() else {
            out.pointee = gc_stats()
            return
        }
        state.lock()
        state.pointee.statistics.fill(out, state)
        state.unlock()
    }
}
