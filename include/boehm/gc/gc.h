/*
 * gc/gc.h — SwiftGC's compatibility header for programs written against the
 * Boehm-Demers-Weiser collector (bdwgc 8.2). Compile with
 * `pkg-config --cflags --libs swiftgc-boehm` (or -I<prefix>/include/swiftgc-boehm
 * -lswiftgc) and the program runs on SwiftGC unchanged.
 *
 * Every GC_* function here is a thin forwarder onto the native API in
 * swiftgc.h (included below), and behaves as bdwgc documents it, except
 * where README.md, "Differences from bdwgc", says otherwise. With GC_DEBUG
 * defined, the GC_MALLOC family of macros calls the GC_debug_* functions,
 * which record the caller's file and line for misuse messages.
 */
#ifndef SWIFTGC_BOEHM_GC_H
#define SWIFTGC_BOEHM_GC_H

#include <stddef.h>
#include "../../swiftgc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GC_VERSION_MAJOR 8
#define GC_VERSION_MINOR 2
#define GC_VERSION_MICRO 2
#define SWIFTGC_BOEHM_COMPATIBILITY 1

typedef unsigned long GC_word;
typedef long GC_signed_word;
typedef void *GC_PTR;

#define GC_API extern
#define GC_CALL
#define GC_CALLBACK

/* Result codes. */
#define GC_SUCCESS 0
#define GC_DUPLICATE 1
#define GC_NO_MEMORY 2
#define GC_UNIMPLEMENTED 3
#define GC_NOT_FOUND 4

/* ---- Initialisation and allocation ---- */
void GC_init(void);
int GC_is_init_called(void);
void *GC_malloc(size_t size);
void *GC_malloc_atomic(size_t size);
void *GC_malloc_uncollectable(size_t size);
void *GC_malloc_atomic_uncollectable(size_t size);
void *GC_malloc_ignore_off_page(size_t size);
void *GC_malloc_atomic_ignore_off_page(size_t size);
void *GC_realloc(void *object, size_t size);
void GC_free(void *object);
char *GC_strdup(const char *string);
char *GC_strndup(const char *string, size_t size);
void *GC_memalign(size_t alignment, size_t size);
int GC_posix_memalign(void **result, size_t alignment, size_t size);
/* A list of objects of size bytes linked through their first word (GC_NEXT). */
void *GC_malloc_many(size_t size);
#define GC_NEXT(p) (*(void **)(p))

/* ---- Queries ---- */
void *GC_base(void *pointer);
size_t GC_size(const void *object);
int GC_is_heap_ptr(const void *pointer);
void *GC_same_obj(void *pointer, void *other);
void *GC_is_visible(void *pointer);
void *GC_is_valid_displacement(void *pointer);

/* ---- Collection control ---- */
typedef int (*GC_stop_func)(void);
void GC_gcollect(void);
void GC_gcollect_and_unmap(void);
int GC_try_to_collect(GC_stop_func stop);
int GC_collect_a_little(void);
void GC_enable(void);
void GC_disable(void);
int GC_is_disabled(void);
int GC_expand_hp(size_t bytes);
void GC_set_max_heap_size(GC_word bytes);
void GC_set_free_space_divisor(GC_word divisor);
GC_word GC_get_free_space_divisor(void);
void GC_set_dont_expand(int value);
void GC_set_full_freq(int value);
void GC_set_time_limit(unsigned long value);
void GC_set_max_retries(GC_word value);
void GC_set_force_unmap_on_gcollect(int value);
void GC_set_dont_precollect(int value);
void GC_set_no_dls(int value);
int GC_get_no_dls(void);
int GC_get_dont_expand(void);
int GC_get_full_freq(void);
unsigned long GC_get_time_limit(void);
GC_word GC_get_max_retries(void);
void GC_set_non_gc_bytes(GC_word value);
GC_word GC_get_non_gc_bytes(void);
void GC_set_use_entire_heap(int value);
int GC_get_use_entire_heap(void);

/* ---- Roots ---- */
void GC_add_roots(void *low, void *high_plus_one);
void GC_remove_roots(void *low, void *high_plus_one);
void GC_clear_roots(void);
void GC_exclude_static_roots(void *low, void *high_plus_one);

/* ---- Finalization ---- */
typedef void (*GC_finalization_proc)(void *object, void *client_data);
void GC_register_finalizer(void *object, GC_finalization_proc fn, void *client_data,
                           GC_finalization_proc *previous_fn, void **previous_data);
void GC_register_finalizer_ignore_self(void *object, GC_finalization_proc fn, void *client_data,
                                       GC_finalization_proc *previous_fn, void **previous_data);
void GC_register_finalizer_no_order(void *object, GC_finalization_proc fn, void *client_data,
                                    GC_finalization_proc *previous_fn, void **previous_data);
void GC_register_finalizer_unreachable(void *object, GC_finalization_proc fn, void *client_data,
                                       GC_finalization_proc *previous_fn, void **previous_data);
int GC_invoke_finalizers(void);
int GC_should_invoke_finalizers(void);
void GC_finalize_all(void);
void GC_set_finalize_on_demand(int value);
int GC_get_finalize_on_demand(void);
typedef void (*GC_finalizer_notifier_proc)(void);
void GC_set_finalizer_notifier(GC_finalizer_notifier_proc notifier);
GC_finalizer_notifier_proc GC_get_finalizer_notifier(void);
void GC_set_java_finalization(int value);
int GC_get_java_finalization(void);

/* ---- Weak links ("disappearing links") ---- */
int GC_register_disappearing_link(void **link);
int GC_general_register_disappearing_link(void **link, const void *object);
int GC_unregister_disappearing_link(void **link);
int GC_move_disappearing_link(void **link, void **new_link);
int GC_register_long_link(void **link, const void *object);
int GC_unregister_long_link(void **link);
int GC_move_long_link(void **link, void **new_link);

/* Hidden pointers: not recognised as pointers by the collector. */
typedef GC_word GC_hidden_pointer;
#define GC_HIDE_POINTER(p) (~(GC_hidden_pointer)(p))
#define GC_REVEAL_POINTER(p) ((void *)GC_HIDE_POINTER(p))
#define HIDE_POINTER(p) GC_HIDE_POINTER(p)
#define REVEAL_POINTER(p) GC_REVEAL_POINTER(p)

/* ---- Threads ---- */
struct GC_stack_base {
    void *mem_base; /* the hot end of the stack (its highest address) */
};
typedef void *(*GC_fn_type)(void *client_data);
typedef void *(*GC_stack_base_func)(struct GC_stack_base *stack_base, void *client_data);
int GC_register_my_thread(const struct GC_stack_base *stack_base);
int GC_unregister_my_thread(void);
void GC_allow_register_threads(void);
int GC_thread_is_registered(void);
int GC_get_stack_base(struct GC_stack_base *stack_base);
void *GC_call_with_stack_base(GC_stack_base_func fn, void *client_data);
void *GC_do_blocking(GC_fn_type fn, void *client_data);
void *GC_call_with_gc_active(GC_fn_type fn, void *client_data);
void *GC_call_with_alloc_lock(GC_fn_type fn, void *client_data);
int GC_get_suspend_signal(void);
int GC_get_thr_restart_signal(void);
void GC_start_mark_threads(void);
void *GC_dlopen(const char *path, int mode);
#include <pthread.h>
#include <signal.h>
int GC_pthread_create(pthread_t *thread, const pthread_attr_t *attributes,
                      void *(*start)(void *), void *argument);
int GC_pthread_join(pthread_t thread, void **result);
int GC_pthread_detach(pthread_t thread);
void GC_pthread_exit(void *result) __attribute__((noreturn));

/* ---- Statistics ---- */
struct GC_prof_stats_s {
    GC_word heapsize_full;
    GC_word free_bytes_full;
    GC_word unmapped_bytes;
    GC_word bytes_allocd_since_gc;
    GC_word allocd_bytes_before_gc;
    GC_word non_gc_bytes;
    GC_word gc_no;
    GC_word markers_m1;
    GC_word bytes_reclaimed_since_gc;
    GC_word reclaimed_bytes_before_gc;
    GC_word expl_freed_bytes_since_gc;
    GC_word obtained_from_os_bytes;
};
size_t GC_get_heap_size(void);
size_t GC_get_free_bytes(void);
size_t GC_get_unmapped_bytes(void);
size_t GC_get_total_bytes(void);
size_t GC_get_bytes_since_gc(void);
size_t GC_get_expl_freed_bytes_since_gc(void);
GC_word GC_get_gc_no(void);
void GC_get_heap_usage_safe(GC_word *heap_size, GC_word *free_bytes, GC_word *unmapped_bytes,
                            GC_word *bytes_since_gc, GC_word *total_bytes);
size_t GC_get_prof_stats(struct GC_prof_stats_s *stats, size_t size);
unsigned GC_get_version(void);

/* ---- Warnings and out of memory ---- */
typedef void (*GC_warn_proc)(char *message, GC_word argument);
void GC_set_warn_proc(GC_warn_proc proc);
GC_warn_proc GC_get_warn_proc(void);
typedef void *(*GC_oom_func)(size_t bytes_requested);
void GC_set_oom_fn(GC_oom_func fn);
GC_oom_func GC_get_oom_fn(void);

/* ---- Pointer validity, incremental mode, leak finding (accepted) ---- */
void GC_set_all_interior_pointers(int value);
int GC_get_all_interior_pointers(void);
void GC_register_displacement(size_t offset);
void GC_enable_incremental(void);
int GC_is_incremental_mode(void);
void GC_set_find_leak(int value);
int GC_get_find_leak(void);

/* ---- Other ---- */
void GC_dump(void);
typedef void (*GC_start_callback_proc)(void);
void GC_set_start_callback(GC_start_callback_proc fn);
GC_start_callback_proc GC_get_start_callback(void);
/* Less common calls (boehm_accepted.c). Statistics: */
size_t GC_get_memory_use(void);                 /* bytes in objects: live at the last collection + allocated since */
GC_word GC_get_obtained_from_os_bytes(void);    /* heap, returned pages and the collector's tables */
unsigned long GC_get_full_gc_total_time(void);  /* ms collecting since GC_start_performance_measurement; 0 before */
size_t GC_get_prof_stats_unsafe(struct GC_prof_stats_s *stats, size_t size);
int GC_get_parallel(void);                      /* 0: one marker */
/* Allocation: GC_malloc_kind is GC_generic_malloc (gc_mark.h). */
void *GC_malloc_kind(size_t size, int kind);
void *GC_malloc_kind_global(size_t size, int kind);
void *GC_malloc_stubborn(size_t size);
/* Stored and returned, without effect (no incremental mode, no abandoned
 * collections, one marker; SwiftGC paces finalization its own way). */
void GC_set_allocd_bytes_per_finalizer(GC_word value);
GC_word GC_get_allocd_bytes_per_finalizer(void);
void GC_set_stop_func(GC_stop_func stop);
GC_stop_func GC_get_stop_func(void);
void GC_set_rate(int value);
int GC_get_rate(void);
void GC_set_max_prior_attempts(int value);
int GC_get_max_prior_attempts(void);
void GC_set_manual_vdb_allowed(int value);
int GC_get_manual_vdb_allowed(void);
void GC_start_incremental_collection(void);
void GC_set_disable_automatic_collection(int value);
int GC_get_disable_automatic_collection(void);
void GC_set_min_bytes_allocd(size_t value);
size_t GC_get_min_bytes_allocd(void);
void GC_set_pages_executable(int value);
int GC_get_pages_executable(void);
int GC_get_force_unmap_on_gcollect(void);
int GC_get_dont_precollect(void);
void GC_set_markers_count(unsigned count);
/* Threads and fork: SwiftGC handles fork itself, so these do nothing. */
void GC_set_handle_fork(int value);
void GC_atfork_prepare(void);
void GC_atfork_parent(void);
void GC_atfork_child(void);
void GC_register_altstack(void *stack, GC_word stack_size, void *alternate_stack, GC_word alternate_size);
int GC_pthread_sigmask(int how, const sigset_t *set, sigset_t *old_set);
int GC_pthread_cancel(pthread_t thread);
void GC_deinit(void);
/* Helpers. */
void GC_noop1(GC_word value);
void GC_ignore_warn_proc(char *message, GC_word argument);
void GC_set_log_fd(int descriptor);
void GC_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
void GC_err_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));
void GC_log_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

extern void *GC_least_plausible_heap_addr;
extern void *GC_greatest_plausible_heap_addr;

/* ---- Variables, as bdwgc exports them ----
 * A program may set these directly; the collector reads them when a
 * collection is about to start and when it paces collections. */
extern int GC_dont_gc;                  /* nonzero: no collection runs at all, not even GC_gcollect */
extern int GC_all_interior_pointers;    /* 0: GC_generic_malloc_many/GC_malloc_many objects get no padding byte */
extern int GC_java_finalization;        /* always behaves as 1 */
extern int GC_finalize_on_demand;       /* nonzero: finalizers run only in GC_invoke_finalizers */
extern GC_finalizer_notifier_proc GC_finalizer_notifier; /* told when finalizers become ready */
extern GC_word GC_free_space_divisor;   /* set (not 3): collect after allocating live bytes / divisor */
extern GC_oom_func GC_oom_fn;           /* called when an allocation fails; its result is returned */
extern GC_word GC_gc_no;                /* collections so far (read only), counted once their roots are marked */
/* Accepted without effect. */
extern int GC_no_dls;
extern GC_word GC_max_retries;
extern int GC_dont_expand;
extern int GC_full_freq;
extern GC_word GC_non_gc_bytes;
extern int GC_print_stats;
extern int GC_use_entire_heap;
extern int GC_find_leak;
extern int GC_dont_precollect;
extern unsigned long GC_time_limit;
extern int GC_parallel;
extern char *GC_stackbottom;
#define SWIFTGC_BOEHM_DEFAULT_FREE_SPACE_DIVISOR 3

/* ---- Debugging allocation (GC_DEBUG) ----
 * The same objects as the plain functions; SwiftGC adds no header. The
 * caller's file and line (GC_EXTRAS) name the call in misuse messages
 * (such as freeing a pointer SwiftGC did not allocate). */
#define GC_EXTRAS __FILE__, __LINE__
#define GC_EXTRA_PARAMS const char *file, int line
void *GC_debug_malloc(size_t size, GC_EXTRA_PARAMS);
void *GC_debug_malloc_atomic(size_t size, GC_EXTRA_PARAMS);
void *GC_debug_malloc_uncollectable(size_t size, GC_EXTRA_PARAMS);
void *GC_debug_malloc_atomic_uncollectable(size_t size, GC_EXTRA_PARAMS);
void *GC_debug_malloc_ignore_off_page(size_t size, GC_EXTRA_PARAMS);
void *GC_debug_malloc_atomic_ignore_off_page(size_t size, GC_EXTRA_PARAMS);
void *GC_debug_malloc_stubborn(size_t size, GC_EXTRA_PARAMS);
void *GC_debug_realloc(void *object, size_t size, GC_EXTRA_PARAMS);
void GC_debug_free(void *object);
char *GC_debug_strdup(const char *string, GC_EXTRA_PARAMS);
char *GC_debug_strndup(const char *string, size_t size, GC_EXTRA_PARAMS);
void *GC_debug_malloc_replacement(size_t size);
void *GC_debug_realloc_replacement(void *object, size_t size);
void GC_debug_change_stubborn(const void *object);
void GC_debug_end_stubborn_change(const void *object);
void GC_debug_ptr_store_and_dirty(void *slot, const void *value);
void GC_debug_register_displacement(size_t offset);
void GC_debug_register_finalizer(void *object, GC_finalization_proc fn, void *client_data,
                                 GC_finalization_proc *previous_fn, void **previous_data);
void GC_debug_register_finalizer_ignore_self(void *object, GC_finalization_proc fn, void *client_data,
                                             GC_finalization_proc *previous_fn, void **previous_data);
void GC_debug_register_finalizer_no_order(void *object, GC_finalization_proc fn, void *client_data,
                                          GC_finalization_proc *previous_fn, void **previous_data);
void GC_debug_register_finalizer_unreachable(void *object, GC_finalization_proc fn, void *client_data,
                                             GC_finalization_proc *previous_fn, void **previous_data);
void GC_end_stubborn_change(const void *object);
void GC_change_stubborn(const void *object);
void GC_ptr_store_and_dirty(void *slot, const void *value);

/* ---- Macros, as bdwgc defines them ---- */
#define GC_INIT() GC_init()
#ifdef GC_DEBUG
#define GC_MALLOC(n) GC_debug_malloc(n, GC_EXTRAS)
#define GC_MALLOC_ATOMIC(n) GC_debug_malloc_atomic(n, GC_EXTRAS)
#define GC_MALLOC_UNCOLLECTABLE(n) GC_debug_malloc_uncollectable(n, GC_EXTRAS)
#define GC_MALLOC_ATOMIC_UNCOLLECTABLE(n) GC_debug_malloc_atomic_uncollectable(n, GC_EXTRAS)
#define GC_MALLOC_IGNORE_OFF_PAGE(n) GC_debug_malloc_ignore_off_page(n, GC_EXTRAS)
#define GC_MALLOC_ATOMIC_IGNORE_OFF_PAGE(n) GC_debug_malloc_atomic_ignore_off_page(n, GC_EXTRAS)
#define GC_STRDUP(s) GC_debug_strdup(s, GC_EXTRAS)
#define GC_STRNDUP(s, n) GC_debug_strndup(s, n, GC_EXTRAS)
#define GC_REALLOC(p, n) GC_debug_realloc(p, n, GC_EXTRAS)
#define GC_FREE(p) GC_debug_free(p)
#define GC_REGISTER_FINALIZER(p, f, d, of, od) GC_debug_register_finalizer(p, f, d, of, od)
#define GC_REGISTER_FINALIZER_IGNORE_SELF(p, f, d, of, od) GC_debug_register_finalizer_ignore_self(p, f, d, of, od)
#define GC_REGISTER_FINALIZER_NO_ORDER(p, f, d, of, od) GC_debug_register_finalizer_no_order(p, f, d, of, od)
#define GC_REGISTER_FINALIZER_UNREACHABLE(p, f, d, of, od) GC_debug_register_finalizer_unreachable(p, f, d, of, od)
#define GC_END_STUBBORN_CHANGE(p) GC_debug_end_stubborn_change(p)
#define GC_PTR_STORE_AND_DIRTY(p, q) GC_debug_ptr_store_and_dirty(p, q)
#define GC_REGISTER_DISPLACEMENT(n) GC_debug_register_displacement(n)
#else
#define GC_MALLOC(n) GC_malloc(n)
#define GC_MALLOC_ATOMIC(n) GC_malloc_atomic(n)
#define GC_MALLOC_UNCOLLECTABLE(n) GC_malloc_uncollectable(n)
#define GC_MALLOC_ATOMIC_UNCOLLECTABLE(n) GC_malloc_atomic_uncollectable(n)
#define GC_MALLOC_IGNORE_OFF_PAGE(n) GC_malloc_ignore_off_page(n)
#define GC_MALLOC_ATOMIC_IGNORE_OFF_PAGE(n) GC_malloc_atomic_ignore_off_page(n)
#define GC_STRDUP(s) GC_strdup(s)
#define GC_STRNDUP(s, n) GC_strndup(s, n)
#define GC_REALLOC(p, n) GC_realloc(p, n)
#define GC_FREE(p) GC_free(p)
#define GC_REGISTER_FINALIZER(p, f, d, of, od) GC_register_finalizer(p, f, d, of, od)
#define GC_REGISTER_FINALIZER_IGNORE_SELF(p, f, d, of, od) GC_register_finalizer_ignore_self(p, f, d, of, od)
#define GC_REGISTER_FINALIZER_NO_ORDER(p, f, d, of, od) GC_register_finalizer_no_order(p, f, d, of, od)
#define GC_REGISTER_FINALIZER_UNREACHABLE(p, f, d, of, od) GC_register_finalizer_unreachable(p, f, d, of, od)
#define GC_END_STUBBORN_CHANGE(p) ((void)(p))
#define GC_PTR_STORE_AND_DIRTY(p, q) (*(void **)(p) = (q))
#define GC_REGISTER_DISPLACEMENT(n) GC_register_displacement(n)
#endif
#define GC_NEW(t) ((t *)GC_MALLOC(sizeof(t)))
#define GC_NEW_ATOMIC(t) ((t *)GC_MALLOC_ATOMIC(sizeof(t)))
#define GC_NEW_UNCOLLECTABLE(t) ((t *)GC_MALLOC_UNCOLLECTABLE(sizeof(t)))
#define GC_GENERAL_REGISTER_DISAPPEARING_LINK(link, obj) GC_general_register_disappearing_link(link, obj)
#define GC_REGISTER_LONG_LINK(link, obj) GC_register_long_link(link, obj)
#define GC_EXPAND_HP(n) GC_expand_hp(n)
#define GC_PTR_ADD(x, n) ((x) + (n))
#define GC_PRE_INCR(x, n) ((x) += (n))
#define GC_POST_INCR(x, n) ((x)++)
#define GC_PTR_STORE(p, q) (*(void **)(p) = (q))
#define GC_reachable_here(p) __asm__ __volatile__(" " : : "X"(p) : "memory")

/* With GC_THREADS, thread creation goes through the collector, as in bdwgc.
 * SwiftGC registers threads started by pthread_create anyway. */
#if defined(GC_THREADS) && !defined(GC_NO_THREAD_REDIRECTS) && !defined(SWIFTGC_BOEHM_IMPLEMENTATION)
#define pthread_create GC_pthread_create
#define pthread_join GC_pthread_join
#define pthread_detach GC_pthread_detach
#define pthread_exit GC_pthread_exit
#define dlopen GC_dlopen
#endif

#include "gc_hooks.h" /* event callbacks, toggle-refs, the allocation lock, other hooks */

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_BOEHM_GC_H */
