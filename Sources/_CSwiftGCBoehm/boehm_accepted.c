/*
 * The rest of bdwgc's gc.h that programs commonly call and that costs
 * little: settings SwiftGC stores and returns without acting on them (it has
 * no incremental mode, one marker, and handles fork itself), statistics
 * derived from gc_get_stats, and small helpers. Declared in
 * include/boehm/gc/gc.h; README's "Differences from bdwgc" says which are
 * only stored. Compiled only into libswiftgc.so.
 */
#define _GNU_SOURCE
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "../../include/boehm/gc/gc_mark.h"
#include "_CSwiftGCBoehm.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))

static struct gc_stats current_stats(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats;
}

/* ---- Allocation ---- */
BOEHM_EXPORT void *GC_malloc_kind(size_t size, int kind) { return GC_generic_malloc(size, kind); }
BOEHM_EXPORT void *GC_malloc_kind_global(size_t size, int kind) { return GC_generic_malloc(size, kind); }
BOEHM_EXPORT void *GC_malloc_stubborn(size_t size) { return GC_malloc(size); }
BOEHM_EXPORT void *GC_debug_generic_or_special_malloc(size_t size, int kind, GC_EXTRA_PARAMS) {
    (void)file;
    (void)line;
    return GC_generic_malloc(size, kind);
}

/* ---- Statistics ---- */
/* Bytes in objects: live at the last collection plus allocated since. */
BOEHM_EXPORT size_t GC_get_memory_use(void) {
    struct gc_stats stats = current_stats();
    return (size_t)(stats.bytes_in_use + stats.bytes_allocated_since_collection);
}
BOEHM_EXPORT GC_word GC_get_obtained_from_os_bytes(void) {
    struct gc_stats stats = current_stats();
    return (GC_word)(stats.heap_size + stats.bytes_returned_to_os + stats.metadata_size);
}
BOEHM_EXPORT size_t GC_get_prof_stats_unsafe(struct GC_prof_stats_s *stats, size_t size) {
    return GC_get_prof_stats(stats, size);
}
BOEHM_EXPORT int GC_get_parallel(void) { return 0; }

/* ---- Stored settings, without effect ---- */
static GC_word allocd_bytes_per_finalizer = 10000;
static GC_stop_func stop_function;
static int rate = 10;
static int max_prior_attempts = 1;
static int disable_automatic_collection;
static size_t min_bytes_allocd;
static int pages_executable;
static int manual_vdb_allowed = 1;

/* SwiftGC counts registrations toward its pacing in its own way
 * (Collector/Pacing.swift). */
BOEHM_EXPORT void GC_set_allocd_bytes_per_finalizer(GC_word value) { allocd_bytes_per_finalizer = value; }
BOEHM_EXPORT GC_word GC_get_allocd_bytes_per_finalizer(void) { return allocd_bytes_per_finalizer; }
/* Collections are never abandoned part way. */
BOEHM_EXPORT void GC_set_stop_func(GC_stop_func function) { stop_function = function; }
BOEHM_EXPORT GC_stop_func GC_get_stop_func(void) { return stop_function; }
/* Incremental-mode settings: there is no incremental mode. */
BOEHM_EXPORT void GC_set_rate(int value) { rate = value; }
BOEHM_EXPORT int GC_get_rate(void) { return rate; }
BOEHM_EXPORT void GC_set_max_prior_attempts(int value) { max_prior_attempts = value; }
BOEHM_EXPORT int GC_get_max_prior_attempts(void) { return max_prior_attempts; }
BOEHM_EXPORT void GC_set_manual_vdb_allowed(int value) { manual_vdb_allowed = value; }
BOEHM_EXPORT int GC_get_manual_vdb_allowed(void) { return manual_vdb_allowed; }
BOEHM_EXPORT void GC_start_incremental_collection(void) {}
/* Collecting more often than asked is never wrong; gc_disable stops all. */
BOEHM_EXPORT void GC_set_disable_automatic_collection(int value) { disable_automatic_collection = value; }
BOEHM_EXPORT int GC_get_disable_automatic_collection(void) { return disable_automatic_collection; }
BOEHM_EXPORT void GC_set_min_bytes_allocd(size_t value) { min_bytes_allocd = value; }
BOEHM_EXPORT size_t GC_get_min_bytes_allocd(void) { return min_bytes_allocd; }
/* The heap is never executable. */
BOEHM_EXPORT void GC_set_pages_executable(int value) { pages_executable = value; }
BOEHM_EXPORT int GC_get_pages_executable(void) { return pages_executable; }
/* GC_set_force_unmap_on_gcollect (boehm.c) ignores its value. */
BOEHM_EXPORT int GC_get_force_unmap_on_gcollect(void) { return 0; }
BOEHM_EXPORT int GC_get_dont_precollect(void) { return GC_dont_precollect; }
BOEHM_EXPORT void GC_set_markers_count(unsigned count) { (void)count; }

/* ---- Threads and fork ---- */
/* SwiftGC's own pthread_atfork handlers already make fork safe. */
BOEHM_EXPORT void GC_set_handle_fork(int value) { (void)value; }
BOEHM_EXPORT void GC_atfork_prepare(void) {}
BOEHM_EXPORT void GC_atfork_parent(void) {}
BOEHM_EXPORT void GC_atfork_child(void) {}
/* Alternate signal stacks are not scanned; a handler's pointers are on it. */
BOEHM_EXPORT void GC_register_altstack(void *stack, GC_word stack_size, void *alternate_stack,
                                       GC_word alternate_size) {
    (void)stack;
    (void)stack_size;
    (void)alternate_stack;
    (void)alternate_size;
}
BOEHM_EXPORT int GC_pthread_sigmask(int how, const sigset_t *set, sigset_t *old_set) {
    return pthread_sigmask(how, set, old_set);
}
BOEHM_EXPORT int GC_pthread_cancel(pthread_t thread) { return pthread_cancel(thread); }
BOEHM_EXPORT void GC_deinit(void) {}

/* ---- Helpers ---- */
/* Keeps its argument alive to the compiler: a call it cannot remove. */
BOEHM_EXPORT void GC_noop1(GC_word value) { __asm__ volatile("" : : "r"(value) : "memory"); }
BOEHM_EXPORT void GC_ignore_warn_proc(char *message, GC_word argument) {
    (void)message;
    (void)argument;
}

static int log_descriptor = 2;
BOEHM_EXPORT void GC_set_log_fd(int descriptor) { log_descriptor = descriptor; }
BOEHM_EXPORT void GC_printf(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vdprintf(1, format, arguments);
    va_end(arguments);
}
BOEHM_EXPORT void GC_err_printf(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vdprintf(2, format, arguments);
    va_end(arguments);
}
BOEHM_EXPORT void GC_log_printf(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vdprintf(log_descriptor, format, arguments);
    va_end(arguments);
}


/* ---- gc_hooks.h settings ---- */
/* The handle GC_get_my_stackbottom returns for a thread SwiftGC has not
 * registered: any non-NULL value, since GC_set_stackbottom ignores it. */
static char unregistered_thread_handle;

BOEHM_EXPORT void *GC_get_my_stackbottom(struct GC_stack_base *stack_base) {
    GC_get_stack_base(stack_base);
    void *record = swiftgc_thread_record_slot;
    return record ? record : &unregistered_thread_handle;
}
/* SwiftGC reads each thread's stack bounds from the thread itself. */
BOEHM_EXPORT void GC_set_stackbottom(void *thread_handle, const struct GC_stack_base *stack_base) {
    (void)thread_handle;
    (void)stack_base;
}

static struct GC_timeval_s time_limit_fraction;
BOEHM_EXPORT void GC_set_time_limit_tv(struct GC_timeval_s limit) {
    GC_time_limit = limit.tv_ms;
    time_limit_fraction.tv_nsec = limit.tv_nsec;
}
BOEHM_EXPORT struct GC_timeval_s GC_get_time_limit_tv(void) {
    struct GC_timeval_s limit = { .tv_ms = GC_time_limit, .tv_nsec = time_limit_fraction.tv_nsec };
    return limit;
}

/* The signals are chosen when the collector starts (gc_get_suspend_signal). */
BOEHM_EXPORT void GC_set_suspend_signal(int signal_number) { (void)signal_number; }
BOEHM_EXPORT void GC_set_thr_restart_signal(int signal_number) { (void)signal_number; }

/* Userfaultfd and soft-dirty bits never make a system call that writes
 * into the heap fail; the mprotect backend write-protects the heap while
 * concurrent marking runs, as bdwgc's does. */
BOEHM_EXPORT int GC_incremental_protection_needs(void) {
    if (!gc_is_concurrent() || strcmp(gc_dirty_pages_backend(), "mprotect") != 0) return GC_PROTECTS_NONE;
    return GC_PROTECTS_POINTER_HEAP | GC_PROTECTS_PTRFREE_HEAP;
}

/* GC_is_visible, GC_is_valid_displacement and GC_same_obj accept every
 * pointer, so these are never called. */
BOEHM_EXPORT void (*GC_is_visible_print_proc)(void *pointer);
BOEHM_EXPORT void (*GC_is_valid_displacement_print_proc)(void *pointer);
BOEHM_EXPORT void (*GC_same_obj_print_proc)(void *pointer, void *other);
