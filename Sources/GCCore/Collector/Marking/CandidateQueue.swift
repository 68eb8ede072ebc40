import _CSwiftGC

/// Candidate words on their way through the metadata prefetch pipeline.
///
/// Marking one candidate word is a chain of dependent loads: the page-map
/// entry gives the span descriptor, whose header (start, reciprocal, object
/// count, state) gives the object index, which gives the live-bit and
/// mark-bit words. On a large heap each link misses the cache, so done one
/// candidate at a time the marker waits for three or four misses in a row.
/// The queue overlaps the chains of several candidates instead:
///
///     scan ──▶ stage 1: load the page-map entry, prefetch the span header
///                 │      (stageDistance candidates later)
///                 ▼
///              stage 2: read the header, compute the object index,
///                 │      prefetch the live-bit and mark-bit words
///                 │      (stageDistance candidates later)
///                 ▼
///              stage 3: test the live bit, set the mark bit, push
///
/// A ring of `capacity` slots holds, oldest first, `indexed` candidates that
/// have passed stage 2, then the `pending - indexed` that have only passed
/// stage 1. The marker owns its queue alone (helpers have their own), so no
/// field is shared between threads. The ring exists only inside a drain
/// (its slots are on the draining thread's stack); outside one, `slots` is
/// nil and candidates are marked at once. A drain empties the queue before
/// it concludes that no work is left, and before a budgeted drain returns,
/// so no candidate outlives the drain that queued it: the page map and the
/// spans a candidate refers to cannot change under it in between.
struct CandidateQueue {
    struct Candidate {
        var word: UInt
        var span: UnsafeMutablePointer<Span>
        /// The object index once stage 2 has run; -1 if it found the word
        /// outside any object (a free span, a span's unused tail).
        var index: Int
    }

    /// Candidates between two stages: enough to cover a miss with work on
    /// the others, few enough that the prefetched lines are still in L1.
    static let stageDistance = 4
    /// A power of two above 2 × stageDistance.
    static let capacity = 16
    /// Arena size from which drains open a queue. On a smaller heap the
    /// span descriptors touched (512 bytes per span) mostly stay in the
    /// caches, and the queue's bookkeeping cost binary-trees (depth 18,
    /// about 90 MB) 12% more CPU than it saved.
    static let fromArenaBytes: UInt = 192 << 20

    var slots: UnsafeMutablePointer<Candidate>? = nil
    var head = 0
    var pending = 0
    var indexed = 0
}

extension Marker {
    /// Runs `body` with a candidate queue open (its slots on this stack),
    /// and empties the queue before closing it.
    mutating func withCandidateQueue<Result>(_ body: (inout Marker) -> Result) -> Result {
        if pageMap.arenaTop - pageMap.arenaStart < CandidateQueue.fromArenaBytes { return body(&self) }
        return withUnsafeTemporaryAllocation(of: CandidateQueue.Candidate.self, capacity: CandidateQueue.capacity) { slots in
            let outer = candidates
            candidates = CandidateQueue(slots: slots.baseAddress!)
            let result = body(&self)
            flushCandidates()
            candidates = outer
            return result
        }
    }

    /// Stage 1 for a word that maps to `span`: queues it, and moves the
    /// candidates `stageDistance` ahead of it through stages 2 and 3.
    @inline(__always) mutating func enqueueCandidate(span: UnsafeMutablePointer<Span>, word: UInt) {
        let slots = candidates.slots.unsafelyUnwrapped
        let mask = CandidateQueue.capacity - 1
        swiftgc_prefetch(UnsafeRawPointer(span))
        slots[(candidates.head &+ candidates.pending) & mask] = CandidateQueue.Candidate(word: word, span: span, index: -1)
        candidates.pending &+= 1
        if candidates.pending &- candidates.indexed <= CandidateQueue.stageDistance { return }
        indexCandidate(slots + ((candidates.head &+ candidates.indexed) & mask))
        candidates.indexed &+= 1
        if candidates.indexed <= CandidateQueue.stageDistance { return }
        markOldestCandidate()
    }

    /// Runs every queued candidate through to the end. Marking a described
    /// object can scan part of it at once (MarkProcedures), queueing more
    /// candidates meanwhile, so the counts are reread after every mark.
    mutating func flushCandidates() {
        guard let slots = candidates.slots else { return }
        let mask = CandidateQueue.capacity - 1
        while candidates.pending > 0 {
            while candidates.indexed < candidates.pending {
                indexCandidate(slots + ((candidates.head &+ candidates.indexed) & mask))
                candidates.indexed &+= 1
            }
            markOldestCandidate()
        }
    }

    /// Stage 2: the object index, and prefetches of its bitmap words.
    @inline(__always) private func indexCandidate(_ slot: UnsafeMutablePointer<CandidateQueue.Candidate>) {
        let span = slot.pointee.span
        if span.pointee.state == .free { return }
        let index = span.objectIndex(containing: Address(slot.pointee.word))
        if index >= span.pointee.objectCount { return }
        slot.pointee.index = index
        swiftgc_prefetch(UnsafeRawPointer(span.liveBits.words + (index &>> 6)))
        swiftgc_prefetch(UnsafeRawPointer(span.markBits.words + (index &>> 6)))
    }

    /// Stage 3 for the oldest candidate, which has passed stage 2.
    @inline(__always) private mutating func markOldestCandidate() {
        let candidate = candidates.slots.unsafelyUnwrapped[candidates.head]
        candidates.head = (candidates.head &+ 1) & (CandidateQueue.capacity - 1)
        candidates.pending &-= 1
        candidates.indexed &-= 1
        if candidate.index >= 0 { markIndexed(span: candidate.span, index: candidate.index) }
    }
}
