/*
 * The bdwgc compatibility layer: every GC_* function of include/boehm/gc/gc.h
 * as a thin forwarder onto the native gc_* API (swiftgc.h). It is C because
 * its types are bdwgc's C types (pthread, dlopen, struct layouts, variables).
 * Its own target, _CSwiftGCBoehm, above the collector: linked only into
 * libswiftgc.so, never into the Swift package, so a Swift program can still
 * link bdwgc itself. What it uses besides swiftgc.h is in _CSwiftGCBoehm.h.
 * Differences from bdwgc are listed in README.md.
 */
#define _GNU_SOURCE
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "../../include/boehm/gc/gc_typed.h"
#include "../../include/boehm/gc/gc_mark.h"
#include "_CSwiftGCBoehm.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *swiftgc_thread_record(void) { return swiftgc_thread_record_slot; }

#define BOEHM_EXPORT __attribute__((visibility("default")))

/* The exported variables (GC_oom_fn, GC_dont_gc, ...) are in boehm_variables.c. */
static int is_init_called;
static GC_warn_proc warn_procedure;
/* Called by boehm_variables.c when a collection starts. */
GC_start_callback_proc swiftgc_boehm_start_callback;
/* From boehm_variables.c. */
void swiftgc_boehm_register_hooks(void);

/* ---- Initialisation and allocation ---- */
BOEHM_EXPORT void GC_init(void) {
    is_init_called = 1;
    swiftgc_boehm_register_hooks();
    gc_register_thread();
}
/* bdwgc initialises itself on the first allocation too: a heap that has
 * grown means the collector is running. */
BOEHM_EXPORT int GC_is_init_called(void) {
    if (is_init_called) return 1;
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.peak_heap_size != 0;
}

/* A failed allocation's result: what GC_oom_fn returns, if set. */
void *swiftgc_boehm_out_of_memory(void *result, size_t size) {
    GC_oom_func function = GC_oom_fn;
    if (result == NULL && size != 0 && function) return function(size);
    return result;
}
#define out_of_memory swiftgc_boehm_out_of_memory

BOEHM_EXPORT void *GC_malloc(size_t size) { return out_of_memory(gc_malloc(size), size); }
BOEHM_EXPORT void *GC_malloc_atomic(size_t size) { return out_of_memory(gc_malloc_atomic(size), size); }
BOEHM_EXPORT void *GC_malloc_uncollectable(size_t size) {
    return out_of_memory(gc_malloc_uncollectable(size), size);
}
/* No atomic uncollectable kind: scanned instead, which can only retain more. */
BOEHM_EXPORT void *GC_malloc_atomic_uncollectable(size_t size) { return GC_malloc_uncollectable(size); }
BOEHM_EXPORT void *GC_malloc_ignore_off_page(size_t size) { return GC_malloc(size); }
BOEHM_EXPORT void *GC_malloc_atomic_ignore_off_page(size_t size) { return GC_malloc_atomic(size); }
BOEHM_EXPORT void *GC_realloc(void *object, size_t size) {
    void *result = gc_realloc(object, size);
    return size == 0 ? result : out_of_memory(result, size);
}
/* Counted for GC_get_expl_freed_bytes_since_gc (boehm_accounting.c). */
BOEHM_EXPORT void GC_free(void *object) {
    if (object) swiftgc_boehm_count_explicit_free(GC_size(object));
    gc_free(object);
}

BOEHM_EXPORT char *GC_strdup(const char *string) {
    if (string == NULL) return NULL;
    size_t length = strlen(string);
    char *copy = GC_malloc_atomic(length + 1);
    if (copy) memcpy(copy, string, length + 1);
    return copy;
}

BOEHM_EXPORT char *GC_strndup(const char *string, size_t size) {
    size_t length = strnlen(string, size);
    char *copy = GC_malloc_atomic(length + 1);
    if (copy) {
        memcpy(copy, string, length);
        copy[length] = 0;
    }
    return copy;
}

/* Alignments above 16 return an interior pointer into a larger object;
 * interior pointers keep objects alive, but GC_free needs the base. */
BOEHM_EXPORT void *GC_memalign(size_t alignment, size_t size) {
    if (alignment <= 16) return GC_malloc(size);
    if ((alignment & (alignment - 1)) != 0 || size + alignment < size) {
        errno = EINVAL;
        return NULL;
    }
    char *object = GC_malloc(size + alignment - 1);
    if (object == NULL) return NULL;
    return (void *)(((uintptr_t)object + alignment - 1) & ~(uintptr_t)(alignment - 1));
}

BOEHM_EXPORT int GC_posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    void *object = GC_memalign(alignment, size);
    if (object == NULL) return ENOMEM;
    *result = object;
    return 0;
}

BOEHM_EXPORT void *GC_malloc_many(size_t size) {
    void *list = NULL;
    GC_generic_malloc_many(size, GC_I_NORMAL, &list);
    return list;
}

/* ---- Typed allocation ---- */
BOEHM_EXPORT GC_descr GC_make_descriptor(const GC_word *bitmap, size_t word_count) {
    return gc_make_descriptor((const uintptr_t *)bitmap, word_count);
}
BOEHM_EXPORT void *GC_malloc_explicitly_typed(size_t size, GC_descr descriptor) {
    return out_of_memory(gc_malloc_typed(size, descriptor), size);
}
BOEHM_EXPORT void *GC_malloc_explicitly_typed_ignore_off_page(size_t size, GC_descr descriptor) {
    return GC_malloc_explicitly_typed(size, descriptor);
}
BOEHM_EXPORT void *GC_calloc_explicitly_typed(size_t count, size_t element_size, GC_descr descriptor) {
    return out_of_memory(gc_calloc_typed(count, element_size, descriptor), count * element_size);
}

/* ---- Queries ---- */
BOEHM_EXPORT void *GC_base(void *pointer) { return gc_base(pointer); }
/* The whole slot, as bdwgc reports it: gc_size less SwiftGC's padding
 * byte (and a typed object's trailer), rounded up to the 16-byte granule
 * that every slot size is a multiple of. A program may use every byte. */
BOEHM_EXPORT size_t GC_size(const void *object) {
    size_t bytes = gc_size(object);
    return bytes == 0 ? 0 : (bytes + 15) & ~(size_t)15;
}
BOEHM_EXPORT int GC_is_heap_ptr(const void *pointer) { return gc_base(pointer) != NULL; }
BOEHM_EXPORT void *GC_same_obj(void *pointer, void *other) { (void)other; return pointer; }
BOEHM_EXPORT void *GC_is_visible(void *pointer) { return pointer; }
BOEHM_EXPORT void *GC_is_valid_displacement(void *pointer) { return pointer; }

/* ---- Collection control ---- */
BOEHM_EXPORT void GC_gcollect(void) { gc_collect(); }
BOEHM_EXPORT void GC_gcollect_and_unmap(void) { gc_collect(); }
BOEHM_EXPORT int GC_try_to_collect(GC_stop_func stop) {
    if (stop && stop()) return 0;
    gc_collect();
    return 1;
}
/* A slice of the concurrent cycle or lazy sweep in progress; nonzero while
 * work is left (bdwgc: "more work to do"). */
BOEHM_EXPORT int GC_collect_a_little(void) { return gc_collect_a_little(); }
BOEHM_EXPORT void GC_enable(void) { gc_enable(); }
BOEHM_EXPORT void GC_disable(void) { gc_disable(); }
BOEHM_EXPORT int GC_is_disabled(void) { return gc_is_disabled() || GC_dont_gc != 0; }
BOEHM_EXPORT int GC_expand_hp(size_t bytes) { (void)bytes; return 1; }
BOEHM_EXPORT void GC_set_max_heap_size(GC_word bytes) { gc_set_max_heap_size(bytes); }
BOEHM_EXPORT void GC_set_free_space_divisor(GC_word divisor) { if (divisor > 0) GC_free_space_divisor = divisor; }
BOEHM_EXPORT GC_word GC_get_free_space_divisor(void) { return GC_free_space_divisor; }
BOEHM_EXPORT void GC_set_dont_expand(int value) { GC_dont_expand = value; }
BOEHM_EXPORT int GC_get_dont_expand(void) { return GC_dont_expand; }
BOEHM_EXPORT void GC_set_full_freq(int value) { GC_full_freq = value; }
BOEHM_EXPORT int GC_get_full_freq(void) { return GC_full_freq; }
BOEHM_EXPORT void GC_set_time_limit(unsigned long value) { GC_time_limit = value; }
BOEHM_EXPORT unsigned long GC_get_time_limit(void) { return GC_time_limit; }
BOEHM_EXPORT void GC_set_max_retries(GC_word value) { GC_max_retries = value; }
BOEHM_EXPORT GC_word GC_get_max_retries(void) { return GC_max_retries; }
BOEHM_EXPORT void GC_set_force_unmap_on_gcollect(int value) { (void)value; }
BOEHM_EXPORT void GC_set_dont_precollect(int value) { GC_dont_precollect = value; }
BOEHM_EXPORT void GC_set_no_dls(int value) { GC_no_dls = value; }
BOEHM_EXPORT int GC_get_no_dls(void) { return GC_no_dls; }
BOEHM_EXPORT void GC_set_non_gc_bytes(GC_word value) { GC_non_gc_bytes = value; }
BOEHM_EXPORT GC_word GC_get_non_gc_bytes(void) { return GC_non_gc_bytes; }
BOEHM_EXPORT void GC_set_use_entire_heap(int value) { GC_use_entire_heap = value; }
BOEHM_EXPORT int GC_get_use_entire_heap(void) { return GC_use_entire_heap; }

/* ---- Roots ---- */
BOEHM_EXPORT void GC_add_roots(void *low, void *high_plus_one) { gc_add_roots(low, high_plus_one); }
BOEHM_EXPORT void GC_remove_roots(void *low, void *high_plus_one) { gc_remove_roots(low, high_plus_one); }
BOEHM_EXPORT void GC_clear_roots(void) { gc_remove_roots((void *)0, (void *)~(uintptr_t)0); }
BOEHM_EXPORT void GC_exclude_static_roots(void *low, void *high_plus_one) { (void)low; (void)high_plus_one; }

/* ---- Finalization ---- */
static void register_finalizer(void *object, GC_finalization_proc fn, void *data, int order,
                               GC_finalization_proc *previous_fn, void **previous_data) {
    gc_register_finalizer_with_order(object, fn, data, order, (gc_finalizer *)previous_fn, previous_data);
}
BOEHM_EXPORT void GC_register_finalizer(void *object, GC_finalization_proc fn, void *data,
                                        GC_finalization_proc *previous_fn, void **previous_data) {
    register_finalizer(object, fn, data, gc_order_topological, previous_fn, previous_data);
}
BOEHM_EXPORT void GC_register_finalizer_ignore_self(void *object, GC_finalization_proc fn, void *data,
                                                    GC_finalization_proc *previous_fn, void **previous_data) {
    register_finalizer(object, fn, data, gc_order_ignore_self, previous_fn, previous_data);
}
BOEHM_EXPORT void GC_register_finalizer_no_order(void *object, GC_finalization_proc fn, void *data,
                                                 GC_finalization_proc *previous_fn, void **previous_data) {
    register_finalizer(object, fn, data, gc_order_unordered, previous_fn, previous_data);
}
BOEHM_EXPORT void GC_register_finalizer_unreachable(void *object, GC_finalization_proc fn, void *data,
                                                    GC_finalization_proc *previous_fn, void **previous_data) {
    register_finalizer(object, fn, data, gc_order_unreachable, previous_fn, previous_data);
}
BOEHM_EXPORT int GC_invoke_finalizers(void) { return gc_run_finalizers(); }
BOEHM_EXPORT int GC_should_invoke_finalizers(void) { return gc_pending_finalizers() != 0; }
BOEHM_EXPORT void GC_finalize_all(void) { gc_finalize_all(); }
/* The variables are the truth; the core's copies are refreshed here and at
 * the start of each collection (boehm_variables.c). */
extern int swiftgc_boehm_synced_finalize_on_demand;
extern GC_finalizer_notifier_proc swiftgc_boehm_synced_finalizer_notifier;
BOEHM_EXPORT void GC_set_finalize_on_demand(int value) {
    GC_finalize_on_demand = value;
    swiftgc_boehm_synced_finalize_on_demand = value;
    gc_set_finalize_on_demand(value);
}
BOEHM_EXPORT int GC_get_finalize_on_demand(void) { return gc_get_finalize_on_demand(); }
BOEHM_EXPORT void GC_set_finalizer_notifier(GC_finalizer_notifier_proc notifier) {
    GC_finalizer_notifier = notifier;
    swiftgc_boehm_synced_finalizer_notifier = notifier;
    gc_set_finalizer_notifier(notifier);
}
BOEHM_EXPORT GC_finalizer_notifier_proc GC_get_finalizer_notifier(void) { return gc_get_finalizer_notifier(); }
/* Objects reachable from a finalizable object always stay alive until its
 * finalizer has run, as with bdwgc's default GC_java_finalization = 1. */
BOEHM_EXPORT void GC_set_java_finalization(int value) { GC_java_finalization = value; }
BOEHM_EXPORT int GC_get_java_finalization(void) { return GC_java_finalization; }

/* ---- Weak links ---- */
static int link_result(int result) { return result == SWIFTGC_INVALID ? GC_NO_MEMORY : result; }

BOEHM_EXPORT int GC_register_disappearing_link(void **link) {
    return GC_general_register_disappearing_link(link, gc_base(*link));
}
BOEHM_EXPORT int GC_general_register_disappearing_link(void **link, const void *object) {
    return link_result(gc_register_weak_link(link, object));
}
BOEHM_EXPORT int GC_unregister_disappearing_link(void **link) { return gc_unregister_weak_link(link); }
BOEHM_EXPORT int GC_move_disappearing_link(void **link, void **new_link) {
    return link_result(gc_move_weak_link(link, new_link));
}
BOEHM_EXPORT int GC_register_long_link(void **link, const void *object) {
    return link_result(gc_register_long_weak_link(link, object));
}
BOEHM_EXPORT int GC_unregister_long_link(void **link) { return gc_unregister_long_weak_link(link); }
BOEHM_EXPORT int GC_move_long_link(void **link, void **new_link) {
    return link_result(gc_move_long_weak_link(link, new_link));
}

/* ---- Threads ---- */
BOEHM_EXPORT int GC_register_my_thread(const struct GC_stack_base *stack_base) {
    (void)stack_base;
    if (swiftgc_thread_record() != NULL) return GC_DUPLICATE;
    gc_register_thread();
    return GC_SUCCESS;
}
BOEHM_EXPORT int GC_unregister_my_thread(void) {
    gc_unregister_thread();
    return GC_SUCCESS;
}
BOEHM_EXPORT void GC_allow_register_threads(void) {}
/* bdwgc registers the primordial thread when it initialises; SwiftGC does
 * when that thread first allocates, so it is registered here if needed. */
BOEHM_EXPORT int GC_thread_is_registered(void) {
    if (swiftgc_thread_record() != NULL) return 1;
    if (gettid() != getpid() || !GC_is_init_called()) return 0;
    gc_register_thread();
    return 1;
}
BOEHM_EXPORT int GC_get_stack_base(struct GC_stack_base *stack_base) {
    stack_base->mem_base = swiftgc_current_stack_base();
    return GC_SUCCESS;
}
BOEHM_EXPORT void *GC_call_with_stack_base(GC_stack_base_func fn, void *data) {
    struct GC_stack_base base;
    GC_get_stack_base(&base);
    return fn(&base, data);
}
BOEHM_EXPORT void *GC_do_blocking(GC_fn_type fn, void *data) { return fn(data); }
BOEHM_EXPORT void *GC_call_with_gc_active(GC_fn_type fn, void *data) { return fn(data); }
/* GC_call_with_alloc_lock is in boehm_lock.c. */
BOEHM_EXPORT int GC_get_suspend_signal(void) { return gc_get_suspend_signal(); }
BOEHM_EXPORT int GC_get_thr_restart_signal(void) { return gc_get_restart_signal(); }
BOEHM_EXPORT void GC_start_mark_threads(void) {}
BOEHM_EXPORT void *GC_dlopen(const char *path, int mode) { return dlopen(path, mode); }
BOEHM_EXPORT int GC_pthread_create(pthread_t *thread, const pthread_attr_t *attributes,
                                   void *(*start)(void *), void *argument) {
    return pthread_create(thread, attributes, start, argument);
}
BOEHM_EXPORT int GC_pthread_join(pthread_t thread, void **result) { return pthread_join(thread, result); }
BOEHM_EXPORT int GC_pthread_detach(pthread_t thread) { return pthread_detach(thread); }
BOEHM_EXPORT void GC_pthread_exit(void *result) { pthread_exit(result); }

/* ---- Statistics ---- */
static struct gc_stats current_stats(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats;
}
static size_t free_bytes(const struct gc_stats *stats) {
    uint64_t used = stats->bytes_in_use + stats->bytes_allocated_since_collection;
    return stats->heap_size > used ? (size_t)(stats->heap_size - used) : 0;
}
BOEHM_EXPORT size_t GC_get_heap_size(void) { return (size_t)current_stats().heap_size; }
BOEHM_EXPORT size_t GC_get_free_bytes(void) { struct gc_stats stats = current_stats(); return free_bytes(&stats); }
BOEHM_EXPORT size_t GC_get_unmapped_bytes(void) { return (size_t)current_stats().bytes_returned_to_os; }
BOEHM_EXPORT size_t GC_get_total_bytes(void) { return (size_t)current_stats().total_bytes_allocated; }
/* With the bytes GC_incr_bytes_allocd adds (boehm_accounting.c). */
BOEHM_EXPORT size_t GC_get_bytes_since_gc(void) {
    return (size_t)current_stats().bytes_allocated_since_collection + swiftgc_boehm_bytes_allocated_outside();
}
BOEHM_EXPORT GC_word GC_get_gc_no(void) { return (GC_word)current_stats().collections; }
BOEHM_EXPORT void GC_get_heap_usage_safe(GC_word *heap_size, GC_word *free, GC_word *unmapped,
                                         GC_word *bytes_since_gc, GC_word *total_bytes) {
    struct gc_stats stats = current_stats();
    if (heap_size) *heap_size = stats.heap_size;
    if (free) *free = free_bytes(&stats);
    if (unmapped) *unmapped = stats.bytes_returned_to_os;
    if (bytes_since_gc) *bytes_since_gc = stats.bytes_allocated_since_collection;
    if (total_bytes) *total_bytes = stats.total_bytes_allocated;
}
BOEHM_EXPORT size_t GC_get_prof_stats(struct GC_prof_stats_s *out, size_t size) {
    struct gc_stats stats = current_stats();
    struct GC_prof_stats_s filled = {
        .heapsize_full = stats.heap_size + stats.bytes_returned_to_os,
        .free_bytes_full = free_bytes(&stats) + stats.bytes_returned_to_os,
        .unmapped_bytes = stats.bytes_returned_to_os,
        .bytes_allocd_since_gc = stats.bytes_allocated_since_collection,
        .allocd_bytes_before_gc = stats.total_bytes_allocated - stats.bytes_allocated_since_collection,
        .non_gc_bytes = 0,
        .gc_no = stats.collections,
        .markers_m1 = 0,
        .bytes_reclaimed_since_gc = 0,
        .reclaimed_bytes_before_gc = stats.total_bytes_reclaimed,
        .expl_freed_bytes_since_gc = GC_get_expl_freed_bytes_since_gc(),
        .obtained_from_os_bytes = stats.peak_heap_size,
    };
    if (size > sizeof filled) {
        memset((char *)out + sizeof filled, 0xff, size - sizeof filled);
        size = sizeof filled;
    }
    memcpy(out, &filled, size);
    return size;
}
BOEHM_EXPORT unsigned GC_get_version(void) {
    return (GC_VERSION_MAJOR << 16) | (GC_VERSION_MINOR << 8) | GC_VERSION_MICRO;
}

/* ---- Warnings and out of memory ---- */
BOEHM_EXPORT void GC_set_warn_proc(GC_warn_proc proc) { warn_procedure = proc; }
BOEHM_EXPORT GC_warn_proc GC_get_warn_proc(void) { return warn_procedure; }
BOEHM_EXPORT void GC_set_oom_fn(GC_oom_func fn) { GC_oom_fn = fn; }
BOEHM_EXPORT GC_oom_func GC_get_oom_fn(void) { return GC_oom_fn; }

/* ---- Accepted settings ---- */
/* Off: GC_generic_malloc_many and GC_malloc_many give objects exactly the
 * size asked; everything else keeps its padding byte (README). */
BOEHM_EXPORT void GC_set_all_interior_pointers(int value) { GC_all_interior_pointers = value != 0; }
BOEHM_EXPORT int GC_get_all_interior_pointers(void) { return GC_all_interior_pointers; }
BOEHM_EXPORT void GC_register_displacement(size_t offset) { (void)offset; }
/* bdwgc's incremental mode is SwiftGC's mostly-concurrent marking: on where
 * the uffd dirty-page backend works, else collections stay stop-the-world
 * (as bdwgc's does where it has no dirty bits). */
/* GC_DISABLE_INCREMENTAL in the environment keeps it off, as in bdwgc. */
BOEHM_EXPORT void GC_enable_incremental(void) {
    if (getenv("GC_DISABLE_INCREMENTAL") != NULL) return;
    (void)gc_enable_concurrent();
}
BOEHM_EXPORT int GC_is_incremental_mode(void) { return gc_is_concurrent(); }
BOEHM_EXPORT void GC_set_find_leak(int value) { GC_find_leak = value; }
BOEHM_EXPORT int GC_get_find_leak(void) { return GC_find_leak; }

/* ---- Other ---- */
BOEHM_EXPORT void GC_dump(void) {
    struct gc_stats stats = current_stats();
    fprintf(stderr, "swiftgc: heap %llu bytes, %llu in use, %llu collections\n",
            (unsigned long long)stats.heap_size, (unsigned long long)stats.bytes_in_use,
            (unsigned long long)stats.collections);
}
/* Called with the heap lock held at the start of each collection. */
BOEHM_EXPORT void GC_set_start_callback(GC_start_callback_proc fn) { swiftgc_boehm_start_callback = fn; }
BOEHM_EXPORT GC_start_callback_proc GC_get_start_callback(void) { return swiftgc_boehm_start_callback; }

