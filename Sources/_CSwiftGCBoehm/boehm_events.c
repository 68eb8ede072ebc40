/*
 * bdwgc's collection, thread and heap-resize events, its abort function and
 * its await-finalize hook (include/boehm/gc/gc_hooks.h), reported from the
 * collection hooks (collection_hooks.h) that boehm_variables.c registers.
 * Compiled only into libswiftgc.so.
 *
 * Every callback variable here is written by its setter on any thread and
 * read by the collecting thread with the heap lock held: release stores and
 * acquire loads, so a callback's own data written before it is set is seen
 * by the collector that calls it.
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "_CSwiftGCBoehm.h"

#include <stdio.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))
#define LOAD(variable) __atomic_load_n(&(variable), __ATOMIC_ACQUIRE)
#define STORE(variable, value) __atomic_store_n(&(variable), (value), __ATOMIC_RELEASE)

static GC_on_collection_event_proc collection_event_callback;
static GC_on_thread_event_proc thread_event_callback;
static GC_await_finalize_proc await_finalize_callback;
/* Exported as bdwgc does; GC_set_on_heap_resize writes it. */
BOEHM_EXPORT GC_on_heap_resize_proc GC_on_heap_resize;
/* The heap size last passed to GC_on_heap_resize (0: none yet). Written
 * only by the collecting thread, with the heap lock held. */
static uintptr_t reported_heap_bytes;

BOEHM_EXPORT void GC_set_on_collection_event(GC_on_collection_event_proc callback) {
    STORE(collection_event_callback, callback);
}
BOEHM_EXPORT GC_on_collection_event_proc GC_get_on_collection_event(void) { return LOAD(collection_event_callback); }
BOEHM_EXPORT void GC_set_on_thread_event(GC_on_thread_event_proc callback) { STORE(thread_event_callback, callback); }
BOEHM_EXPORT GC_on_thread_event_proc GC_get_on_thread_event(void) { return LOAD(thread_event_callback); }
BOEHM_EXPORT void GC_set_on_heap_resize(GC_on_heap_resize_proc callback) { STORE(GC_on_heap_resize, callback); }
BOEHM_EXPORT GC_on_heap_resize_proc GC_get_on_heap_resize(void) { return LOAD(GC_on_heap_resize); }
BOEHM_EXPORT void GC_set_await_finalize_proc(GC_await_finalize_proc callback) {
    STORE(await_finalize_callback, callback);
}
BOEHM_EXPORT GC_await_finalize_proc GC_get_await_finalize_proc(void) { return LOAD(await_finalize_callback); }

static void report(GC_EventType event) {
    GC_on_collection_event_proc callback = LOAD(collection_event_callback);
    if (callback) callback(event);
}

/* From collection_may_start (boehm_variables.c): the toggle-ref callback
 * runs here, with the world still running, as bdwgc runs it. */
void swiftgc_boehm_collection_started(void) {
    swiftgc_boehm_reset_byte_counters();
    report(GC_EVENT_START);
    swiftgc_boehm_update_toggle_references();
}

/* From push_other_roots (boehm_variables.c), with the world stopped. */
void swiftgc_boehm_marking_started(void) { report(GC_EVENT_MARK_START); }

/* The collector's own events (swiftgc_event), numbered as GC_EventType. */
void swiftgc_boehm_collection_event(int event, uintptr_t argument) {
    if (event == GC_EVENT_THREAD_SUSPENDED || event == GC_EVENT_THREAD_UNSUSPENDED) {
        GC_on_thread_event_proc callback = LOAD(thread_event_callback);
        if (callback) callback((GC_EventType)event, (void *)argument);
        return;
    }
    report((GC_EventType)event);
    if (event != GC_EVENT_END || argument == reported_heap_bytes) return;
    reported_heap_bytes = argument;
    GC_on_heap_resize_proc callback = LOAD(GC_on_heap_resize);
    if (callback) callback((GC_word)argument);
}

/* A disclaim object's procedure decides (boehm_disclaim.c); any other
 * object's finalizer is queued, and the await-finalize callback told. */
int swiftgc_boehm_finalizer_found_unreachable(const void *object, const void *function, const void *data) {
    int decision = swiftgc_boehm_disclaim_decision(object, function, data);
    if (decision >= 0) return decision;
    GC_await_finalize_proc callback = LOAD(await_finalize_callback);
    if (callback) callback((void *)object);
    return swiftgc_finalizer_queue;
}

/* ---- Abort ---- */
static void print_abort_message(const char *message) {
    if (message) fprintf(stderr, "%s\n", message);
}
/* Exported, as bdwgc's; its ABORT macro calls through it. */
BOEHM_EXPORT GC_abort_func GC_on_abort = print_abort_message;

BOEHM_EXPORT void GC_set_abort_func(GC_abort_func callback) {
    if (callback == NULL) {
        fprintf(stderr, "swiftgc: GC_set_abort_func(NULL): ignored\n");
        return;
    }
    STORE(GC_on_abort, callback);
}
BOEHM_EXPORT GC_abort_func GC_get_abort_func(void) { return LOAD(GC_on_abort); }
