/*
 * gc/gc_hooks.h — the part of bdwgc 8.2's gc.h through which a runtime takes
 * part in collections: event callbacks, toggle-refs, the abort and
 * await-finalize hooks, the allocation lock and heap enumeration, stack
 * bottoms, byte accounting and a few settings. Included by gc/gc.h; its
 * functions are in Sources/_CSwiftGCBoehm/boehm_events.c, boehm_lock.c,
 * boehm_toggle_references.c, boehm_accounting.c and boehm_diagnostics.c. README.md, "Differences
 * from bdwgc", says where SwiftGC's behaviour differs.
 */
#ifndef SWIFTGC_BOEHM_GC_HOOKS_H
#define SWIFTGC_BOEHM_GC_HOOKS_H

#ifndef SWIFTGC_BOEHM_GC_H
#error "include gc.h, not gc_hooks.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Collection and thread events ----
 * Called with the allocation lock held; a callback must not allocate.
 * SwiftGC reports START, the stop- and start-world pairs, MARK_START (once
 * the world is stopped) and END (the world runs again), in that order, and
 * each thread's SUSPENDED and UNSUSPENDED as its signal is sent; it does
 * not report MARK_END or the RECLAIM pair. */
typedef enum {
    GC_EVENT_START,
    GC_EVENT_MARK_START,
    GC_EVENT_MARK_END,
    GC_EVENT_RECLAIM_START,
    GC_EVENT_RECLAIM_END,
    GC_EVENT_END,
    GC_EVENT_PRE_STOP_WORLD,
    GC_EVENT_POST_STOP_WORLD,
    GC_EVENT_PRE_START_WORLD,
    GC_EVENT_POST_START_WORLD,
    GC_EVENT_THREAD_SUSPENDED,
    GC_EVENT_THREAD_UNSUSPENDED
} GC_EventType;
typedef void (*GC_on_collection_event_proc)(GC_EventType event);
void GC_set_on_collection_event(GC_on_collection_event_proc callback);
GC_on_collection_event_proc GC_get_on_collection_event(void);
/* thread is the pthread_t of the thread the event concerns. */
typedef void (*GC_on_thread_event_proc)(GC_EventType event, void *thread);
void GC_set_on_thread_event(GC_on_thread_event_proc callback);
GC_on_thread_event_proc GC_get_on_thread_event(void);
/* Called at the end of a collection whose heap size differs from the size
 * last reported, with the new size in bytes. */
typedef void (*GC_on_heap_resize_proc)(GC_word new_size);
void GC_set_on_heap_resize(GC_on_heap_resize_proc callback);
GC_on_heap_resize_proc GC_get_on_heap_resize(void);
extern GC_on_heap_resize_proc GC_on_heap_resize; /* the same callback, as a variable (deprecated in bdwgc) */

/* ---- Toggle-refs ----
 * At the start of each collection (allocation lock held, world running)
 * the callback decides for each registered object: DROP forgets it, STRONG
 * keeps it alive, WEAK lets it go if nothing else reaches it. */
typedef enum { GC_TOGGLE_REF_DROP, GC_TOGGLE_REF_STRONG, GC_TOGGLE_REF_WEAK } GC_ToggleRefStatus;
typedef GC_ToggleRefStatus (*GC_toggleref_func)(void *object);
void GC_set_toggleref_func(GC_toggleref_func callback);
GC_toggleref_func GC_get_toggleref_func(void);
/* GC_SUCCESS, or GC_NO_MEMORY. */
int GC_toggleref_add(void *object, int is_strong);

/* ---- Abort and finalization hooks ---- */
typedef void (*GC_abort_func)(const char *message);
void GC_set_abort_func(GC_abort_func callback);
GC_abort_func GC_get_abort_func(void);
/* The current abort function (prints the message to stderr by default);
 * bdwgc's ABORT calls it before abort(). SwiftGC never aborts through it:
 * misuse prints one swiftgc: line and continues. */
extern GC_abort_func GC_on_abort;
/* Called, lock held and world stopped, for each unreachable object whose
 * finalizer a collection queues. */
typedef void (*GC_await_finalize_proc)(void *object);
void GC_set_await_finalize_proc(GC_await_finalize_proc callback);
GC_await_finalize_proc GC_get_await_finalize_proc(void);

/* ---- The allocation lock and heap enumeration ----
 * GC_alloc_lock takes the heap lock: no collection runs until
 * GC_alloc_unlock, and the holder must not allocate. */
void GC_alloc_lock(void);
void GC_alloc_unlock(void);
typedef void (*GC_reachable_object_proc)(void *object, size_t bytes, void *data);
/* Every allocated object still live after the last collection, with its
 * GC_size; call with the allocation lock held. */
void GC_enumerate_reachable_objects_inner(GC_reachable_object_proc proc, void *data);
/* The usable bytes of an i-byte request; (size_t)-1 if i is out of range. */
size_t GC_get_size_map_at(int i);

/* ---- Stack bottoms ----
 * GC_get_my_stackbottom fills in the calling thread's stack base and
 * returns a handle for it; GC_set_stackbottom is accepted without effect
 * (SwiftGC finds each registered thread's stack itself). */
void *GC_get_my_stackbottom(struct GC_stack_base *stack_base);
void GC_set_stackbottom(void *thread_handle, const struct GC_stack_base *stack_base);

/* ---- Byte accounting ----
 * Bytes allocated or freed outside the collector's knowledge: counted in
 * GC_get_bytes_since_gc and GC_get_expl_freed_bytes_since_gc until the
 * next collection starts (they do not change pacing). */
void GC_incr_bytes_allocd(size_t bytes);
void GC_incr_bytes_freed(size_t bytes);

/* ---- Settings ---- */
struct GC_timeval_s {
    unsigned long tv_ms;
    unsigned long tv_nsec;
};
/* Stored and returned without effect, like GC_set_time_limit. */
void GC_set_time_limit_tv(struct GC_timeval_s limit);
struct GC_timeval_s GC_get_time_limit_tv(void);
/* Accepted without effect: SwiftGC keeps the signals it chose (the getters
 * in gc.h return them). */
void GC_set_suspend_signal(int signal_number);
void GC_set_thr_restart_signal(int signal_number);
/* From now on, GC_get_full_gc_total_time counts the time spent collecting. */
void GC_start_performance_measurement(void);
#define GC_PROTECTS_POINTER_HEAP 1
#define GC_PROTECTS_PTRFREE_HEAP 2
#define GC_PROTECTS_STATIC_DATA 4
#define GC_PROTECTS_STACK 8
#define GC_PROTECTS_NONE 0
/* GC_PROTECTS_NONE unless concurrent marking runs on the mprotect
 * dirty-page backend (userfaultfd and soft-dirty bits never make a system
 * call writing into the heap fail). */
int GC_incremental_protection_needs(void);
/* Never called: GC_is_visible and GC_is_valid_displacement accept every
 * pointer. */
extern void (*GC_is_visible_print_proc)(void *pointer);
extern void (*GC_is_valid_displacement_print_proc)(void *pointer);
extern void (*GC_same_obj_print_proc)(void *pointer, void *other);

/* ---- Diagnostics and rarely used calls (boehm_diagnostics.c) ---- */
void GC_abort_on_oom(void);                       /* GC_on_abort, then abort() */
void GC_dump_named(const char *name);             /* GC_dump's summary line */
void GC_dump_regions(void);
void GC_dump_finalization(void);                  /* the number of finalizers ready */
void GC_print_free_list(int kind, size_t granules); /* says there are no free lists */
void *GC_pre_incr(void **pointer, ptrdiff_t bytes);  /* unchecked: *pointer += bytes */
void *GC_post_incr(void **pointer, ptrdiff_t bytes);
extern size_t GC_debug_header_size;               /* 0 */
/* Accepted without effect: every data segment is scanned, nothing is
 * excluded, and no debug output describes objects. */
void GC_clear_exclusion_table(void);
int GC_is_tmp_root(void *pointer);                /* 0 */
typedef int (*GC_has_static_roots_func)(const char *library, void *section_start, size_t section_size);
void GC_register_has_static_roots_callback(GC_has_static_roots_func filter);
#define GC_TYPE_DESCR_LEN 40
typedef void (*GC_describe_type_fn)(void *object, char *description);
void GC_register_describe_type_fn(int kind, GC_describe_type_fn describe);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_BOEHM_GC_HOOKS_H */
