import GCCore
import _CSwiftGC

/// SwiftGC's Swift interface: memory that is reclaimed automatically once no
/// pointer to it remains.
///
/// The collector is conservative. It finds pointers in the stacks,
/// registers and thread-local storage of every registered thread, in the
/// data segments of loaded code, in ranges registered with
/// ``addRoots(from:to:)`` and in other collected objects.
/// It does not see memory from Swift's own allocator: a collected pointer
/// kept only in a Swift `Array`, a class instance or a closure context can
/// be reclaimed. Keep collected pointers in locals, globals, or other
/// collected memory.
///
/// A collection stops and scans every registered thread. In this package a
/// thread registers at its first allocation; call
/// ``registerCurrentThread()`` first on a thread that receives collected
/// pointers before it allocates (the C library also registers threads as
/// pthread_create starts them; a Swift program's runtime creates threads of
/// its own, so the package does not interpose it).
public enum GC {
    /// Allocates `byteCount` bytes of collected, zero-filled memory that is
    /// scanned for pointers, aligned to 16 bytes. Corresponds to `gc_malloc`.
    ///
    /// - Parameter byteCount: the number of bytes; 0 gives a unique pointer.
    /// - Returns: the start of the new object. Traps if memory is exhausted.
    public static func allocate(byteCount: Int) -> UnsafeMutableRawPointer {
        precondition(byteCount >= 0, "GC.allocate: byteCount must not be negative")
        return checked(gc_malloc(UInt(byteCount)), byteCount)
    }

    /// Allocates `byteCount` bytes of collected memory that is never scanned
    /// and not zeroed: for data without pointers to collected memory.
    /// Corresponds to `gc_malloc_atomic`.
    ///
    /// - Returns: the start of the new object. Traps if memory is exhausted.
    public static func allocateAtomic(byteCount: Int) -> UnsafeMutableRawPointer {
        precondition(byteCount >= 0, "GC.allocateAtomic: byteCount must not be negative")
        return checked(gc_malloc_atomic(UInt(byteCount)), byteCount)
    }

    /// Allocates zero-filled, scanned, collected memory for `capacity`
    /// values of `type`.
    ///
    /// The memory is bound to `T` and every value is all-zero bits; `T` must
    /// be bitwise-copyable because the collector never runs deinitializers.
    /// Alignments up to 16 bytes are supported.
    ///
    /// - Returns: a pointer to the first element. Traps if memory is exhausted.
    public static func allocate<T: BitwiseCopyable>(_ type: T.Type, capacity: Int) -> UnsafeMutablePointer<T> {
        precondition(capacity >= 0, "GC.allocate: capacity must not be negative")
        precondition(MemoryLayout<T>.alignment <= 16, "GC.allocate: alignments above 16 bytes are not supported")
        let (byteCount, overflow) = MemoryLayout<T>.stride.multipliedReportingOverflow(by: capacity)
        precondition(!overflow, "GC.allocate: capacity × stride overflows")
        return allocate(byteCount: byteCount).bindMemory(to: T.self, capacity: capacity)
    }

    /// Frees an object early. Optional: unreachable objects are reclaimed
    /// anyway. `pointer` must be the start of a live collected object;
    /// anything else is reported on stderr and ignored. Corresponds to `gc_free`.
    public static func free(_ pointer: UnsafeMutableRawPointer) {
        gc_free(pointer)
    }

    /// The start of the live collected object that `pointer` points into,
    /// or nil. Corresponds to `gc_base`.
    public static func base(of pointer: UnsafeRawPointer) -> UnsafeMutableRawPointer? {
        gc_base(pointer)
    }

    /// The usable size in bytes of the live object `pointer` points into,
    /// or 0 when it points into none. Corresponds to `gc_size`.
    public static func size(of pointer: UnsafeRawPointer) -> Int {
        Int(gc_size(pointer))
    }

    /// Runs a full collection now. Corresponds to `gc_collect`.
    public static func collect() {
        gc_collect()
    }

    /// Scans `[start, end)` for pointers at every collection, for example a
    /// buffer from `UnsafeMutableRawPointer.allocate`. Corresponds to
    /// `gc_add_roots`.
    public static func addRoots(from start: UnsafeMutableRawPointer, to end: UnsafeMutableRawPointer) {
        gc_add_roots(start, end)
    }

    /// Stops scanning every root range lying within `[start, end)`.
    /// Corresponds to `gc_remove_roots`.
    public static func removeRoots(from start: UnsafeMutableRawPointer, to end: UnsafeMutableRawPointer) {
        gc_remove_roots(start, end)
    }

    /// Registers the calling thread, so collections stop it and scan its
    /// stack and registers. A thread is registered at its first allocation
    /// anyway; call this first on a thread that receives pointers to
    /// collected objects before it allocates. Corresponds to
    /// `gc_register_thread`.
    public static func registerCurrentThread() {
        gc_register_thread()
    }

    /// Unregisters the calling thread, which must not hold the only pointers
    /// to collected objects afterwards. Corresponds to `gc_unregister_thread`.
    public static func unregisterCurrentThread() {
        gc_unregister_thread()
    }

    /// Runs `body` with automatic collections disabled (explicit `collect()`
    /// still works). Calls nest. Corresponds to `gc_disable` and `gc_enable`.
    public static func withCollectionsDisabled<Result>(_ body: () throws -> Result) rethrows -> Result {
        gc_disable()
        defer { gc_enable() }
        return try body()
    }

    /// A snapshot of the collector's counters. Corresponds to `gc_get_stats`.
    public static var statistics: Statistics {
        var raw = gc_stats()
        gc_get_stats(&raw)
        return Statistics(raw)
    }

    private static func checked(_ pointer: UnsafeMutableRawPointer?, _ byteCount: Int) -> UnsafeMutableRawPointer {
        guard let pointer else { fatalError("SwiftGC: out of memory allocating \(byteCount) bytes") }
        return pointer
    }
}

extension GC {
    /// Counters describing the heap and the collections so far. Sizes are in bytes.
    public struct Statistics: Sendable, Equatable {
        /// Completed collections.
        public var collections: Int
        /// Memory the heap holds from the operating system now.
        public var heapSize: Int
        /// The largest `heapSize` so far.
        public var peakHeapSize: Int
        /// Bytes of objects found live by the last collection.
        public var bytesInUse: Int
        /// Bytes allocated since the last collection.
        public var bytesAllocatedSinceCollection: Int
        /// Bytes allocated since start, including freed and reclaimed objects.
        public var totalBytesAllocated: Int
        /// Bytes released by `free`.
        public var totalBytesFreed: Int
        /// Bytes reclaimed by collections.
        public var totalBytesReclaimed: Int
        /// Duration of the last collection, in nanoseconds.
        public var lastPauseNanoseconds: Int
        /// Sum of all collection durations, in nanoseconds.
        public var totalPauseNanoseconds: Int
        /// The longest collection, in nanoseconds.
        public var maxPauseNanoseconds: Int
        /// Heap bytes currently returned to the operating system.
        public var bytesReturnedToOS: Int

        init(_ raw: gc_stats) {
            collections = Int(raw.collections)
            heapSize = Int(raw.heap_size)
            peakHeapSize = Int(raw.peak_heap_size)
            bytesInUse = Int(raw.bytes_in_use)
            bytesAllocatedSinceCollection = Int(raw.bytes_allocated_since_collection)
            totalBytesAllocated = Int(raw.total_bytes_allocated)
            totalBytesFreed = Int(raw.total_bytes_freed)
            totalBytesReclaimed = Int(raw.total_bytes_reclaimed)
            lastPauseNanoseconds = Int(raw.last_pause_ns)
            totalPauseNanoseconds = Int(raw.total_pause_ns)
            maxPauseNanoseconds = Int(raw.max_pause_ns)
            bytesReturnedToOS = Int(raw.bytes_returned_to_os)
        }
    }
}
