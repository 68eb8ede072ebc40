import _CSwiftGC

/// Typed allocation (gc_make_descriptor, gc_malloc_typed, gc_calloc_typed):
/// the front end of typed objects, whose format and scanning are in
/// Collector/Marking/TypedObjects.swift.
extension TypedObjects {
    /// A descriptor for `wordCount` words of `bitmap` (bit i of word i/64).
    /// Returns nil when the record for a long bitmap cannot be allocated.
    static func makeDescriptor(bitmap: UnsafePointer<UInt>, wordCount: Int) -> UInt? {
        if wordCount <= inlineCapacity {
            var bits: UInt = 0
            for index in 0..<wordCount where bitmap[index >> 6] & (1 << UInt(index & 63)) != 0 {
                bits |= 1 << UInt(index)
            }
            return inlineTag | UInt(wordCount) << 56 | bits
        }
        let bitmapWords = (wordCount + 63) / 64
        guard let record = Allocation.allocate(byteCount: UInt(1 + bitmapWords) * 8, kind: .uncollectable) else {
            return nil
        }
        let words = record.bindMemory(to: UInt.self, capacity: 1 + bitmapWords)
        words[0] = UInt(wordCount)
        for index in 0..<bitmapWords { words[1 + index] = bitmap[index] }
        return UInt(bitPattern: record)
    }

    /// Whether a descriptor marks no word as a pointer.
    static func hasNoPointers(_ descriptor: UInt) -> Bool {
        descriptor & inlineTag != 0 && descriptor & ((1 << 56) - 1) == 0
    }

    /// Allocates `byteCount` bytes whose words repeat the descriptor's
    /// bitmap every `periodWords` words.
    static func allocate(byteCount: UInt, descriptor: UInt, periodWords: UInt) -> UnsafeMutableRawPointer? {
        if hasNoPointers(descriptor) { return Allocation.allocate(byteCount: byteCount, kind: .atomic) }
        let (total, overflow) = byteCount.addingReportingOverflow(trailerBytes)
        if overflow { return Allocation.outOfMemory() }
        guard let object = Allocation.allocate(byteCount: total, kind: .typed) else { return nil }
        let size = Allocation.usableSize(of: Address(object)) + Allocation.paddingBytes
        let trailer = (object + Int(size - trailerBytes)).bindMemory(to: UInt.self, capacity: 2)
        trailer[0] = descriptor
        trailer[1] = max(1, periodWords)
        return object
    }
}
