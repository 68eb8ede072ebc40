/*
 * swiftgc.h — the C interface of SwiftGC, a conservative mark-sweep garbage
 * collector written in Embedded Swift.
 *
 * Link with -lswiftgc (pkg-config: swiftgc). Memory from gc_malloc and its
 * relatives is reclaimed automatically once no pointer to it can be found in
 * the roots: the stacks, registers and thread-local storage of every
 * registered thread, the writable data segments (.data and .bss) of the
 * executable and of every loaded shared library, ranges registered with
 * gc_add_roots, and, transitively, other reachable objects allocated by
 * gc_malloc, gc_calloc, gc_realloc or gc_malloc_uncollectable.
 *
 * Not scanned: memory from the system malloc, mmap or any other allocator,
 * unless it is registered with gc_add_roots; objects from gc_malloc_atomic.
 *
 * Pointers: a pointer to any byte of an object, or one byte past its end,
 * keeps the object alive (every object has one spare byte after its usable
 * size, so p + size never points into the next object). Pointers hidden by
 * arithmetic or XOR do not.
 *
 * Threads: a collection stops every registered thread and scans its stack,
 * registers and thread-local storage. Threads created with pthread_create
 * are registered before their start routine runs (its argument is a root
 * until then, and a joinable thread's result stays one until it is
 * joined); any other thread is registered at its first allocation, or with
 * gc_register_thread. Allocation is thread-safe.
 *
 * Errors: impossible requests return NULL and set errno to ENOMEM. Misuse
 * (freeing a pointer the collector never returned, an interior pointer, or
 * the same pointer twice) prints one line starting with "swiftgc:" on stderr
 * and leaves the heap intact; SWIFTGC_ABORT_ON_ERROR=1 turns it into abort().
 * A second free is detected only until the slot is allocated again; after
 * that it frees the new object, as with any allocator. Misuse leaves errno
 * unchanged.
 *
 * Options (SWIFTGC_MAX_HEAP=64M and others) are environment variables read
 * at the first call; README.md lists them.
 */
#ifndef SWIFTGC_H
#define SWIFTGC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Counters returned by gc_get_stats. All sizes are in bytes; object sizes
 * are the rounded-up slot sizes, not the requested sizes. bytes_in_use
 * changes only when a collection ends. heap_size counts neither metadata nor
 * memory returned to the OS. */
struct gc_stats {
    uint64_t heap_size;                 /* memory the heap holds from the OS now (committed spans) */
    uint64_t peak_heap_size;            /* largest heap_size seen */
    uint64_t bytes_in_use;              /* bytes of objects found live by the last collection */
    uint64_t bytes_allocated_since_collection; /* allocated since the last collection ended */
    uint64_t total_bytes_allocated;     /* allocated since start, including freed objects */
    uint64_t total_bytes_freed;         /* released by gc_free and gc_realloc */
    uint64_t total_bytes_reclaimed;     /* reclaimed by collections */
    uint64_t collections;               /* completed collections */
    uint64_t last_pause_ns;             /* duration of the last collection */
    uint64_t total_pause_ns;            /* sum of all collection durations */
    uint64_t max_pause_ns;              /* longest collection */
    uint64_t bytes_returned_to_os;      /* heap bytes currently given back with madvise */
    uint64_t metadata_size;             /* memory used by the collector's own tables, finalizer and weak-link tables included */
    uint64_t mark_stack_overflows;      /* times the mark stack overflowed and was recovered */
    uint64_t arena_bytes;               /* chunks of arenas (gc_arena_*), quarantined ones included; part of heap_size */
};

/* A finalizer: called with the object and the data given at registration. */
typedef void (*gc_finalizer)(void *object, void *data);

/* Return values of the weak-link registration functions (bdwgc's codes). */
#define SWIFTGC_SUCCESS 0      /* registered, moved */
#define SWIFTGC_DUPLICATE 1    /* the link was already registered; unchanged */
#define SWIFTGC_NO_MEMORY 2    /* the table could not grow */
#define SWIFTGC_NOT_FOUND 4    /* the link was not registered */
#define SWIFTGC_INVALID (-1)   /* NULL or misaligned link */

/* A type descriptor for gc_malloc_typed; see gc_make_descriptor. */
typedef uintptr_t gc_descriptor;

/* Orders for gc_register_finalizer_with_order. */
enum gc_finalization_order {
    /* Objects reachable from a finalizable object are finalized after it
     * (the default). Finalizable objects in a cycle are never finalized;
     * the first collection that finds such a cycle reports it on stderr. */
    gc_order_topological = 0,
    /* Like topological, but pointers from the object into itself are
     * ignored, so a self-referencing object is still finalized. */
    gc_order_ignore_self = 1,
    /* The object's pointers delay no other finalizer; it still waits while
     * another finalizable object reaches it. */
    gc_order_unordered = 2,
    /* Like unordered: its pointers delay no one; it waits until no other
     * finalizable object reaches it. */
    gc_order_unreachable = 3
};

#ifndef SWIFTGC_TYPES_ONLY

/* Allocates size bytes of collectable memory, zero-filled, 16-byte aligned.
 * The object is scanned for pointers. gc_malloc(0) returns a unique pointer.
 * Returns NULL with errno = ENOMEM if size is impossible or the heap limit
 * (SWIFTGC_MAX_HEAP) would be exceeded even after a collection. */
void *gc_malloc(size_t size);

/* Like gc_malloc, but the object is never scanned: store no pointers to
 * collected memory in it. The contents are NOT zeroed. */
void *gc_malloc_atomic(size_t size);

/* Like gc_malloc, but the object is never reclaimed by a collection; it is
 * scanned for pointers (it is a root) until it is released with gc_free. */
void *gc_malloc_uncollectable(size_t size);

/* Allocates count * size bytes like gc_malloc. Returns NULL with
 * errno = ENOMEM if the product overflows. */
void *gc_calloc(size_t count, size_t size);

/* Resizes the object ptr points to, keeping its kind (scanned, atomic or
 * uncollectable) and its contents up to the smaller size; bytes added to a
 * scanned object are zero. Returns ptr itself when the object is already big
 * enough (unless a large object, over 32 KiB, shrinks below half its size),
 * otherwise a new object, and the old one is freed.
 * gc_realloc(NULL, n) is gc_malloc(n). gc_realloc(ptr, 0) frees ptr and
 * returns NULL. If ptr is not the start of a live object, reports misuse and
 * returns NULL. On failure returns NULL with errno = ENOMEM and ptr stays
 * valid. Bytes added to an atomic object are not zeroed. */
void *gc_realloc(void *ptr, size_t size);

/* Frees an object early, for reuse before the next collection. Optional:
 * the collector reclaims it anyway once it is unreachable. NULL is a no-op.
 * ptr must be the start of a live object; anything else (an interior pointer,
 * a stack or libc pointer, a second free) is reported and ignored. */
void gc_free(void *ptr);

/* Returns the start of the live heap object that ptr points into (anywhere in
 * it, or one byte past its end), or NULL if ptr points into no live object. */
void *gc_base(const void *ptr);

/* Returns the usable size of the live object ptr points into, which is at
 * least the size requested (at least 15 for gc_malloc(0)), or 0 if ptr
 * points into no live object. */
size_t gc_size(const void *ptr);

/* Runs a full collection now, even while collections are disabled. */
void gc_collect(void);

/* Adds [start, end) as a root range: every aligned word in it is treated as a
 * possible pointer at each collection. Use it for memory that the collector
 * does not scan, such as blocks from the system malloc. Bounds are rounded
 * inward to word alignment; a range that is empty or reversed after rounding
 * is reported and ignored. Adding the same range twice keeps one copy;
 * overlapping ranges are kept as given (overlaps are scanned twice, which is
 * harmless). At most 8192 ranges. Pages of a range that stop being
 * readable (unmapped, PROT_NONE, the data of a library closed since) are
 * skipped, with one "swiftgc:" line when that is first seen; the range stays
 * registered and is scanned again once readable. */
void gc_add_roots(void *start, void *end);

/* Removes every root range added with gc_add_roots that lies entirely within
 * [start, end). */
void gc_remove_roots(void *start, void *end);

/* Stops automatic collections until the matching gc_enable. Calls nest: after
 * n calls to gc_disable, n calls to gc_enable are needed. While disabled, the
 * heap grows instead; gc_collect still collects. */
void gc_disable(void);
void gc_enable(void);

/* Copies the current counters into *out. */
void gc_get_stats(struct gc_stats *out);

/* Mostly-concurrent cycles completed so far (SWIFTGC_CONCURRENT=1): a
 * background thread marked while the program ran, between a short start
 * pause and a short final pause. 0 when concurrent marking is off or not
 * available (no usable dirty-page backend, the preload library); those
 * collections stop the world. Cycles also count in gc_stats.collections. */
uint64_t gc_concurrent_cycles(void);

/* Turns mostly-concurrent marking on now, as SWIFTGC_CONCURRENT=1 does at
 * start-up. Returns 1 if it is on, 0 if it cannot be: no usable dirty-page
 * backend (one swiftgc: line says which was found), or the preload library.
 * bdwgc's GC_enable_incremental calls it. */
int gc_enable_concurrent(void);

/* 1 while mostly-concurrent marking is on (bdwgc's GC_is_incremental_mode). */
int gc_is_concurrent(void);

/* Does a slice of the collection in progress on the calling thread: a
 * marking slice of a concurrent cycle or a slice of its lazy sweep.
 * Returns 1 while work is left, 0 when none is in progress (bdwgc's
 * GC_collect_a_little). Never starts a collection. */
int gc_collect_a_little(void);

/* Registers the calling thread, so that collections stop it and scan its
 * registers, stack and thread-local storage. Needed only for threads not
 * created with pthread_create that hold pointers to collected objects
 * before their first allocation (a thread is registered at its first
 * allocation anyway). Registering twice is harmless. */
void gc_register_thread(void);

/* Unregisters the calling thread; it must not hold the only pointers to
 * collected objects afterwards. Threads registered automatically are
 * unregistered when they exit. */
void gc_unregister_thread(void);

/* Sets the heap limit in bytes, as SWIFTGC_MAX_HEAP does; 0 means no limit.
 * A limit below the current heap does not shrink it; allocations beyond the
 * limit fail after a collection. */
void gc_set_max_heap_size(size_t bytes);

/* Returns 1 while automatic collections are disabled (gc_disable), else 0. */
int gc_is_disabled(void);

/* The signals that stop and restart threads for a collection
 * (SWIFTGC_SUSPEND_SIGNAL, SWIFTGC_RESTART_SIGNAL). */
int gc_get_suspend_signal(void);
int gc_get_restart_signal(void);

/* The name of the dirty-page backend that concurrent marking would use:
 * "uffd", "soft-dirty", "mprotect" or "none" (collections stop the world
 * for all of their marking). The first call chooses it, once per process:
 * the backend SWIFTGC_DIRTY_PAGES names, or for "auto" (the default) the
 * first of uffd, soft-dirty and mprotect, each only if its self-test on a
 * scratch mapping passes. A backend named by SWIFTGC_DIRTY_PAGES that
 * fails prints one "swiftgc:" line and the choice falls back as "auto"
 * would. The string is static; thread-safe (a second caller waits for the
 * first choice). */
const char *gc_dirty_pages_backend(void);

/* ---- Arenas ----------------------------------------------------------------
 * An arena (a region) hands out objects by bumping a pointer and frees them
 * all at once: gc_arena_reset keeps its memory for reuse, gc_arena_destroy
 * returns it. Arena memory comes from the collected heap, in chunks.
 *
 * The collector never frees an arena object by itself. The memory of
 * gc_arena_malloc objects is scanned as a root by every collection, so
 * collected objects that only arena objects point to stay alive;
 * gc_arena_malloc_atomic memory is never scanned. gc_free, gc_realloc,
 * gc_base and gc_size do not take arena objects (gc_base gives NULL,
 * gc_size 0; gc_free and gc_realloc report misuse and change nothing).
 *
 * Threads: an arena may be used by one thread at a time (hand it over with
 * the program's own synchronisation); any number of threads may each use
 * their own arenas, beside allocations and collections on other threads.
 * A thread that uses an arena must be registered (gc_arena_create and the
 * first chunk register the calling thread; threads from pthread_create are
 * registered anyway). After fork the child keeps every arena.
 *
 * Dangling pointers: freeing an arena while something still points into
 * it is the classic arena bug. gc_arena_check finds those pointers; with
 * SWIFTGC_ARENA_CHECK=1, every reset and destroy runs it first and, if it
 * finds any, quarantines the arena's memory (it reads as zeros and is never
 * reused, so the bug cannot corrupt later data) instead of freeing it, and
 * says so in one "swiftgc:" line (SWIFTGC_ABORT_ON_ERROR=1 aborts instead).
 *
 * Misuse (a NULL, destroyed or junk arena pointer) prints one "swiftgc:"
 * line; the call then does nothing and returns NULL or 0. A destroyed arena
 * is recognised until gc_arena_create reuses its record. */
typedef struct gc_arena gc_arena;

/* A new, empty arena, or NULL with ENOMEM. */
gc_arena *gc_arena_create(void);

/* size bytes from the arena, zeroed, 16-byte aligned, scanned for pointers
 * to collected objects until the arena is reset or destroyed. 0 bytes give
 * a unique pointer. NULL with ENOMEM when the heap limit or the address
 * space is reached or the size is impossible. Requests above 32 KiB get a
 * chunk of their own. The fast path is a bump, without a lock. */
void *gc_arena_malloc(gc_arena *arena, size_t size);

/* As gc_arena_malloc, but the memory is never scanned (it must not hold the
 * only pointers to collected objects) and is not zeroed. */
void *gc_arena_malloc_atomic(gc_arena *arena, size_t size);

/* Frees every object of the arena at once. Its chunks stay with it for
 * reuse (scanned ones are cleared); chunks of large requests are returned. */
void gc_arena_reset(gc_arena *arena);

/* Frees every object and the arena itself; the memory goes back to the heap
 * (and, for an arena of 1 MiB or more, to the OS at once). */
void gc_arena_destroy(gc_arena *arena);

/* Counts the words that point into the arena's memory: words in roots
 * (stacks, registers, data segments, gc_add_roots ranges, other arenas'
 * scanned memory) and in collected objects reachable from them, found by
 * the marking phase of a collection run with this arena's own memory left
 * out as a root. Prints up to 10 of them, each as one "swiftgc:" line that
 * says where the word is (the kind of root, or which object at which
 * offset) and where in the arena it points. Conservative: an integer that
 * happens to look like such a pointer counts. Frees nothing; stops the
 * world for about a collection's marking. Returns 0 for a bad arena. */
size_t gc_arena_check(gc_arena *arena);

/* ---- Typed allocation ----------------------------------------------------
 * Objects scanned only at the words a bitmap marks as pointers: the other
 * words (numbers, hashes, hidden pointers) never retain anything. */

/* Makes a descriptor from word_count bits of bitmap: bit i (bit i % 64 of
 * bitmap[i / 64]) set means word i of the object may hold a pointer.
 * Descriptors are never freed; make each one once. Returns 0 (every word
 * is a pointer) if memory for a long bitmap cannot be found. */
gc_descriptor gc_make_descriptor(const uintptr_t *bitmap, size_t word_count);

/* Allocates size bytes, zeroed, scanned only at the descriptor's pointer
 * words; words past the bitmap's length are never scanned. A descriptor
 * with no pointer bits gives gc_malloc_atomic memory (not zeroed).
 * gc_realloc of a typed object returns an object scanned everywhere. */
void *gc_malloc_typed(size_t size, gc_descriptor descriptor);

/* Allocates count elements of element_size bytes, zeroed; the descriptor
 * describes one element and applies to each. NULL with ENOMEM on overflow. */
void *gc_calloc_typed(size_t count, size_t element_size, gc_descriptor descriptor);

/* ---- Finalizers ----------------------------------------------------------
 * A finalizer runs once, after the collection that finds its object
 * unreachable, and it receives the object: the object survives that
 * collection (with everything it reaches) and is reclaimed by a later one
 * unless the finalizer stored it somewhere reachable ("resurrection"). The
 * registration is consumed when the finalizer is queued; register again to
 * be finalized again.
 *
 * Order: if finalizable A reaches finalizable B, B's finalizer runs only
 * after A has been finalized and reclaimed (one collection later at least).
 * Finalizable objects in a cycle are never finalized (see the orders).
 *
 * When: queued finalizers run outside the collector's lock, on the thread
 * whose allocation or gc_collect call ran the collection, just before that
 * call returns. With gc_set_finalize_on_demand(1) they run only in
 * gc_run_finalizers. A finalizer may allocate, collect and register
 * finalizers; it never runs inside another finalizer on the same thread.
 *
 * data is a root while the registration lasts: it is kept alive, so it
 * must not be (or reach) the object itself, or the object never dies. */

/* Registers fn(object, data) as object's finalizer (topological order),
 * replacing any earlier one; fn NULL removes it. object must point into a
 * live heap object (its start is used); anything else is ignored. Freeing
 * the object with gc_free removes its finalizer. */
void gc_register_finalizer(void *object, gc_finalizer fn, void *data);

/* Like gc_register_finalizer with an order (enum gc_finalization_order).
 * If previous_fn / previous_data are not NULL they receive the finalizer
 * replaced or removed (NULL if none). */
void gc_register_finalizer_with_order(void *object, gc_finalizer fn, void *data, int order,
                                      gc_finalizer *previous_fn, void **previous_data);

/* Runs the queued finalizers now on this thread and returns how many ran
 * (0 if another thread is running them). */
int gc_run_finalizers(void);

/* Returns how many finalizers are queued and not yet run. */
size_t gc_pending_finalizers(void);

/* Queues every registered finalizer, reachable or not, and runs the queue
 * (for use at exit). */
void gc_finalize_all(void);

/* on_demand != 0: finalizers run only in gc_run_finalizers (and the
 * notifier, if set, is called after collections that queue some);
 * 0 (the default): they run when the triggering call returns. */
void gc_set_finalize_on_demand(int on_demand);
int gc_get_finalize_on_demand(void);
void gc_set_finalizer_notifier(void (*notifier)(void));
void (*gc_get_finalizer_notifier(void))(void);

/* ---- Weak links ----------------------------------------------------------
 * A weak link is a pointer-sized location the collector sets to NULL when
 * a target object dies. It does not keep the target alive, so it must not
 * be scanned: put it in gc_malloc_atomic memory, system malloc memory, or
 * memory that is not a root; a link inside a scanned object or a data
 * segment would keep its own target alive (unless the pointer is hidden
 * with ~, as bdwgc programs do). link must be 8-byte aligned.
 *
 * Short links (gc_register_weak_link) are cleared by the first collection
 * that finds the target unreachable, before finalizers are ordered: even if
 * the target survives that collection to be finalized. Long links are
 * cleared exactly when the target is reclaimed: after finalization, if the
 * target is not being finalized. A link is never cleared while its target
 * is reachable. Targets outside the heap are never cleared. A link lying
 * inside a heap object is forgotten when that object is reclaimed.
 * Clearing a link also unregisters it. */

/* Registers link for object (any pointer into it; the link's current value
 * does not matter). Returns SWIFTGC_SUCCESS, SWIFTGC_DUPLICATE (link
 * already registered: unchanged), SWIFTGC_NO_MEMORY or SWIFTGC_INVALID. */
int gc_register_weak_link(void **link, const void *object);
int gc_register_long_weak_link(void **link, const void *object);

/* Unregisters link; returns 1 if it was registered, else 0. */
int gc_unregister_weak_link(void **link);
int gc_unregister_long_weak_link(void **link);

/* Moves the registration of link to new_link, keeping its target. Returns
 * SWIFTGC_SUCCESS, SWIFTGC_NOT_FOUND (link not registered),
 * SWIFTGC_DUPLICATE (new_link already registered) or SWIFTGC_NO_MEMORY. */
int gc_move_weak_link(void **link, void **new_link);
int gc_move_long_weak_link(void **link, void **new_link);

#endif /* SWIFTGC_TYPES_ONLY */

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_H */
