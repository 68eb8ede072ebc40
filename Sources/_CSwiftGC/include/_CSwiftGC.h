/*
 * _CSwiftGC: the C shim under the collector. It exposes libc, libunwind and
 * Linux headers to Swift (Embedded Swift cannot import Glibc) and implements
 * the few things Swift cannot express: thread-local storage, variadic system
 * calls, errno, the unw_getcontext macro and linker-provided symbols.
 * Everything here is a thin wrapper; the collector's logic lives in GCCore.
 */
#ifndef SWIFTGC_C_SHIM_H
#define SWIFTGC_C_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
/* Linux 6.1's synchronous huge-page collapse; newer than Debian 12's headers. */
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#include <sys/resource.h>
#include <sys/uio.h>
#include <signal.h>
#include <pthread.h>

#define SWIFTGC_TYPES_ONLY 1
#include "../../../include/swiftgc.h"
#undef SWIFTGC_TYPES_ONLY

/* Kernel structs and ioctls for dirty-page tracking (newer than Debian 12's headers). */
#include "dirty_pages.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Thread-local storage ------------------------------------------------
 * One pointer per thread to that thread's allocation cache, which the
 * collector maps itself. Initial-exec TLS keeps the fast path to a single
 * %fs-relative load; one pointer fits in the static TLS that glibc reserves
 * even for libraries loaded with dlopen. */
extern __thread void *swiftgc_thread_cache_slot __attribute__((tls_model("initial-exec")));

static inline void *swiftgc_thread_cache(void) { return swiftgc_thread_cache_slot; }
static inline void swiftgc_set_thread_cache(void *cache) { swiftgc_thread_cache_slot = cache; }

/* safe-free mode: the bytes this thread has quarantined but not yet added
 * to the shared count (adding each free to one shared word made the threads
 * of a malloc-heavy program fight over its cache line), and the collection
 * they date from. */
struct swiftgc_quarantine_tally {
    uint64_t bytes;
    uint64_t collection;
};
extern __thread struct swiftgc_quarantine_tally swiftgc_quarantine_tally_slot __attribute__((tls_model("initial-exec")));

static inline struct swiftgc_quarantine_tally *swiftgc_quarantine_tally(void) { return &swiftgc_quarantine_tally_slot; }

/* ---- errno and the environment ------------------------------------------ */
static inline void swiftgc_set_errno(int value) { errno = value; }
static inline int swiftgc_errno(void) { return errno; }
/* The process environment, read directly so options work before libc's
 * getenv is safe to call. */
char **swiftgc_environment(void);

/* ---- System calls that are variadic in C -------------------------------- */
int swiftgc_open_read_only(const char *path);
/* Opens (creating, mode 0644) a file for appending whole lines; close-on-exec. */
int swiftgc_open_for_appending(const char *path);
/* process_vm_readv on this process: copies from our own memory at remote
 * into local, and fails with EFAULT where a read would fault. Returns the
 * bytes copied (partial transfers stop at the first remote element that
 * cannot be read) or -1 with errno. (glibc declares it only with
 * _GNU_SOURCE.) */
ssize_t swiftgc_read_own_memory(const struct iovec *local, unsigned long local_count,
                                const struct iovec *remote, unsigned long remote_count);
/* Sleeps while *word == expected (FUTEX_WAIT_PRIVATE). */
void swiftgc_futex_wait(uint32_t *word, uint32_t expected);

/* Starts a thread of the collector's own (parallel marking): not registered
 * with the collector, every signal blocked, detached, running body(argument)
 * on [stack, stack + stack_bytes). Returns 0 on success. */
int swiftgc_start_marking_thread(void *(*body)(void *), void *argument, void *stack, size_t stack_bytes);
/* CPUs this process may run on (at least 1). */
int swiftgc_available_cpus(void);
/* A hint to the CPU inside a spin loop. */
static inline void swiftgc_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}
/* Wakes up to count threads sleeping on word (FUTEX_WAKE_PRIVATE). */
void swiftgc_futex_wake(uint32_t *word, int count);

/* ---- Atomic operations on words in the collector's own mapped memory ---- */
static inline uint32_t swiftgc_atomic_exchange_u32(uint32_t *word, uint32_t value) {
    return __atomic_exchange_n(word, value, __ATOMIC_ACQ_REL);
}
static inline int swiftgc_atomic_compare_exchange_u32(uint32_t *word, uint32_t expected, uint32_t desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
static inline int swiftgc_atomic_compare_exchange_u32_acq_rel(uint32_t *word, uint32_t expected, uint32_t desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline void swiftgc_atomic_store_u32(uint32_t *word, uint32_t value) {
    __atomic_store_n(word, value, __ATOMIC_RELEASE);
}
static inline uint64_t swiftgc_atomic_load_u64(const uint64_t *word) {
    return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}

/* The word behind the lock that serialises the collector's one-time
 * initialisation (a HeapLock in Swift; zero-initialised, so usable before
 * any constructor runs). */
uint32_t *swiftgc_initialization_lock_word(void);

/* Starts loading the cache line at address; marking issues it for each
 * object it pushes so the load overlaps with other work. */
static inline void swiftgc_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/* Returns value, which the compiler must have in a register at this point
 * and cannot recompute afterwards; no memory access moves across the call.
 * The allocation fast path computes an object's address with this before it
 * takes the slot out of the free mask, so a thread stopped between the two
 * holds the slot either in the mask (pinned) or in a register (a root). */
static inline uintptr_t swiftgc_materialize(uintptr_t value) {
    __asm__ volatile("" : "+r"(value) : : "memory");
    return value;
}

/* ---- Stacks and registers ------------------------------------------------ */
/* The highest address of the calling thread's stack (stacks grow down). */
void *swiftgc_current_stack_base(void);
/* The lowest address of the calling thread's stack, or NULL when unknown
 * (the main thread's stack grows on demand). */
void *swiftgc_current_stack_limit(void);

/* Captures the calling thread's registers with libunwind into a context on
 * this frame, then calls visit(low, high, context) where [low, high) covers
 * the caller's stack from below that saved context up to stack_base. */
typedef void (*swiftgc_stack_visitor)(void *low, void *high, void *context);
void swiftgc_visit_stack_with_registers(void *stack_base, swiftgc_stack_visitor visit, void *context);
/* Zeroes `bytes` of the calling thread's stack below the caller's frame:
 * frames built afterwards start clean, so stale words of earlier, deeper
 * calls (the collector's own temporaries) are not scanned as roots when a
 * collection captures the stack from inside them. */
void swiftgc_clear_stack_below(size_t bytes);

/* ---- Threads -------------------------------------------------------------
 * Registration and stop-the-world. The suspend handler is C because it must
 * save errno and registers and wait in sigsuspend; everything it touches is
 * below, and it neither allocates nor takes a lock. */

/* What the suspend handler records for one stopped thread. The collector's
 * ThreadRecord starts with this struct, so the handler can reach it through
 * the thread's record pointer. */
typedef struct swiftgc_suspension {
    uint64_t acknowledged_epoch;   /* the stop epoch this thread has stopped for */
    uintptr_t stack_pointer;       /* lowest stack address to scan while stopped */
} swiftgc_suspension;

/* The calling thread's ThreadRecord, or NULL if it is not registered. */
extern __thread void *swiftgc_thread_record_slot __attribute__((tls_model("initial-exec")));
static inline void *swiftgc_thread_record(void) { return swiftgc_thread_record_slot; }
static inline void swiftgc_set_thread_record(void *record) { swiftgc_thread_record_slot = record; }

/* Installs the suspend and restart handlers. Returns 0, or -1 if a signal
 * number is invalid. */
int swiftgc_install_stop_signals(int suspend_signal, int restart_signal);
/* Unblocks the suspend and restart signals in the calling thread. Thread
 * pools such as libdispatch's block signals in their workers, and a thread
 * that cannot receive the suspend signal would stall every collection. */
void swiftgc_accept_stop_signals(void);
/* Starts a new stop: returns the new epoch, which threads acknowledge. */
uint64_t swiftgc_begin_stop(void);
/* Lets threads stopped for epoch and earlier return from their handlers. */
void swiftgc_release_stop(uint64_t epoch);
/* Waits up to milliseconds for some thread to acknowledge a stop. */
void swiftgc_wait_for_acknowledgement(unsigned milliseconds);
/* pthread_kill with the suspend signal; returns 0 or an error number. */
int swiftgc_send_suspend(uintptr_t thread);
/* pthread_kill with the restart signal; returns 0 or an error number. */
int swiftgc_send_restart(uintptr_t thread);

static inline uintptr_t swiftgc_current_thread(void) { return (uintptr_t)pthread_self(); }
static inline uintptr_t swiftgc_thread_pointer(void) { return (uintptr_t)__builtin_thread_pointer(); }

/* Calls visit(low, high, context) for each range of thread-local storage of
 * the thread whose thread pointer is thread_pointer: its static TLS block
 * together with its thread descriptor (which holds the first
 * pthread_setspecific values), then every TLS block that __tls_get_addr
 * allocated for a dlopened module. Relies on glibc's layout (x86-64 and
 * AArch64); values that look inconsistent are skipped, never dereferenced.
 * The thread must be the caller or stopped. */
void swiftgc_visit_thread_storage(uintptr_t thread_pointer, swiftgc_stack_visitor visit, void *context);

/* pthread_atfork with three void(void) handlers. */
int swiftgc_at_fork(void (*prepare)(void), void (*parent)(void), void (*child)(void));
/* A pthread key whose destructor runs when an automatically registered
 * thread exits. Returns 0 on success. */
int swiftgc_create_exit_key(void (*destructor)(void *));
void swiftgc_arm_exit_key(void *value);

/* Implemented in Swift (GCCore's Exports/FrontEndExports.swift), called by
 * the collector's initialisation before the state is published: the
 * library's front end installs its collection policy (the preload modes)
 * without the engine naming it. */
void swiftgc_configure_front_end(void *state);

/* Implemented in Swift (GCCore), called by the pthread_create wrapper. */
void *swiftgc_thread_start_record_acquire(void *(*start)(void *), void *argument, _Bool is_detached);
void swiftgc_thread_start_record_release(void *record);
void swiftgc_thread_did_start(void *record, void *(**start)(void *), void **argument);
void swiftgc_thread_will_exit(void);
/* The calling thread is finishing with result; unless it is detached, the
 * result stays a root until swiftgc_thread_result_taken. */
void swiftgc_thread_keep_result(void *result);
/* thread was joined (is_detach 0) or detached (1): its result is no longer
 * kept, and a detached thread keeps none when it finishes. */
void swiftgc_thread_result_taken(uintptr_t thread, _Bool is_detach);

/* ---- Preload (libswiftgc-preload.so) --------------------------------------
 * How many heap locks the calling thread holds. While it is not zero, libc
 * functions the collector calls (pthread_getattr_np, atexit, ...) may call
 * malloc, which is then ours: such allocations come from a bootstrap arena
 * instead of re-entering the heap. */
extern __thread unsigned swiftgc_lock_depth_slot __attribute__((tls_model("initial-exec")));
static inline unsigned swiftgc_lock_depth(void) { return swiftgc_lock_depth_slot; }
static inline void swiftgc_set_lock_depth(unsigned depth) { swiftgc_lock_depth_slot = depth; }

static inline int swiftgc_atomic_compare_exchange_u64(uint64_t *word, uint64_t expected, uint64_t desired) {
    return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}
static inline void swiftgc_atomic_store_u64(uint64_t *word, uint64_t value) {
    __atomic_store_n(word, value, __ATOMIC_RELEASE);
}
static inline uint64_t swiftgc_atomic_fetch_add_u64(uint64_t *word, uint64_t value) {
    return __atomic_fetch_add(word, value, __ATOMIC_ACQ_REL);
}
static inline uint64_t swiftgc_atomic_fetch_or_u64(uint64_t *word, uint64_t value) {
    return __atomic_fetch_or(word, value, __ATOMIC_ACQ_REL);
}
static inline uint64_t swiftgc_atomic_fetch_and_u64(uint64_t *word, uint64_t value) {
    return __atomic_fetch_and(word, value, __ATOMIC_ACQ_REL);
}

/* ---- Leak check (libswiftgc-preload.so, SWIFTGC_MODE=leak-check) --------
 * Defined in Sources/_CSwiftGCPreload/leak_check.c, which only the preload
 * library links, as only it compiles their callers (GCCore/MallocAPI).
 * Stores in frames up to capacity return addresses of the calling thread's
 * stack, innermost first, leaving out the collector's own frames
 * (unw_backtrace). Returns how many. Returns 0 when called again while this
 * thread is already capturing (libunwind may call malloc). */
int swiftgc_capture_stack(uintptr_t *frames, int capacity);

/* What dladdr knows about an address: the containing module's path and load
 * bias, and the nearest exported symbol at or below it. Strings belong
 * to the dynamic loader; pointers are NULL when unknown. */
typedef struct swiftgc_address_description {
    const char *module;
    uintptr_t module_base;
    const char *symbol;
    uintptr_t symbol_address;
} swiftgc_address_description;
/* Fills description; returns 0 if no loaded module contains address. */
int swiftgc_describe_address(uintptr_t address, swiftgc_address_description *description);

/* A close-on-exec duplicate of stderr numbered 64 or more, or -1: the leak
 * report still reaches the original stderr if the program closes fd 2 in
 * an exit handler of its own (gnulib's close_stdout does). */
int swiftgc_duplicate_standard_error(void);
int swiftgc_descriptor_is_open(int descriptor);

/* Flushes stdio and ends the process with status at once (_exit): the leak
 * report's exit status, set from an exit handler. */
void swiftgc_flush_and_exit(int status) __attribute__((noreturn));

static inline uint32_t swiftgc_atomic_load_u32(const uint32_t *word) {
    return __atomic_load_n(word, __ATOMIC_ACQUIRE);
}
static inline uint32_t swiftgc_atomic_fetch_add_u32(uint32_t *word, uint32_t value) {
    return __atomic_fetch_add(word, value, __ATOMIC_ACQ_REL);
}
static inline int swiftgc_process_id(void) { return (int)getpid(); }

/* ---- Object kinds and mark procedures (bdwgc's gc_mark.h) ----------------
 * A mark stack entry in bdwgc's format, and a mark procedure, exactly as
 * include/boehm/gc/gc_mark.h declares them (struct GC_ms_entry, GC_mark_proc).
 * Marking (Collector/Marking/MarkProcedures.swift) calls procedures through this type. */
typedef struct swiftgc_mark_stack_entry {
    uintptr_t start;
    uintptr_t descriptor;
} swiftgc_mark_stack_entry;
typedef swiftgc_mark_stack_entry *(*swiftgc_mark_procedure)(uintptr_t *object, swiftgc_mark_stack_entry *top,
                                                             swiftgc_mark_stack_entry *limit, uintptr_t environment);

/* ---- Collection hooks ----------------------------------------------------
 * Set by a C front end above the collector (the bdwgc layer); see the header. */
#include "collection_hooks.h"

/* ---- Sequentially consistent operations for malloc mode's lock-free free --
 * A freeing thread clears a live bit and then reads the span's owner and
 * list flag; a cache dropping the span stores the owner and then reads the
 * live bits. Both pairs are sequentially consistent, so at least one side
 * sees the other's write and the span is never left full-looking and
 * unlisted with a free slot. */
static inline uint64_t swiftgc_atomic_fetch_and_u64_seq_cst(uint64_t *word, uint64_t value) {
    return __atomic_fetch_and(word, value, __ATOMIC_SEQ_CST);
}
static inline uint64_t swiftgc_atomic_load_u64_relaxed(const uint64_t *word) {
    return __atomic_load_n(word, __ATOMIC_RELAXED);
}
static inline void *swiftgc_atomic_load_pointer(void *const *slot) {
    return __atomic_load_n(slot, __ATOMIC_SEQ_CST);
}
static inline void swiftgc_atomic_store_pointer(void **slot, void *value) {
    __atomic_store_n(slot, value, __ATOMIC_SEQ_CST);
}
static inline uint8_t swiftgc_atomic_load_u8(const uint8_t *byte) {
    return __atomic_load_n(byte, __ATOMIC_SEQ_CST);
}
static inline void swiftgc_atomic_fence(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
/* Keeps the loads before it from moving after the loads that follow it
 * (a seqlock reader's check, see CacheEntry.claimSequence); free on x86. */
static inline void swiftgc_atomic_fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
static inline void swiftgc_atomic_fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_C_SHIM_H */
