/*
 * test_boehm_events — bdwgc's event callbacks (gc_hooks.h) are really
 * called: collection events in order at every collection, a thread event
 * for each stop and restart of a second registered thread naming it, heap
 * resizes with the new size, and the await-finalize hook for an object
 * whose finalizer is queued. Also the byte counters (GC_free,
 * GC_incr_bytes_*), GC_start_performance_measurement, the abort function
 * and GC_get_size_map_at.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "boehm/gc/gc.h"
#include "check.h"
#include "garbage.h"

/* Written by the callbacks, on the collecting thread with the lock held,
 * and read here once the collection has returned. */
enum { event_log_capacity = 4096 };
static GC_EventType event_log[event_log_capacity];
static int event_count;
static int suspended_events, unsuspended_events;
static pthread_t other_thread;
static int other_thread_suspended, other_thread_unsuspended;
static GC_word last_resize;
static int resize_calls;
static void *awaited_object_seen;
static int await_calls;

static void on_collection_event(GC_EventType event) {
    if (event_count < event_log_capacity) event_log[event_count] = event;
    event_count += 1;
}

static void on_thread_event(GC_EventType event, void *thread) {
    int is_other = pthread_equal((pthread_t)thread, other_thread);
    if (event == GC_EVENT_THREAD_SUSPENDED) {
        suspended_events += 1;
        other_thread_suspended += is_other;
    } else if (event == GC_EVENT_THREAD_UNSUSPENDED) {
        unsuspended_events += 1;
        other_thread_unsuspended += is_other;
    }
}

static void on_heap_resize(GC_word new_size) {
    last_resize = new_size;
    resize_calls += 1;
}

static void on_await_finalize(void *object) {
    awaited_object_seen = object;
    await_calls += 1;
}

static void ignore_finalizer(void *object, void *data) {
    (void)object;
    (void)data;
}

/* The position of the first event equal to `event` at or after `from`, or -1. */
static int find_event(GC_EventType event, int from) {
    for (int index = from; index < event_count && index < event_log_capacity; index++) {
        if (event_log[index] == event) return index;
    }
    return -1;
}

/* A second registered thread that waits until told to finish. */
static pthread_mutex_t finish_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finish_signal = PTHREAD_COND_INITIALIZER;
static int should_finish, has_started;
static void *wait_to_finish(void *argument) {
    (void)argument;
    GC_noop1((GC_word)GC_MALLOC(32)); /* registered, and known to the collector */
    pthread_mutex_lock(&finish_lock);
    has_started = 1;
    pthread_cond_broadcast(&finish_signal);
    while (!should_finish) pthread_cond_wait(&finish_signal, &finish_lock);
    pthread_mutex_unlock(&finish_lock);
    return NULL;
}

/* A finalizable object referenced from nowhere once this returns; its
 * address is kept hidden. */
__attribute__((noinline)) static uintptr_t make_finalizable_garbage(void) {
    void *object = GC_MALLOC(64);
    GC_REGISTER_FINALIZER(object, ignore_finalizer, NULL, NULL, NULL);
    return ~(uintptr_t)object;
}

int main(void) {
    GC_INIT();
    GC_set_on_collection_event(on_collection_event);
    GC_set_on_thread_event(on_thread_event);
    GC_set_on_heap_resize(on_heap_resize);
    GC_set_await_finalize_proc(on_await_finalize);
    CHECK(GC_get_on_collection_event() == on_collection_event, "the collection-event getter returns the callback set");
    CHECK(GC_get_on_thread_event() == on_thread_event, "the thread-event getter returns the callback set");
    CHECK(GC_get_on_heap_resize() == on_heap_resize && GC_on_heap_resize == on_heap_resize,
          "GC_get_on_heap_resize and the GC_on_heap_resize variable hold the callback set");
    CHECK(GC_get_await_finalize_proc() == on_await_finalize, "the await-finalize getter returns the callback set");

    /* Collection events, in bdwgc's order. */
    if (pthread_create(&other_thread, NULL, wait_to_finish, NULL) != 0) abort();
    pthread_mutex_lock(&finish_lock);
    while (!has_started) pthread_cond_wait(&finish_signal, &finish_lock);
    pthread_mutex_unlock(&finish_lock);
    GC_gcollect();
    int start = find_event(GC_EVENT_START, 0);
    int pre_stop = find_event(GC_EVENT_PRE_STOP_WORLD, start);
    int post_stop = find_event(GC_EVENT_POST_STOP_WORLD, pre_stop);
    int mark_start = find_event(GC_EVENT_MARK_START, post_stop);
    int pre_start = find_event(GC_EVENT_PRE_START_WORLD, mark_start);
    int post_start = find_event(GC_EVENT_POST_START_WORLD, pre_start);
    int end = find_event(GC_EVENT_END, post_start);
    CHECK(start >= 0 && pre_stop > start && post_stop > pre_stop && mark_start > post_stop && pre_start > mark_start
              && post_start > pre_start && end > post_start,
          "one collection reports START, PRE/POST_STOP_WORLD, MARK_START, PRE/POST_START_WORLD and END in that order "
          "(positions %d %d %d %d %d %d %d of %d events)",
          start, pre_stop, post_stop, mark_start, pre_start, post_start, end, event_count);
    CHECK(other_thread_suspended >= 1 && other_thread_unsuspended >= 1,
          "the second thread is reported suspended and unsuspended, by its pthread_t (%d, %d)",
          other_thread_suspended, other_thread_unsuspended);
    CHECK(suspended_events == unsuspended_events,
          "every suspended thread is reported unsuspended too (%d, %d)", suspended_events, unsuspended_events);
    int events_before = event_count;
    GC_gcollect();
    CHECK(find_event(GC_EVENT_END, events_before) > find_event(GC_EVENT_START, events_before),
          "the next collection reports its own START and END");
    pthread_mutex_lock(&finish_lock);
    should_finish = 1;
    pthread_cond_broadcast(&finish_signal);
    pthread_mutex_unlock(&finish_lock);
    pthread_join(other_thread, NULL);

    /* Heap resizes: growing the heap by tens of megabytes is reported. */
    int resize_calls_before = resize_calls;
    void **kept = GC_MALLOC(64 * sizeof(void *));
    for (int index = 0; index < 64; index++) kept[index] = GC_MALLOC_ATOMIC(1 << 20);
    GC_gcollect();
    CHECK(resize_calls > resize_calls_before, "a heap grown by 64 MiB is reported to GC_on_heap_resize");
    CHECK(last_resize == GC_get_heap_size(), "the size reported (%lu) is the heap size after the collection (%zu)",
          (unsigned long)last_resize, GC_get_heap_size());
    GC_noop1((GC_word)kept);

    /* The await-finalize hook sees the object whose finalizer is queued. */
    uintptr_t hidden_object = make_finalizable_garbage();
    collect_with_clean_stack();
    CHECK(await_calls >= 1 && awaited_object_seen == (void *)~hidden_object,
          "the await-finalize hook is called with the unreachable finalizable object (%d calls)", await_calls);
    GC_invoke_finalizers();

    /* Byte counters, reset when a collection starts. */
    void *freed = GC_MALLOC(1000);
    size_t freed_size = GC_size(freed);
    size_t explicitly_freed = GC_get_expl_freed_bytes_since_gc();
    GC_FREE(freed);
    CHECK(GC_get_expl_freed_bytes_since_gc() == explicitly_freed + freed_size,
          "GC_free counts the object's GC_size (%zu) in GC_get_expl_freed_bytes_since_gc", freed_size);
    GC_incr_bytes_freed(100);
    CHECK(GC_get_expl_freed_bytes_since_gc() == explicitly_freed + freed_size + 100,
          "GC_incr_bytes_freed adds to the explicitly freed bytes");
    size_t since_collection = GC_get_bytes_since_gc();
    GC_incr_bytes_allocd(5000);
    CHECK(GC_get_bytes_since_gc() >= since_collection + 5000, "GC_incr_bytes_allocd adds to GC_get_bytes_since_gc");
    GC_gcollect();
    CHECK(GC_get_expl_freed_bytes_since_gc() == 0, "a collection restarts the explicitly freed bytes");

    /* Collection time counts only after GC_start_performance_measurement. */
    CHECK(GC_get_full_gc_total_time() == 0, "before GC_start_performance_measurement, no collection time is counted");
    GC_start_performance_measurement();
    for (int round = 0; round < 3; round++) GC_gcollect();
    CHECK(GC_get_full_gc_total_time() < 60000, "the collection time counted since then is plausible (%lu ms)",
          GC_get_full_gc_total_time());

    /* The abort function and the size map. */
    CHECK(GC_get_abort_func() != NULL && GC_get_abort_func() == GC_on_abort,
          "there is a default abort function, also in GC_on_abort");
    size_t small_map = GC_get_size_map_at(15);
    void *small = GC_MALLOC(15);
    CHECK(small_map == GC_size(small), "GC_get_size_map_at(15) (%zu) is the GC_size of a 15-byte object (%zu)",
          small_map, GC_size(small));
    CHECK(GC_get_size_map_at(-1) == (size_t)-1, "GC_get_size_map_at(-1) is out of range");
    GC_noop1((GC_word)small);
    return check_finish();
}
