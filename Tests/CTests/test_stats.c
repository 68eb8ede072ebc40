/*
 * test_stats — the counters of gc_get_stats move as their descriptions in
 * swiftgc.h say:
 *   - collections grows by exactly one per gc_collect; the pause counters
 *     are positive and add up;
 *   - bytes_allocated_since_collection is 0 right after a collection and
 *     grows with allocation, as does total_bytes_allocated;
 *   - with about 1 MiB live, bytes_in_use is at least 1 MiB and not absurdly
 *     more, and heap_size and peak_heap_size are at least that;
 *   - gc_free counts in total_bytes_freed; dropping the 1 MiB and collecting
 *     counts in total_bytes_reclaimed and lowers bytes_in_use.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { live_object_count = 1024, live_object_size = 1024 };
static const uint64_t live_bytes = (uint64_t)live_object_count * live_object_size;

/* The live megabyte: an array of 1024 objects of 1 KiB, held by a global. */
static void **live_array;

__attribute__((noinline)) static void make_live_megabyte(void) {
    live_array = gc_malloc(live_object_count * sizeof(void *));
    for (size_t index = 0; index < live_object_count; index++) {
        live_array[index] = gc_malloc(live_object_size);
    }
}

static void print_stats(const char *when, const struct gc_stats *stats) {
    printf("%-28s heap %7llu KiB  in use %7llu KiB  collections %llu  last pause %llu us\n", when,
           (unsigned long long)(stats->heap_size >> 10), (unsigned long long)(stats->bytes_in_use >> 10),
           (unsigned long long)stats->collections, (unsigned long long)(stats->last_pause_ns / 1000));
}

int main(void) {
    struct gc_stats before, after;

    /* Collections and pauses. */
    gc_get_stats(&before);
    gc_collect();
    gc_get_stats(&after);
    CHECK(after.collections == before.collections + 1, "gc_collect to add exactly 1 to collections, %llu -> %llu",
          (unsigned long long)before.collections, (unsigned long long)after.collections);
    CHECK(after.last_pause_ns > 0, "last_pause_ns > 0 after a collection");
    CHECK(after.max_pause_ns >= after.last_pause_ns, "max_pause_ns >= last_pause_ns");
    CHECK(after.total_pause_ns - before.total_pause_ns == after.last_pause_ns,
          "total_pause_ns to grow by exactly the last pause (%llu ns), grew by %llu ns",
          (unsigned long long)after.last_pause_ns, (unsigned long long)(after.total_pause_ns - before.total_pause_ns));
    CHECK(after.bytes_allocated_since_collection == 0,
          "bytes_allocated_since_collection == 0 right after a collection, was %llu",
          (unsigned long long)after.bytes_allocated_since_collection);
    CHECK(after.metadata_size > 0, "metadata_size > 0 once the collector is running");
    print_stats("after the first collection", &after);

    /* Allocation counters; collections are off so nothing resets the counter since the last one. */
    gc_disable();
    gc_get_stats(&before);
    uint64_t requested = 0;
    for (size_t index = 0; index < 1000; index++) {
        size_t size = 16 + index;
        void *object = index % 2 ? gc_malloc(size) : gc_malloc_atomic(size);
        requested += size;
        __asm__ volatile("" : : "r"(object) : "memory");
    }
    gc_get_stats(&after);
    gc_enable();
    CHECK(after.total_bytes_allocated - before.total_bytes_allocated >= requested,
          "total_bytes_allocated to grow by at least the %llu bytes requested, grew by %llu",
          (unsigned long long)requested, (unsigned long long)(after.total_bytes_allocated - before.total_bytes_allocated));
    CHECK(after.bytes_allocated_since_collection >= requested,
          "bytes_allocated_since_collection to be at least the %llu bytes requested since, was %llu",
          (unsigned long long)requested, (unsigned long long)after.bytes_allocated_since_collection);

    void *to_free = gc_malloc(5000);
    gc_get_stats(&before);
    gc_free(to_free);
    gc_get_stats(&after);
    CHECK(after.total_bytes_freed - before.total_bytes_freed >= 5000,
          "gc_free of a 5000-byte object to add at least 5000 to total_bytes_freed, added %llu",
          (unsigned long long)(after.total_bytes_freed - before.total_bytes_freed));

    /* Live bytes. */
    collect_with_clean_stack();
    struct gc_stats baseline;
    gc_get_stats(&baseline);
    print_stats("with nothing live", &baseline);
    make_live_megabyte();
    collect_with_clean_stack();
    struct gc_stats with_live;
    gc_get_stats(&with_live);
    print_stats("with 1 MiB live", &with_live);
    CHECK(with_live.bytes_in_use >= live_bytes,
          "bytes_in_use >= 1 MiB with 1 MiB live, was %llu KiB", (unsigned long long)(with_live.bytes_in_use >> 10));
    CHECK(with_live.bytes_in_use <= baseline.bytes_in_use + 3 * live_bytes,
          "bytes_in_use with 1 MiB live to exceed the empty baseline by no more than 3 MiB, was %llu KiB over",
          (unsigned long long)((with_live.bytes_in_use - baseline.bytes_in_use) >> 10));
    CHECK(with_live.heap_size >= with_live.bytes_in_use, "heap_size (%llu) >= bytes_in_use (%llu)",
          (unsigned long long)with_live.heap_size, (unsigned long long)with_live.bytes_in_use);
    CHECK(with_live.peak_heap_size >= with_live.heap_size, "peak_heap_size (%llu) >= heap_size (%llu)",
          (unsigned long long)with_live.peak_heap_size, (unsigned long long)with_live.heap_size);

    /* Dropping the megabyte. */
    live_array = NULL;
    collect_with_clean_stack();
    gc_get_stats(&after);
    print_stats("after dropping it", &after);
    CHECK(after.total_bytes_reclaimed - with_live.total_bytes_reclaimed >= live_bytes * 9 / 10,
          "dropping 1 MiB and collecting to add at least 90%% of it to total_bytes_reclaimed, added %llu KiB",
          (unsigned long long)((after.total_bytes_reclaimed - with_live.total_bytes_reclaimed) >> 10));
    CHECK(after.bytes_in_use + live_bytes * 9 / 10 <= with_live.bytes_in_use,
          "bytes_in_use to fall by at least 90%% of 1 MiB once it is dropped, %llu -> %llu KiB",
          (unsigned long long)(with_live.bytes_in_use >> 10), (unsigned long long)(after.bytes_in_use >> 10));
    return check_finish();
}
