/// malloc mode's lock-free free: a block in the word of a span that the
/// calling thread's cache is allocating from goes straight back into that
/// cache's free mask, to be handed out again by the next malloc of its
/// class. Only the owning thread changes its entry's mask and word, so no
/// lock or atomic operation is needed; every other free takes the heap lock.
///
/// Only malloc mode uses it: there is no collection that could sweep the
/// block between the checks and the update.
enum LocalFree {
    @inline(__always) static func freeIntoOwnCache(_ span: UnsafeMutablePointer<Span>, _ address: Address) -> Bool {
        guard let owner = span.pointee.owner, let cache = UnsafeMutablePointer<ThreadCache>.current else {
            return false
        }
        let entries = cache.pointee.entriesStorage
        guard owner >= entries && owner < entries + ThreadCache.entryCount else { return false }
        let index = span.objectIndex(containing: address)
        guard index &>> 6 == owner.pointee.wordIndex, span.objectStart(index) == address else { return false }
        let bit: UInt64 = 1 &<< UInt64(index & 63)
        // Already in the mask: a double free, which the slow path reports.
        guard owner.pointee.freeMask & bit == 0, span.liveBits.words[index &>> 6] & bit != 0 else { return false }
        owner.pointee.freeMask |= bit
        return true
    }
}
