import _CSwiftGC

/// Atomic operations in place, on words that already live in the
/// collector's mapped memory: fields of structs in metadata, bitmap words
/// of span descriptors, a few globals. `Synchronization.Atomic` needs
/// storage of its own type, so these wrap the shim's `__atomic` builtins
/// instead; each compiles to one instruction (or a short loop for the
/// read-modify-writes), allocates nothing and works in Embedded mode.
///
/// Every operation says its memory ordering in its argument label, in the
/// words of `Synchronization`:
///
/// - `relaxed`: atomic, but orders nothing else. For counters and hints
///   whose readers check again under a lock or accept a stale value.
/// - `acquiring` (loads, and compare-exchange on success): later reads
///   and writes of this thread stay after it, and it sees everything that
///   happened before the releasing write it reads.
/// - `releasing` (stores): earlier reads and writes of this thread stay
///   before it.
/// - `acquiringAndReleasing` (read-modify-writes): both.
/// - `sequentiallyConsistent`: acquiring and releasing, and all such
///   operations of all threads happen in one total order. Needed where two
///   threads each write one word and then read the other's (store-load).
///
/// Only the combinations some call site needs exist; add one to
/// `_CSwiftGC.h` and here when a new call site needs it.
enum Atomics {
    // MARK: 8-bit

    /// Loads `*byte`, sequentially consistent.
    @inline(__always) static func load(sequentiallyConsistent byte: UnsafePointer<UInt8>) -> UInt8 {
        swiftgc_atomic_load_u8(byte)
    }

    // MARK: 32-bit

    /// Loads `*word`, acquiring.
    @inline(__always) static func load(acquiring word: UnsafePointer<UInt32>) -> UInt32 {
        swiftgc_atomic_load_u32(word)
    }

    /// Stores `value` into `*word`, releasing.
    @inline(__always) static func store(releasing word: UnsafeMutablePointer<UInt32>, _ value: UInt32) {
        swiftgc_atomic_store_u32(word, value)
    }

    /// Stores `value` into `*word` and returns the previous value,
    /// acquiring and releasing.
    @inline(__always) static func exchange(acquiringAndReleasing word: UnsafeMutablePointer<UInt32>,
                                           _ value: UInt32) -> UInt32 {
        swiftgc_atomic_exchange_u32(word, value)
    }

    /// If `*word == expected`, stores `desired` and returns true, acquiring;
    /// otherwise returns false, relaxed (a failed attempt orders nothing).
    @inline(__always) static func compareExchange(acquiring word: UnsafeMutablePointer<UInt32>,
                                                  expected: UInt32, desired: UInt32) -> Bool {
        swiftgc_atomic_compare_exchange_u32(word, expected, desired) != 0
    }

    /// If `*word == expected`, stores `desired` and returns true, acquiring
    /// and releasing; otherwise returns false, acquiring.
    @inline(__always) static func compareExchange(acquiringAndReleasing word: UnsafeMutablePointer<UInt32>,
                                                  expected: UInt32, desired: UInt32) -> Bool {
        swiftgc_atomic_compare_exchange_u32_acq_rel(word, expected, desired) != 0
    }

    /// Adds `value` to `*word` (wrapping) and returns the previous value,
    /// acquiring and releasing.
    @inline(__always) static func fetchAdd(acquiringAndReleasing word: UnsafeMutablePointer<UInt32>,
                                           _ value: UInt32) -> UInt32 {
        swiftgc_atomic_fetch_add_u32(word, value)
    }

    // MARK: 64-bit

    /// Loads `*word`, relaxed.
    @inline(__always) static func load(relaxed word: UnsafePointer<UInt64>) -> UInt64 {
        swiftgc_atomic_load_u64_relaxed(word)
    }

    /// Loads `*word`, acquiring.
    @inline(__always) static func load(acquiring word: UnsafePointer<UInt64>) -> UInt64 {
        swiftgc_atomic_load_u64(word)
    }

    /// Stores `value` into `*word`, releasing.
    @inline(__always) static func store(releasing word: UnsafeMutablePointer<UInt64>, _ value: UInt64) {
        swiftgc_atomic_store_u64(word, value)
    }

    /// If `*word == expected`, stores `desired` and returns true, acquiring
    /// and releasing; otherwise returns false, acquiring.
    @inline(__always) static func compareExchange(acquiringAndReleasing word: UnsafeMutablePointer<UInt64>,
                                                  expected: UInt64, desired: UInt64) -> Bool {
        swiftgc_atomic_compare_exchange_u64(word, expected, desired) != 0
    }

    /// Adds `value` to `*word` (wrapping) and returns the previous value,
    /// acquiring and releasing.
    @inline(__always) static func fetchAdd(acquiringAndReleasing word: UnsafeMutablePointer<UInt64>,
                                           _ value: UInt64) -> UInt64 {
        swiftgc_atomic_fetch_add_u64(word, value)
    }

    /// ORs `mask` into `*word` and returns the previous value, acquiring
    /// and releasing.
    @inline(__always) static func fetchOr(acquiringAndReleasing word: UnsafeMutablePointer<UInt64>,
                                          _ mask: UInt64) -> UInt64 {
        swiftgc_atomic_fetch_or_u64(word, mask)
    }

    /// ANDs `mask` into `*word` and returns the previous value, acquiring
    /// and releasing.
    @inline(__always) static func fetchAnd(acquiringAndReleasing word: UnsafeMutablePointer<UInt64>,
                                           _ mask: UInt64) -> UInt64 {
        swiftgc_atomic_fetch_and_u64(word, mask)
    }

    /// ANDs `mask` into `*word` and returns the previous value,
    /// sequentially consistent.
    @inline(__always) static func fetchAnd(sequentiallyConsistent word: UnsafeMutablePointer<UInt64>,
                                           _ mask: UInt64) -> UInt64 {
        swiftgc_atomic_fetch_and_u64_seq_cst(word, mask)
    }

    // MARK: Pointers

    /// Loads `*slot`, sequentially consistent.
    @inline(__always) static func load(sequentiallyConsistent slot: UnsafePointer<UnsafeMutableRawPointer?>)
        -> UnsafeMutableRawPointer? {
        swiftgc_atomic_load_pointer(slot)
    }

    /// Stores `value` into `*slot`, sequentially consistent.
    @inline(__always) static func store(sequentiallyConsistent slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
                                        _ value: UnsafeMutableRawPointer?) {
        swiftgc_atomic_store_pointer(slot, value)
    }

    // MARK: Fences

    /// A sequentially consistent fence: no read or write of this thread
    /// moves across it, and it takes part in the single total order.
    @inline(__always) static func sequentiallyConsistentFence() { swiftgc_atomic_fence() }

    /// An acquire fence: no read or write after it moves before the reads
    /// that come before it (a seqlock reader's second look at its count).
    @inline(__always) static func acquireFence() { swiftgc_atomic_fence_acquire() }

    /// A release fence: no read or write before it moves after the writes
    /// that follow it (a span's descriptor is written before the page map
    /// entries that publish it to a marker running without the lock).
    @inline(__always) static func releaseFence() { swiftgc_atomic_fence_release() }
}
