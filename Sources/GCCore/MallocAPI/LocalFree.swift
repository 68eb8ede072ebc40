/// malloc mode's cheapest free: a block in the word of a span that the
/// calling thread's cache is allocating from goes straight back into that
/// cache's free mask, to be handed out again by a later malloc of its
/// class. Only the owning thread changes its entry's mask and word, so no
/// lock or atomic operation is needed.
///
/// Only malloc mode uses it: there is no collection that could sweep the
/// block between the checks and the update.
enum LocalFree {
    /// Returns false when `owner`, the entry owning the block's span, is not
    /// one of `cache`'s or block `index` is outside its current word. The
    /// caller has checked that the block is allocated, not held in a ring
    /// and not in the owner's free mask.
    @inline(__always) static func freeIntoOwnCache(_ owner: UnsafeMutablePointer<CacheEntry>, index: Int,
                                                   _ cache: UnsafeMutablePointer<ThreadCache>) -> Bool {
        let entries = cache.pointee.entriesStorage
        guard owner >= entries && owner < entries + ThreadCache.entryCount,
              index &>> 6 == owner.pointee.wordIndex else { return false }
        owner.pointee.freeMask |= 1 &<< UInt64(index & 63)
        return true
    }
}
