import _CSwiftGC

/// The operating system as the collector sees it: the one place where GCCore
/// enters the kernel or asks libc for a process-wide service. Every such
/// call site goes through a static function of `OS`, so the contract can be
/// read in one folder and, later, faulted in tests from one place.
///
/// `OS` is the bottom layer. It knows nothing of the collector and uses only
/// integers and raw pointers; `Address` and everything else build on it.
/// Each wrapper is thin: its doc comment states what the caller must
/// guarantee (Pre), what holds when it returns (Post) and the C call it
/// makes. The wrappers are grouped by concern:
///
/// - `VirtualMemory.swift`: reserve, release, decommit, protect, page size
/// - `Files.swift`: open, read, write, close, descriptor checks
/// - `Clock.swift`: the monotonic clock
/// - `Process.swift`: process id, errno, environment, exit and fork hooks,
///   ending the process
/// - `Futex.swift`: sleeping on and waking a 32-bit word
/// - `Threading.swift`: stack bounds, thread-exit key, the collector's own
///   threads, CPU count, yielding
/// - `StopSignals.swift`: the signal handshake that stops other threads
/// - `PageResidency.swift`: which pages of a range were ever written, from
///   /proc/self/pagemap (built on `Files`)
///
/// Not here, and called directly where needed, because they never enter the
/// kernel: the pure memory functions `memcpy`, `memset` and `memmove`; the
/// shim's thread-local slots (`swiftgc_thread_cache`, `swiftgc_thread_record`,
/// `swiftgc_lock_depth`, ...), `swiftgc_current_thread` (pthread_self) and
/// `swiftgc_thread_pointer`; CPU and compiler hints (`swiftgc_spin_pause`,
/// `swiftgc_prefetch`, `swiftgc_materialize`); libunwind and the dynamic
/// loader reading our own memory (`swiftgc_visit_stack_with_registers`,
/// `swiftgc_visit_thread_storage`, `swiftgc_capture_stack`,
/// `swiftgc_describe_address`); the bdwgc layer's hooks (`swiftgc_boehm_*`);
/// and atomic operations, which go through `Support/Atomics.swift`.
enum OS {}
