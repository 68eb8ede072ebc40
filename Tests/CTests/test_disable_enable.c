/*
 * test_disable_enable — gc_disable stops automatic collections until every
 * gc_disable has its gc_enable; the heap grows instead; gc_collect still
 * collects while disabled.
 *
 * With collections disabled twice, 256 MiB of garbage is allocated: the
 * collection count must not move and the heap must grow. gc_collect must then
 * collect anyway. After one gc_enable collections stay off; after the second,
 * allocating the same garbage must trigger collections again.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

static const size_t garbage_bytes = (size_t)256 << 20;

static uint64_t collections_now(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.collections;
}

int main(void) {
    /* Start the collector and let it settle before measuring. */
    allocate_garbage(1 << 20);
    gc_collect();

    gc_disable();
    gc_disable();
    struct gc_stats before, after;
    gc_get_stats(&before);
    allocate_garbage(garbage_bytes);
    gc_get_stats(&after);
    CHECK(after.collections == before.collections,
          "no collections while disabled twice and allocating 256 MiB, saw %llu",
          (unsigned long long)(after.collections - before.collections));
    CHECK(after.heap_size >= before.heap_size + garbage_bytes / 2,
          "the heap to grow instead of collecting: by at least 128 MiB, grew by %lld MiB",
          (long long)(after.heap_size - before.heap_size) / (1 << 20));

    gc_collect();
    gc_get_stats(&after);
    CHECK(after.collections == before.collections + 1,
          "gc_collect to collect once even while disabled, count went from %llu to %llu",
          (unsigned long long)before.collections, (unsigned long long)after.collections);
    CHECK(after.total_bytes_reclaimed - before.total_bytes_reclaimed >= garbage_bytes / 2,
          "that collection to reclaim at least 128 MiB of the garbage, reclaimed %llu MiB",
          (unsigned long long)((after.total_bytes_reclaimed - before.total_bytes_reclaimed) >> 20));

    gc_enable(); /* still disabled once */
    uint64_t collections_before = collections_now();
    allocate_garbage(garbage_bytes);
    uint64_t collections_after = collections_now();
    CHECK(collections_after == collections_before,
          "no collections after only one of two gc_enable calls, saw %llu",
          (unsigned long long)(collections_after - collections_before));

    gc_enable(); /* enabled again */
    collections_before = collections_now();
    allocate_garbage(garbage_bytes);
    collections_after = collections_now();
    CHECK(collections_after > collections_before,
          "allocating 256 MiB of garbage after both gc_enable calls to collect automatically");
    printf("after re-enabling, 256 MiB of garbage triggered %llu collections\n",
           (unsigned long long)(collections_after - collections_before));
    return check_finish();
}
