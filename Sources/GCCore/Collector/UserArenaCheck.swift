import _CSwiftGC

/// gc_arena_check: which words still point into a user arena, found by the
/// marking phase of a collection run without the arena's own chunks as
/// roots. A word counts when it lies in a root (the roots RootEnumeration
/// lists: stacks, registers, data segments, added ranges, other arenas) or
/// in a collected object that marking reached, and its value falls inside
/// one of the arena's chunks. Conservative, like marking: an integer that
/// looks like such a pointer counts too.
///
/// Nothing is swept or finalized: the marks are cleared at the end, so the
/// heap is as before. The world is stopped for the whole check.
struct UserArenaCheck {
    static let reportedLimit = 10

    let state: UnsafeMutablePointer<CollectorState>
    let arena: UnsafeMutablePointer<UserArena>
    /// The C function the check runs for, which starts each line.
    let function: StaticString
    var pointerCount: UInt = 0

    /// What the root visitor needs: the marker and the check.
    private struct Visit {
        let marker: UnsafeMutablePointer<Marker>
        let check: UnsafeMutablePointer<UserArenaCheck>
    }

    /// Runs the check in `cycle`, whose world is stopped; marks are left
    /// cleared.
    mutating func run(in cycle: inout CollectionCycle) {
        cycle.roots.excludedUserArena = arena
        state.pointee.kinds.isMarking = true
        state.openParallelMarking(&cycle.marker)
        let roots = cycle.roots
        withUnsafeMutablePointer(to: &cycle.marker) { marker in
            withUnsafeMutablePointer(to: &self) { check in
                var visit = Visit(marker: marker, check: check)
                withUnsafeMutablePointer(to: &visit) { visitPointer in
                    let context = UnsafeMutableRawPointer(visitPointer)
                    _ = roots.forEachRoot(context: context) { low, high, source, context in
                        let visit = context.unsafelyUnwrapped.assumingMemoryBound(to: Visit.self).pointee
                        if source == RootSource.uncollectableObject.rawValue {
                            // Its words are counted as an object's, once marked.
                            visit.marker.pointee.markCandidate(Address(low))
                            return
                        }
                        visit.check.pointee.countPointers(low: low, high: high,
                                                          place: RootSource(rawValue: source) ?? .thread, object: 0)
                        visit.marker.pointee.scan(low: low, high: high)
                        visit.marker.pointee.drain()
                    }
                }
            }
        }
        cycle.markHeap()
        cycle.finishMarking()
        countPointersInMarkedObjects()
        state.pointee.heap.clearMarks()
    }

    /// Counts the words of every marked object of a scanned kind.
    private mutating func countPointersInMarkedObjects() {
        state.pointee.heap.pageMap.forEachSpan { span in
            let spanState = span.pointee.state
            guard spanState == .small || spanState == .large, span.pointee.kind.isScanned else { return }
            for index in 0..<span.pointee.objectCount where span.markBits.isSet(index) {
                let start = span.objectStart(index).value
                countPointers(low: start, high: start &+ span.pointee.objectSize, place: .uncollectableObject,
                              object: start)
            }
        }
    }

    /// Counts, and reports while under the limit, every word in [low, high)
    /// pointing into the arena. `object` is the collected object holding
    /// the range, or 0 for a root of kind `place`.
    private mutating func countPointers(low: UInt, high: UInt, place: RootSource, object: UInt) {
        let pageMap = state.pointee.heap.pageMap
        let owner = UnsafeMutableRawPointer(arena)
        var cursor = (low &+ 7) & ~7
        let end = high & ~7
        while cursor < end {
            let word = UnsafePointer<UInt>(bitPattern: cursor).unsafelyUnwrapped.pointee
            let location = cursor
            cursor &+= 8
            guard let span = pageMap.span(containing: Address(word)), span.pointee.state == .userArena,
                  span.pointee.userArena == owner else { continue }
            pointerCount &+= 1
            if pointerCount <= UInt(UserArenaCheck.reportedLimit) {
                report(location: location, target: word, place: place, object: object)
            }
        }
    }

    private func report(location: UInt, target: UInt, place: RootSource, object: UInt) {
        let pageMap = state.pointee.heap.pageMap
        reportLine { message in
            message.append(function)
            message.append("(")
            message.append(address: Address(UInt(bitPattern: arena)))
            message.append("): the word at ")
            message.append(address: Address(location))
            message.append(", in ")
            if object != 0 {
                message.append("the collected object ")
                message.append(address: Address(object))
                message.append(" at offset ")
                message.append(decimal: UInt64(location &- object))
            } else {
                switch place {
                case .uncollectableObject: message.append("an uncollectable object")
                case .addedRange: message.append("a gc_add_roots range")
                case .mapping: message.append("a data segment or mapping")
                case .collectingThread: message.append("the calling thread's stack or registers")
                case .thread: message.append("another thread's stack, registers or thread-local storage")
                case .pushedByProgram: message.append("a range pushed by the program")
                case .userArena:
                    message.append("the arena ")
                    let holder = pageMap.span(containing: Address(location))?.pointee.userArena
                    message.append(address: Address(UInt(bitPattern: holder)))
                }
            }
            message.append(", points into the arena at ")
            message.append(address: Address(target))
        }
    }
}

extension UnsafeMutablePointer where Pointee == CollectorState {
    /// The number of words pointing into `arena` (UserArenaCheck), reported
    /// up to `UserArenaCheck.reportedLimit` on stderr, the remainder in one
    /// line. A sweep or a concurrent cycle in progress is finished first.
    /// The caller holds the heap lock.
    func countPointers(into arena: UnsafeMutablePointer<UserArena>, function: StaticString) -> UInt {
        finishSweeping()
        if isConcurrentCycleActive {
            collect()
            finishSweeping()
        }
        var check = UserArenaCheck(state: self, arena: arena, function: function)
        withUnsafeMutablePointer(to: &check) { check in
            // Registers are saved and the check runs below the stack bound,
            // so its own frames are not roots (as in `collect`).
            Stacks.visitCurrentThread(context: UnsafeMutableRawPointer(check)) { low, high, context in
                let check = context.unsafelyUnwrapped.assumingMemoryBound(to: UserArenaCheck.self)
                var cycle = CollectionCycle(check.pointee.state, stackLow: UInt(bitPattern: low),
                                            stackHigh: UInt(bitPattern: high))
                cycle.stopWorld()
                check.pointee.run(in: &cycle)
                cycle.restartWorld()
            }
        }
        let count = check.pointerCount
        if count > UInt(UserArenaCheck.reportedLimit) {
            reportLine { message in
                message.append(function)
                message.append("(")
                message.append(address: Address(UInt(bitPattern: arena)))
                message.append("): ")
                message.append(decimal: UInt64(count) - UInt64(UserArenaCheck.reportedLimit))
                message.append(" more words point into the arena")
            }
        }
        return count
    }
}
