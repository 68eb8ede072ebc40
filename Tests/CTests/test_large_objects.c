/*
 * test_large_objects — objects of 40 KiB, 1 MiB and 64 MiB behave like any
 * other object: they come back zero-filled (also when their memory was used
 * before), are writable to the last byte, gc_base maps interior pointers to
 * their start, and they are reclaimed once dropped, so allocating and
 * dropping 64 MiB fifty times does not make the heap grow without bound.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { churn_rounds = 50, reclaim_count = 20 };
static const size_t heap_bound = (size_t)512 << 20;
static const size_t sizes[] = { 40 << 10, 1 << 20, 64 << 20 };

static size_t count_nonzero_bytes(const unsigned char *object, size_t size) {
    size_t nonzero = 0;
    for (size_t offset = 0; offset < size; offset++) {
        if (object[offset] != 0) nonzero += 1;
    }
    return nonzero;
}

/* Allocates, dirties and drops an object; only a hidden address is left. */
__attribute__((noinline)) static void allocate_dirty_and_drop(size_t size, uintptr_t *hidden_table, size_t index) {
    unsigned char *object = gc_malloc(size);
    memset(object, 0xff, size);
    hide_address(hidden_table, index, object);
}

static void check_size(size_t size) {
    unsigned char *object = gc_malloc(size);
    CHECK(object != NULL, "gc_malloc(%zu) to succeed", size);
    if (object == NULL) return;
    size_t nonzero = count_nonzero_bytes(object, size);
    CHECK(nonzero == 0, "a fresh %zu-byte object to be zero-filled, %zu bytes were not", size, nonzero);
    CHECK(gc_size(object) >= size, "gc_size to be at least %zu, was %zu", size, gc_size(object));
    CHECK(((uintptr_t)object & 15) == 0, "a %zu-byte object to be 16-byte aligned, got %p", size, (void *)object);

    fill_from_seed(object, size, size);
    unsigned char *expected = malloc(size);
    fill_from_seed(expected, size, size);
    CHECK(memcmp(object, expected, size) == 0, "all %zu bytes to read back what was written, up to the last", size);
    free(expected);

    CHECK(gc_base(object + 1) == object, "gc_base(start + 1) == start for %zu bytes", size);
    CHECK(gc_base(object + size / 2) == object, "gc_base(middle) == start for %zu bytes", size);
    CHECK(gc_base(object + size - 1) == object, "gc_base(last byte) == start for %zu bytes", size);
    CHECK(gc_size(object + size / 2) >= size, "gc_size(middle) >= %zu", size);

    /* Memory given back by gc_free and handed out again must be zeroed again. */
    memset(object, 0xff, size);
    gc_free(object);
    object = gc_malloc(size);
    nonzero = count_nonzero_bytes(object, size);
    CHECK(nonzero == 0, "a %zu-byte object allocated after a dirty one was freed to be zero-filled, "
          "%zu bytes were not", size, nonzero);
    gc_free(object);

    /* And so must memory reclaimed by a collection. */
    uintptr_t *hidden_table = hidden_table_create(1);
    allocate_dirty_and_drop(size, hidden_table, 0);
    collect_with_clean_stack();
    object = gc_malloc(size);
    nonzero = count_nonzero_bytes(object, size);
    CHECK(nonzero == 0, "a %zu-byte object allocated after a dirty one was collected to be zero-filled, "
          "%zu bytes were not", size, nonzero);
    hidden_table_destroy(hidden_table, 1);
}

/* Allocates a 64 MiB object, touches both ends, and forgets it.
 * Returns whether the allocation succeeded. */
__attribute__((noinline)) static int allocate_and_drop_64_mib(void) {
    const size_t size = 64 << 20;
    unsigned char *object = gc_malloc(size);
    if (object == NULL) return 0;
    object[0] = 1;
    object[size - 1] = 1;
    return 1;
}

int main(void) {
    for (size_t which = 0; which < sizeof sizes / sizeof sizes[0]; which++) {
        check_size(sizes[which]);
    }

    /* Dropped large objects are reclaimed. */
    uintptr_t *hidden_table = hidden_table_create(reclaim_count);
    for (size_t index = 0; index < reclaim_count; index++) {
        allocate_dirty_and_drop(1 << 20, hidden_table, index);
    }
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden_table, reclaim_count);
    CHECK(reclaimed >= reclaim_count * 9 / 10,
          "at least 90%% of %d dropped 1 MiB objects to be reclaimed, %zu were", reclaim_count, reclaimed);
    hidden_table_destroy(hidden_table, reclaim_count);

    /* Fifty rounds of 64 MiB, with automatic collections only. */
    uint64_t largest_heap = 0;
    int failed_allocations = 0;
    struct gc_stats before, stats;
    gc_get_stats(&before);
    for (int round = 0; round < churn_rounds; round++) {
        scrub_stack();
        if (!allocate_and_drop_64_mib()) failed_allocations += 1;
        gc_get_stats(&stats);
        if (stats.heap_size > largest_heap) largest_heap = stats.heap_size;
    }
    CHECK(failed_allocations == 0, "all %d allocations of 64 MiB to succeed, %d failed",
          churn_rounds, failed_allocations);
    CHECK(largest_heap < heap_bound,
          "the heap to stay under %zu MiB over %d rounds of allocating and dropping 64 MiB, peaked at %llu MiB",
          heap_bound >> 20, churn_rounds, (unsigned long long)(largest_heap >> 20));
    CHECK(stats.collections > before.collections,
          "automatic collections to run while allocating %d x 64 MiB", churn_rounds);
    printf("heap peaked at %llu MiB over %d rounds of 64 MiB; %llu collections\n",
           (unsigned long long)(largest_heap >> 20), churn_rounds,
           (unsigned long long)(stats.collections - before.collections));
    return check_finish();
}
