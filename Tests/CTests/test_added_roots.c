/*
 * test_added_roots — memory from the system malloc is not scanned unless it
 * is registered with gc_add_roots.
 *
 * A malloc'd block holds the only pointers to 200 collected objects:
 *   - registered, the objects survive collections unchanged;
 *   - registering it twice keeps one copy, and removing a range that covers
 *     only part of it removes nothing;
 *   - after gc_remove_roots the block still holds the pointers, yet the
 *     objects are reclaimed;
 *   - an empty or reversed range is reported with a "swiftgc:" line and
 *     ignored: a reversed range does not start scanning the block.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

enum { object_count = 200, object_size = 96, collection_rounds = 10 };

__attribute__((noinline)) static void fill_block(void **block, uintptr_t *hidden_table, uint64_t seed) {
    for (size_t index = 0; index < object_count; index++) {
        block[index] = gc_malloc(object_size);
        fill_from_seed(block[index], object_size, seed + index);
        hide_address(hidden_table, index, block[index]);
    }
}

static size_t count_intact(void *const *block, uint64_t seed) {
    size_t intact = 0;
    for (size_t index = 0; index < object_count; index++) {
        unsigned char expected[object_size];
        fill_from_seed(expected, object_size, seed + index);
        if (gc_base(block[index]) == block[index] && memcmp(block[index], expected, object_size) == 0) {
            intact += 1;
        }
    }
    return intact;
}

static void collect_rounds_with_garbage(void) {
    for (int round = 0; round < collection_rounds; round++) {
        allocate_garbage(2 << 20);
        collect_with_clean_stack();
    }
}

/* Calls gc_add_roots with a bad range and checks the report. */
static void check_bad_range_is_reported(void *start, void *end, const char *description) {
    struct stderr_capture capture;
    char report[4096];
    capture_stderr_begin(&capture);
    gc_add_roots(start, end);
    capture_stderr_end(&capture, report, sizeof report);
    CHECK(strncmp(report, "swiftgc:", 8) == 0 && count_lines(report) == 1,
          "gc_add_roots with %s to print one line starting with \"swiftgc:\", got \"%s\"", description, report);
    CHECK(text_mentions_address(report, start) || text_mentions_address(report, end),
          "the report about %s to mention %p or %p, got \"%s\"", description, start, end, report);
}

int main(void) {
    void **block = malloc(object_count * sizeof(void *));
    void **block_end = block + object_count;
    uintptr_t *hidden_table = hidden_table_create(object_count);

    /* Registered: the block is a root. */
    gc_add_roots(block, block_end);
    gc_add_roots(block, block_end); /* kept once */
    fill_block(block, hidden_table, 1);
    collect_rounds_with_garbage();
    size_t intact = count_intact(block, 1);
    CHECK(intact == object_count,
          "all %d objects pointed to only from a registered malloc block to survive, %zu did",
          object_count, intact);

    /* Removing a range that covers only half of the registered one removes nothing. */
    gc_remove_roots(block, block + object_count / 2);
    collect_rounds_with_garbage();
    intact = count_intact(block, 1);
    CHECK(intact == object_count,
          "gc_remove_roots of a range covering half the registered one to leave it registered, "
          "%zu of %d objects survived", intact, object_count);

    /* Removed: the block still holds the pointers, but nobody scans it. */
    gc_remove_roots(block, block_end);
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden_table, object_count);
    CHECK(reclaimed >= object_count * 9 / 10,
          "at least 90%% of %d objects to be reclaimed after gc_remove_roots (a range added twice is "
          "kept once, so one removal is enough), %zu were", object_count, reclaimed);

    /* Bad ranges are reported and ignored. */
    check_bad_range_is_reported(block, block, "an empty range");
    check_bad_range_is_reported(block_end, block, "a reversed range");
    fill_block(block, hidden_table, 2);
    collect_with_clean_stack();
    reclaimed = count_reclaimed(hidden_table, object_count);
    CHECK(reclaimed >= object_count * 9 / 10,
          "a reversed range to be ignored, not scanned as [start, end): at least 90%% of %d objects "
          "reclaimed, %zu were", object_count, reclaimed);

    /* Allocation and collection still work after the reports. */
    void *after = gc_malloc(64);
    CHECK(after != NULL && gc_base(after) == after, "allocation to keep working after bad ranges");

    hidden_table_destroy(hidden_table, object_count);
    free(block);
    return check_finish();
}
