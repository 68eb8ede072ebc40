/*
 * test_atomic_not_scanned — the collector does not look inside objects from
 * gc_malloc_atomic, but does look inside objects from gc_malloc.
 *
 * Two containers, each held by a local, hold the only pointers to 200 target
 * objects apiece. The targets of the atomic container must be reclaimed; the
 * targets of the scanned container must survive unchanged. The containers
 * themselves must survive either way.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { target_count = 200, target_size = 80 };

/* Fills container with pointers to fresh targets, remembered also in hidden form. */
__attribute__((noinline)) static void fill_container(void **container, uintptr_t *hidden_targets, uint64_t seed) {
    for (size_t index = 0; index < target_count; index++) {
        container[index] = gc_malloc(target_size);
        fill_from_seed(container[index], target_size, seed + index);
        hide_address(hidden_targets, index, container[index]);
    }
}

int main(void) {
    uintptr_t *hidden_atomic_targets = hidden_table_create(target_count);
    uintptr_t *hidden_scanned_targets = hidden_table_create(target_count);

    void **volatile atomic_container = gc_malloc_atomic(target_count * sizeof(void *));
    void **volatile scanned_container = gc_malloc(target_count * sizeof(void *));
    fill_container(atomic_container, hidden_atomic_targets, 1000);
    fill_container(scanned_container, hidden_scanned_targets, 2000);

    collect_with_clean_stack();
    size_t reclaimed_from_atomic = count_reclaimed(hidden_atomic_targets, target_count);
    size_t reclaimed_from_scanned = count_reclaimed(hidden_scanned_targets, target_count);
    CHECK(reclaimed_from_atomic >= target_count * 9 / 10,
          "at least 90%% of %d objects pointed to only from a gc_malloc_atomic block to be reclaimed, %zu were",
          target_count, reclaimed_from_atomic);
    CHECK(reclaimed_from_scanned == 0,
          "none of %d objects pointed to from a gc_malloc block to be reclaimed, %zu were",
          target_count, reclaimed_from_scanned);
    printf("reclaimed %zu of %d targets of the atomic block and %zu of %d of the scanned block\n",
           reclaimed_from_atomic, target_count, reclaimed_from_scanned, target_count);

    /* More collections with garbage: the scanned block's targets stay intact. */
    for (int round = 0; round < 10; round++) {
        allocate_garbage(2 << 20);
        collect_with_clean_stack();
    }
    size_t intact = 0;
    for (size_t index = 0; index < target_count; index++) {
        unsigned char expected[target_size];
        fill_from_seed(expected, target_size, 2000 + index);
        if (memcmp(scanned_container[index], expected, target_size) == 0) intact += 1;
    }
    CHECK(intact == target_count,
          "all %d targets of the gc_malloc block to be unchanged after 10 more collections, %zu were",
          target_count, intact);
    CHECK(gc_base(atomic_container) == atomic_container && gc_base(scanned_container) == scanned_container,
          "both containers, held by locals, to stay live");

    hidden_table_destroy(hidden_atomic_targets, target_count);
    hidden_table_destroy(hidden_scanned_targets, target_count);
    return check_finish();
}
