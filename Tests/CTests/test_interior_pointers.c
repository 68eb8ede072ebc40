/*
 * test_interior_pointers — a pointer into the middle of an object, or one
 * byte past its end (start + requested size), keeps the whole object alive;
 * gc_base maps such pointers back to the start and gc_size reports at least
 * the requested size.
 *
 * For several sizes, from small to large, 200 objects are held only through
 * interior pointers in one .bss table and 200 more only through past-the-end
 * pointers in another. Their starts are remembered only in hidden form. After
 * collections with garbage in between, every object must be intact; after
 * the tables are cleared, they must be reclaimed, which shows the interior
 * pointers were what kept them. One large object is also held by a single
 * volatile global interior pointer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { object_count = 200, collection_rounds = 10 };

/* Sizes chosen to land on and off likely size-class boundaries, and beyond a page. */
static const size_t requested_sizes[] = { 24, 64, 100, 1000, 4096, 20000 };

static unsigned char *interior_roots[object_count];
static unsigned char *past_the_end_roots[object_count];
static unsigned char *volatile large_interior_root;

static uint64_t seed_for(size_t size, size_t index, int which) {
    return size * 1000003u + index * 2 + (uint64_t)which;
}

/* Allocates the objects; only derived pointers reach the tables. */
__attribute__((noinline)) static void allocate_objects(size_t size, uintptr_t *hidden_interior_starts,
                                                       uintptr_t *hidden_past_the_end_starts) {
    for (size_t index = 0; index < object_count; index++) {
        unsigned char *object = gc_malloc(size);
        fill_from_seed(object, size, seed_for(size, index, 0));
        interior_roots[index] = object + size / 2;
        hide_address(hidden_interior_starts, index, object);

        object = gc_malloc(size);
        fill_from_seed(object, size, seed_for(size, index, 1));
        past_the_end_roots[index] = object + size;
        hide_address(hidden_past_the_end_starts, index, object);
    }
}

static int is_intact(const unsigned char *start, size_t size, uint64_t seed) {
    unsigned char *expected = malloc(size);
    fill_from_seed(expected, size, seed);
    int matches = memcmp(start, expected, size) == 0;
    free(expected);
    return matches;
}

__attribute__((noinline)) static void clear_tables(void) {
    memset(interior_roots, 0, sizeof interior_roots);
    memset(past_the_end_roots, 0, sizeof past_the_end_roots);
}

static void check_size(size_t size) {
    uintptr_t *hidden_interior_starts = hidden_table_create(object_count);
    uintptr_t *hidden_past_the_end_starts = hidden_table_create(object_count);
    allocate_objects(size, hidden_interior_starts, hidden_past_the_end_starts);
    for (int round = 0; round < collection_rounds; round++) {
        allocate_garbage(2 << 20);
        collect_with_clean_stack();
    }

    size_t intact_interior = 0, base_from_interior = 0, size_from_interior = 0;
    size_t intact_past_the_end = 0, base_from_past_the_end = 0, size_of_past_the_end = 0;
    for (size_t index = 0; index < object_count; index++) {
        unsigned char *start = reveal_address(hidden_interior_starts, index);
        if (is_intact(start, size, seed_for(size, index, 0))) intact_interior += 1;
        if (gc_base(interior_roots[index]) == start) base_from_interior += 1;
        if (gc_size(interior_roots[index]) >= size) size_from_interior += 1;

        start = reveal_address(hidden_past_the_end_starts, index);
        if (is_intact(start, size, seed_for(size, index, 1))) intact_past_the_end += 1;
        /* When the usable size is exactly the requested size, start + size is
         * also the start of the next slot, which may hold another live object;
         * gc_base may then answer with either. */
        void *base = gc_base(past_the_end_roots[index]);
        int is_shared_boundary = gc_size(start) == size && base == past_the_end_roots[index];
        if (base == start || is_shared_boundary) base_from_past_the_end += 1;
        if (gc_size(start) >= size) size_of_past_the_end += 1;
    }
    CHECK(intact_interior == object_count,
          "all %d objects of %zu bytes held only by interior pointers to survive intact, %zu did",
          object_count, size, intact_interior);
    CHECK(base_from_interior == object_count,
          "gc_base(start + %zu) == start for all %d objects of %zu bytes, true for %zu",
          size / 2, object_count, size, base_from_interior);
    CHECK(size_from_interior == object_count,
          "gc_size(interior pointer) >= %zu for all %d objects, true for %zu", size, object_count, size_from_interior);
    CHECK(intact_past_the_end == object_count,
          "all %d objects of %zu bytes held only by start + %zu (one past the end) to survive intact, %zu did",
          object_count, size, size, intact_past_the_end);
    CHECK(base_from_past_the_end == object_count,
          "gc_base(start + %zu) == start (one past the end counts as pointing into it; or the next "
          "object's start when it begins exactly there) for all %d objects, true for %zu",
          size, object_count, base_from_past_the_end);
    CHECK(size_of_past_the_end == object_count,
          "gc_size(start) >= %zu for all %d objects, true for %zu", size, object_count, size_of_past_the_end);

    clear_tables();
    collect_with_clean_stack();
    size_t reclaimed_interior = count_reclaimed(hidden_interior_starts, object_count);
    size_t reclaimed_past_the_end = count_reclaimed(hidden_past_the_end_starts, object_count);
    CHECK(reclaimed_interior >= object_count * 9 / 10,
          "at least 90%% of %d objects of %zu bytes reclaimed once their interior pointers are cleared, %zu were",
          object_count, size, reclaimed_interior);
    CHECK(reclaimed_past_the_end >= object_count * 9 / 10,
          "at least 90%% of %d objects of %zu bytes reclaimed once their past-the-end pointers are cleared, "
          "%zu were", object_count, size, reclaimed_past_the_end);
    printf("%6zu bytes: %zu and %zu of %d reclaimed after clearing interior and past-the-end roots\n",
           size, reclaimed_interior, reclaimed_past_the_end, object_count);

    hidden_table_destroy(hidden_interior_starts, object_count);
    hidden_table_destroy(hidden_past_the_end_starts, object_count);
}

/* A large object held only by one volatile global pointing 3/4 of the way in. */
__attribute__((noinline)) static void allocate_large(size_t size, uintptr_t *hidden_start) {
    unsigned char *object = gc_malloc(size);
    fill_from_seed(object, size, 777);
    large_interior_root = object + size / 4 * 3;
    hide_address(hidden_start, 0, object);
}

static void check_large_object(void) {
    const size_t size = 3 << 20;
    uintptr_t *hidden_start = hidden_table_create(1);
    allocate_large(size, hidden_start);
    for (int round = 0; round < collection_rounds; round++) {
        allocate_garbage(4 << 20);
        collect_with_clean_stack();
    }
    unsigned char *start = reveal_address(hidden_start, 0);
    CHECK(gc_base(large_interior_root) == start,
          "gc_base of a pointer 3/4 into a %zu-byte object held only by it to be the start %p", size, (void *)start);
    CHECK(gc_size(large_interior_root) >= size, "gc_size of that pointer to be at least %zu", size);
    unsigned char *expected = malloc(size);
    fill_from_seed(expected, size, 777);
    CHECK(memcmp(start, expected, size) == 0, "the %zu-byte object to be unchanged", size);
    free(expected);
    hidden_table_destroy(hidden_start, 1);
}

int main(void) {
    for (size_t which = 0; which < sizeof requested_sizes / sizeof requested_sizes[0]; which++) {
        check_size(requested_sizes[which]);
    }
    check_large_object();
    return check_finish();
}
