/*
 * test_realloc_free — gc_realloc, gc_free, gc_calloc and gc_malloc(0) keep
 * their contracts:
 *   - growing keeps the contents and zeroes the added bytes; shrinking, or
 *     growing within the usable size, returns the same pointer; a moved
 *     object's old block is freed;
 *   - gc_realloc(NULL, n) allocates; gc_realloc(p, 0) frees p, returns NULL;
 *   - the kind survives a realloc: an atomic object is still not scanned, a
 *     scanned one still is, an uncollectable one still outlives every root;
 *   - gc_free makes memory reusable before any collection, and freed memory
 *     comes back zero-filled; gc_free(NULL) does nothing and says nothing;
 *   - gc_malloc(0) returns distinct non-NULL pointers; gc_calloc zero-fills.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

enum { target_count = 200, target_size = 64, zero_size_count = 100 };

static size_t count_nonzero_bytes(const unsigned char *bytes, size_t size) {
    size_t nonzero = 0;
    for (size_t offset = 0; offset < size; offset++) nonzero += bytes[offset] != 0;
    return nonzero;
}

/* Leaves dirty, freed memory of this size behind, so a later allocation
 * that reuses it shows whether it was zeroed. */
static void leave_dirty_freed_block(size_t size) {
    unsigned char *dirty = gc_malloc(size);
    memset(dirty, 0xff, size);
    gc_free(dirty);
}

static void check_growth_and_shrinking(void) {
    leave_dirty_freed_block(10000);
    unsigned char *original = gc_malloc(100);
    fill_from_seed(original, 100, 1);
    unsigned char *grown = gc_realloc(original, 10000);
    CHECK(grown != NULL, "gc_realloc(p, 10000) of a 100-byte object to succeed");
    if (grown != original) {
        CHECK(gc_base(original) == NULL, "the old block %p to be freed once realloc moved the object to %p",
              (void *)original, (void *)grown);
    }
    unsigned char expected[100];
    fill_from_seed(expected, 100, 1);
    CHECK(memcmp(grown, expected, 100) == 0, "growing to keep the first 100 bytes");
    size_t nonzero = count_nonzero_bytes(grown + 100, 10000 - 100);
    CHECK(nonzero == 0, "the 9900 bytes added to a scanned object to be zero, %zu were not", nonzero);
    CHECK(gc_size(grown) >= 10000, "gc_size after growing to be at least 10000, was %zu", gc_size(grown));

    unsigned char *shrunk = gc_realloc(grown, 50);
    CHECK(shrunk == grown, "shrinking to 50 bytes to return the same pointer %p, got %p",
          (void *)grown, (void *)shrunk);
    CHECK(memcmp(shrunk, expected, 50) == 0, "shrinking to keep the first 50 bytes");

    unsigned char *small = gc_malloc(100);
    size_t usable = gc_size(small);
    CHECK(gc_realloc(small, usable) == small,
          "growing to the usable size %zu to return the same pointer", usable);

    unsigned char *from_null = gc_realloc(NULL, 300);
    CHECK(from_null != NULL && gc_base(from_null) == from_null && gc_size(from_null) >= 300,
          "gc_realloc(NULL, 300) to allocate a live object of at least 300 bytes");
    CHECK(from_null != NULL && count_nonzero_bytes(from_null, 300) == 0,
          "gc_realloc(NULL, 300) to be zero-filled like gc_malloc");

    struct stderr_capture capture;
    char report[1024];
    unsigned char *to_zero = gc_malloc(40);
    capture_stderr_begin(&capture);
    void *result = gc_realloc(to_zero, 0);
    capture_stderr_end(&capture, report, sizeof report);
    CHECK(result == NULL, "gc_realloc(p, 0) to return NULL");
    CHECK(gc_base(to_zero) == NULL, "gc_realloc(p, 0) to free p");
    CHECK(report[0] == '\0', "gc_realloc(p, 0) to report nothing, got \"%s\"", report);
}

/* A container of the given kind, grown by realloc, holds pointers to targets. */
__attribute__((noinline)) static void **make_container_by_realloc(void *(*allocate)(size_t),
                                                                  uintptr_t *hidden_targets, uint64_t seed) {
    void **container = allocate(16);
    container = gc_realloc(container, 4096 + target_count * sizeof(void *));
    for (size_t index = 0; index < target_count; index++) {
        container[index] = gc_malloc(target_size);
        fill_from_seed(container[index], target_size, seed + index);
        hide_address(hidden_targets, index, container[index]);
    }
    return container;
}

static size_t count_intact_targets(uintptr_t *hidden_targets, uint64_t seed) {
    size_t intact = 0;
    for (size_t index = 0; index < target_count; index++) {
        unsigned char expected[target_size];
        fill_from_seed(expected, target_size, seed + index);
        unsigned char *target = reveal_address(hidden_targets, index);
        if (gc_base(target) == target && memcmp(target, expected, target_size) == 0) intact += 1;
    }
    return intact;
}

/* Makes the uncollectable container and forgets it; only its hidden address remains. */
__attribute__((noinline)) static void make_forgotten_uncollectable(uintptr_t *hidden_container,
                                                                   uintptr_t *hidden_targets) {
    void **container = make_container_by_realloc(gc_malloc_uncollectable, hidden_targets, 3000);
    hide_address(hidden_container, 0, container);
}

static void check_kinds_survive_realloc(void) {
    uintptr_t *hidden_atomic_targets = hidden_table_create(target_count);
    uintptr_t *hidden_scanned_targets = hidden_table_create(target_count);
    uintptr_t *hidden_uncollectable_targets = hidden_table_create(target_count);
    uintptr_t *hidden_uncollectable = hidden_table_create(1);

    void **volatile atomic_container = make_container_by_realloc(gc_malloc_atomic, hidden_atomic_targets, 1000);
    void **volatile scanned_container = make_container_by_realloc(gc_malloc, hidden_scanned_targets, 2000);
    make_forgotten_uncollectable(hidden_uncollectable, hidden_uncollectable_targets);

    /* Checked before any garbage is allocated: reclaimed targets could be
     * reused by garbage that some stray word keeps alive, and then look live. */
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden_atomic_targets, target_count);
    CHECK(reclaimed >= target_count * 9 / 10,
          "a realloc'd atomic object to stay unscanned: at least 90%% of %d objects it points to "
          "reclaimed, %zu were", target_count, reclaimed);

    for (int round = 0; round < 5; round++) {
        allocate_garbage(2 << 20);
        collect_with_clean_stack();
    }
    size_t intact = count_intact_targets(hidden_scanned_targets, 2000);
    CHECK(intact == target_count, "a realloc'd scanned object to stay scanned: all %d objects it points "
          "to intact, %zu were", target_count, intact);
    void **uncollectable = reveal_address(hidden_uncollectable, 0);
    CHECK(gc_base(uncollectable) == uncollectable,
          "a realloc'd uncollectable object with no roots to survive collections");
    intact = count_intact_targets(hidden_uncollectable_targets, 3000);
    CHECK(intact == target_count, "a realloc'd uncollectable object to stay scanned: all %d objects it "
          "points to intact, %zu were", target_count, intact);

    /* Once freed, the uncollectable object no longer keeps its targets. */
    gc_free(uncollectable);
    uncollectable = NULL;
    collect_with_clean_stack();
    reclaimed = count_reclaimed(hidden_uncollectable_targets, target_count);
    CHECK(reclaimed >= target_count * 9 / 10,
          "after gc_free of the uncollectable object, at least 90%% of %d objects it pointed to "
          "reclaimed, %zu were", target_count, reclaimed);
    CHECK(gc_base(atomic_container) == atomic_container && gc_base(scanned_container) == scanned_container,
          "both containers held by locals to stay live");

    hidden_table_destroy(hidden_atomic_targets, target_count);
    hidden_table_destroy(hidden_scanned_targets, target_count);
    hidden_table_destroy(hidden_uncollectable_targets, target_count);
    hidden_table_destroy(hidden_uncollectable, 1);
}

static void check_free(void) {
    struct stderr_capture capture;
    char report[1024];
    capture_stderr_begin(&capture);
    gc_free(NULL);
    capture_stderr_end(&capture, report, sizeof report);
    CHECK(report[0] == '\0', "gc_free(NULL) to report nothing, got \"%s\"", report);

    /* With collections off, only reuse of freed memory keeps the heap small. */
    const int iterations = 1000000;
    struct gc_stats before, after;
    gc_disable();
    gc_get_stats(&before);
    for (int iteration = 0; iteration < iterations; iteration++) {
        unsigned char *object = gc_malloc(48);
        object[0] = 1;
        object[47] = 1;
        gc_free(object);
    }
    gc_get_stats(&after);
    gc_enable();
    CHECK(after.collections == before.collections, "no collection while disabled");
    CHECK(after.heap_size < before.heap_size + (8 << 20),
          "allocating and freeing %d x 48 bytes with collections disabled to reuse memory: heap grew by "
          "%llu KiB, expected under 8 MiB", iterations,
          (unsigned long long)((after.heap_size - before.heap_size) >> 10));
    CHECK(after.total_bytes_freed - before.total_bytes_freed >= (uint64_t)iterations * 48,
          "total_bytes_freed to grow by at least %d x 48 bytes, grew by %llu", iterations,
          (unsigned long long)(after.total_bytes_freed - before.total_bytes_freed));

    leave_dirty_freed_block(200);
    unsigned char *reused = gc_malloc(200);
    CHECK(count_nonzero_bytes(reused, 200) == 0, "gc_malloc(200) after a dirty 200-byte object was freed to be zeroed");
}

static int compare_addresses(const void *left, const void *right) {
    uintptr_t a = *(const uintptr_t *)left, b = *(const uintptr_t *)right;
    return a < b ? -1 : a > b;
}

static void check_zero_sizes_and_calloc(void) {
    void *zero_sized[zero_size_count];
    size_t null_count = 0;
    for (size_t index = 0; index < zero_size_count; index++) {
        zero_sized[index] = gc_malloc(0);
        if (zero_sized[index] == NULL) null_count += 1;
    }
    CHECK(null_count == 0, "gc_malloc(0) never to return NULL, did %zu times of %d", null_count, zero_size_count);
    gc_collect();
    uintptr_t sorted[zero_size_count];
    memcpy(sorted, zero_sized, sizeof sorted);
    qsort(sorted, zero_size_count, sizeof sorted[0], compare_addresses);
    size_t duplicates = 0;
    for (size_t index = 1; index < zero_size_count; index++) duplicates += sorted[index] == sorted[index - 1];
    CHECK(duplicates == 0, "%d live results of gc_malloc(0) to be distinct, %zu duplicates",
          zero_size_count, duplicates);
    size_t live = 0;
    for (size_t index = 0; index < zero_size_count; index++) live += gc_base(zero_sized[index]) == zero_sized[index];
    CHECK(live == zero_size_count, "each gc_malloc(0) result to be the start of a live object, %zu of %d were",
          live, zero_size_count);

    leave_dirty_freed_block(24000);
    unsigned char *zeroed = gc_calloc(1000, 24);
    CHECK(zeroed != NULL && count_nonzero_bytes(zeroed, 24000) == 0,
          "gc_calloc(1000, 24) to return 24000 zero bytes, even reusing dirty freed memory");
    CHECK(gc_size(zeroed) >= 24000, "gc_size of gc_calloc(1000, 24) to be at least 24000");
    CHECK(gc_calloc(0, 24) != NULL, "gc_calloc(0, 24) to return a unique pointer like gc_malloc(0)");
}

int main(void) {
    check_growth_and_shrinking();
    check_kinds_survive_realloc();
    check_free();
    check_zero_sizes_and_calloc();
    return check_finish();
}
