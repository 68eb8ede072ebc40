/*
 * test_boehm_alloc_lock — bdwgc's allocation lock really excludes
 * collection: while the main thread holds GC_alloc_lock (or runs inside
 * GC_call_with_alloc_lock), another thread's GC_gcollect does not run, and
 * it completes once the lock is released. Under the lock,
 * GC_enumerate_reachable_objects_inner reports every live object once,
 * with its GC_base and GC_size.
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "boehm/gc/gc.h"
#include "check.h"
#include "garbage.h"

enum { kept_count = 500 };

static int collector_has_finished; /* written by the other thread */
static int collector_may_start;    /* written by the main thread */

/* Waits to be told, then collects. Created before the lock is taken:
 * starting a thread takes the lock itself. */
static void *collect_when_told(void *argument) {
    (void)argument;
    while (!__atomic_load_n(&collector_may_start, __ATOMIC_ACQUIRE)) sched_yield();
    GC_gcollect();
    __atomic_store_n(&collector_has_finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Tells the other thread to collect, then gives it ample chance to run
 * (200 sleeps of 1 ms; were collections not excluded, its GC_gcollect
 * would finish meanwhile). Returns whether it has not finished. */
static void *while_locked(void *data) {
    (void)data;
    __atomic_store_n(&collector_may_start, 1, __ATOMIC_RELEASE);
    for (int round = 0; round < 200; round++) {
        sched_yield();
        usleep(1000);
    }
    return (void *)(uintptr_t)(__atomic_load_n(&collector_has_finished, __ATOMIC_ACQUIRE) == 0);
}

/* Holds the lock around another thread's try to collect; returns whether
 * that collection stayed out until the lock was released. */
static int collection_waits_for_lock(int uses_call_with_lock) {
    __atomic_store_n(&collector_has_finished, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&collector_may_start, 0, __ATOMIC_RELEASE);
    GC_word collections_before = GC_get_gc_no();
    pthread_t collector;
    if (pthread_create(&collector, NULL, collect_when_told, NULL) != 0) abort();
    int stayed_out;
    if (uses_call_with_lock) {
        stayed_out = (int)(uintptr_t)GC_call_with_alloc_lock(while_locked, NULL);
    } else {
        GC_alloc_lock();
        stayed_out = (int)(uintptr_t)while_locked(NULL);
        GC_alloc_unlock();
    }
    pthread_join(collector, NULL);
    CHECK(collector_has_finished && GC_get_gc_no() > collections_before,
          "once the lock is released, the other thread's collection runs");
    return stayed_out;
}

/* ---- Enumeration ---- */
struct census {
    size_t objects;
    size_t bad_base_or_size;
    size_t kept_found;
    void **kept;
};

static void count_object(void *object, size_t bytes, void *data) {
    struct census *census = data;
    census->objects += 1;
    if (GC_base(object) != object || GC_size(object) != bytes || bytes == 0) census->bad_base_or_size += 1;
    for (size_t index = 0; index < kept_count; index++) {
        if (census->kept[index] == object) census->kept_found += 1;
    }
}

int main(void) {
    GC_INIT();
    CHECK(collection_waits_for_lock(0), "another thread's GC_gcollect does not run while GC_alloc_lock is held");
    CHECK(collection_waits_for_lock(1), "nor while GC_call_with_alloc_lock runs its function");

    void **kept = GC_MALLOC_UNCOLLECTABLE(kept_count * sizeof(void *));
    for (size_t index = 0; index < kept_count; index++) kept[index] = GC_MALLOC(16 + index % 200);
    allocate_garbage(1 << 20);
    collect_with_clean_stack();
    struct census census = { 0, 0, 0, kept };
    GC_alloc_lock();
    GC_enumerate_reachable_objects_inner(count_object, &census);
    GC_alloc_unlock();
    CHECK(census.kept_found == kept_count, "every kept object is reported exactly once (%zu of %d)", census.kept_found,
          kept_count);
    CHECK(census.bad_base_or_size == 0, "every object is reported at its base with its GC_size (%zu not)",
          census.bad_base_or_size);
    CHECK(census.objects >= kept_count + 1, "the kept objects and their array are among those reported (%zu)",
          census.objects);
    CHECK(census.objects < kept_count + 2000, "the garbage collected before is not reported (%zu objects)",
          census.objects);
    GC_free(kept);
    return check_finish();
}
