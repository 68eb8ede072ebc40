import _CSwiftGC

/// One deduplicated allocation stack in the depot, followed in memory by its
/// `frameCount` return addresses (innermost first). The four tallies belong
/// to the leak report being made: LeakCheck fills them with the world
/// stopped, LeakReport prints and clears them.
///
///     offset  0  hash            offset 24  directBytes
///     offset  8  frameCount      offset 32  indirectObjects
///     offset 16  directObjects   offset 40  indirectBytes
///     offset 48  frames (StackDepot.maximumFrames words)
struct StackRecord {
    var hash: UInt64
    var frameCount: UInt64
    var directObjects: UInt64
    var directBytes: UInt64
    var indirectObjects: UInt64
    var indirectBytes: UInt64
}

/// The stack depot of leak-check mode: every distinct allocation stack is
/// stored once and named by a 30-bit id (0: unknown), which the per-block
/// table keeps for each allocated block.
///
/// Records sit in an array reserved at start-up and handed out by an atomic
/// counter; an open-addressing hash table of ids finds them. Insertion is
/// lock-free: a thread fills a fresh record, then publishes its id in an
/// empty bucket with compare-and-swap. A thread that loses the race to an
/// equal stack uses the winner's id; its own record stays unreachable with
/// zero tallies, so the report never prints it.
struct StackDepot {
    static let maximumFrames = 30
    static let recordStride = MemoryLayout<StackRecord>.stride + maximumFrames * 8
    /// Buckets tried before a stack is given id 0.
    static let maximumProbes = 64

    let buckets: UnsafeMutablePointer<UInt32>
    let bucketMask: UInt
    let records: UnsafeMutableRawPointer
    let recordCapacity: UInt32
    /// The next unused record id (ids start at 1); updated atomically.
    let nextIdentifier: UnsafeMutablePointer<UInt32>

    /// Bytes to reserve for `recordCapacity` records and twice as many buckets.
    static func reservationBytes(recordCapacity: UInt32) -> UInt {
        UInt(recordCapacity) * 2 * 4 + UInt(recordCapacity) * UInt(recordStride)
    }

    /// A depot in zeroed memory of `reservationBytes(recordCapacity:)` bytes;
    /// `recordCapacity` is a power of two.
    init(memory: UnsafeMutableRawPointer, recordCapacity: UInt32, nextIdentifier: UnsafeMutablePointer<UInt32>) {
        let bucketCount = Int(recordCapacity) * 2
        buckets = memory.bindMemory(to: UInt32.self, capacity: bucketCount)
        bucketMask = UInt(bucketCount - 1)
        records = memory + bucketCount * 4
        self.recordCapacity = recordCapacity
        self.nextIdentifier = nextIdentifier
        nextIdentifier.pointee = 1
    }

    /// Ids 1 ..< `identifierLimit` may name records.
    var identifierLimit: UInt32 { min(Atomics.load(acquiring: nextIdentifier), recordCapacity) }

    func record(_ identifier: UInt32) -> UnsafeMutablePointer<StackRecord> {
        (records + Int(identifier) * StackDepot.recordStride).assumingMemoryBound(to: StackRecord.self)
    }

    func frames(of record: UnsafeMutablePointer<StackRecord>) -> UnsafeMutablePointer<UInt> {
        (UnsafeMutableRawPointer(record) + MemoryLayout<StackRecord>.stride).assumingMemoryBound(to: UInt.self)
    }

    /// The id of the calling thread's current stack, stored if new; 0 if it
    /// cannot be captured (a malloc made while capturing) or the depot is full.
    func identifyCurrentStack() -> UInt32 {
        withUnsafeTemporaryAllocation(of: UInt.self, capacity: StackDepot.maximumFrames) { buffer in
            let frames = buffer.baseAddress!
            let count = Int(swiftgc_capture_stack(frames, Int32(StackDepot.maximumFrames)))
            if count == 0 { return 0 }
            return identify(frames: frames, count: count)
        }
    }

    /// The id of the stack `frames[0 ..< count]`, stored if new.
    func identify(frames: UnsafeMutablePointer<UInt>, count: Int) -> UInt32 {
        let hash = StackDepot.hash(frames: frames, count: count)
        var newIdentifier: UInt32 = 0
        var bucket = UInt(truncatingIfNeeded: hash) & bucketMask
        for _ in 0..<StackDepot.maximumProbes {
            let slot = buckets + Int(bucket)
            var existing = Atomics.load(acquiring: slot)
            if existing == 0 {
                if newIdentifier == 0 {
                    newIdentifier = Atomics.fetchAdd(acquiringAndReleasing: nextIdentifier, 1)
                    guard newIdentifier < recordCapacity else { return 0 }
                    let fresh = record(newIdentifier)
                    fresh.pointee.hash = hash
                    fresh.pointee.frameCount = UInt64(count)
                    self.frames(of: fresh).update(from: frames, count: count)
                }
                // Releasing: publishes the record filled above, which a
                // thread that loads this id (acquiring) then compares.
                if Atomics.compareExchange(acquiringAndReleasing: slot, expected: 0, desired: newIdentifier) {
                    return newIdentifier
                }
                existing = Atomics.load(acquiring: slot)
            }
            if matches(existing, hash: hash, frames: frames, count: count) { return existing }
            bucket = (bucket &+ 1) & bucketMask
        }
        return 0
    }

    private func matches(_ identifier: UInt32, hash: UInt64, frames: UnsafeMutablePointer<UInt>, count: Int) -> Bool {
        let candidate = record(identifier)
        guard candidate.pointee.hash == hash, candidate.pointee.frameCount == UInt64(count) else { return false }
        let stored = self.frames(of: candidate)
        for index in 0..<count where stored[index] != frames[index] { return false }
        return true
    }

    static func hash(frames: UnsafeMutablePointer<UInt>, count: Int) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        for index in 0..<count {
            hash = (hash ^ UInt64(frames[index])) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash &>> 29
        }
        return hash
    }
}
