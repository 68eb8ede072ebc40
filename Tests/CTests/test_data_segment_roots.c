/*
 * test_data_segment_roots — pointers kept only in the executable's writable
 * data segments are roots: an initialised global (.data), a zero-initialised
 * global (.bss) and a static local. Once a global is overwritten with NULL,
 * the objects it held are reclaimed.
 *
 * The test first checks, with the linker's segment symbols, that each root
 * really sits in the section it is meant to exercise.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { payload_size = 200, table_count = 200, collection_rounds = 20 };

/* Section boundaries provided by the GNU linker. */
extern char __data_start[], _edata[], __bss_start[], _end[];

/* The nonzero marker forces the compiler to put this in .data, not .bss. */
struct data_root {
    long marker;
    unsigned char *object;
};
struct data_root initialised_global = { 42, NULL };

/* Zero-initialised: .bss. */
unsigned char *zero_initialised_global;

/* Many objects held by one .bss table, to show both survival and reclamation. */
unsigned char *zero_initialised_table[table_count];

/* The static local lives in .bss too, but is reachable only by name inside
 * this function; the function returns its address so main can find it. */
static unsigned char **static_local_slot(void) {
    static unsigned char *kept_by_static_local;
    return &kept_by_static_local;
}

static int is_in_range(const void *address, const char *start, const char *end) {
    return (const char *)address >= start && (const char *)address < end;
}

static unsigned char *new_filled_object(uint64_t seed) {
    unsigned char *object = gc_malloc(payload_size);
    fill_from_seed(object, payload_size, seed);
    return object;
}

static int is_intact(const unsigned char *object, uint64_t seed) {
    unsigned char expected[payload_size];
    fill_from_seed(expected, payload_size, seed);
    return gc_base(object) == object && memcmp(object, expected, payload_size) == 0;
}

/* Stores the objects only in the globals; no local copy survives this frame. */
__attribute__((noinline)) static void fill_roots(uintptr_t *hidden_table) {
    initialised_global.object = new_filled_object(1);
    zero_initialised_global = new_filled_object(2);
    *static_local_slot() = new_filled_object(3);
    for (size_t index = 0; index < table_count; index++) {
        zero_initialised_table[index] = new_filled_object(100 + index);
        hide_address(hidden_table, index, zero_initialised_table[index]);
    }
}

__attribute__((noinline)) static void clear_table(void) {
    memset(zero_initialised_table, 0, sizeof zero_initialised_table);
}

int main(void) {
    CHECK(is_in_range(&initialised_global, __data_start, _edata),
          "the initialised global at %p to lie in .data [%p, %p)",
          (void *)&initialised_global, (void *)__data_start, (void *)_edata);
    CHECK(is_in_range(&zero_initialised_global, __bss_start, _end),
          "the zero-initialised global at %p to lie in .bss [%p, %p)",
          (void *)&zero_initialised_global, (void *)__bss_start, (void *)_end);
    CHECK(is_in_range(static_local_slot(), __bss_start, _end),
          "the static local at %p to lie in .bss [%p, %p)",
          (void *)static_local_slot(), (void *)__bss_start, (void *)_end);

    uintptr_t *hidden_table = hidden_table_create(table_count);
    fill_roots(hidden_table);
    for (int round = 0; round < collection_rounds; round++) {
        allocate_garbage(4 << 20);
        collect_with_clean_stack();
    }

    CHECK(is_intact(initialised_global.object, 1),
          "the object held only by an initialised global (.data) to survive %d collections unchanged",
          collection_rounds);
    CHECK(is_intact(zero_initialised_global, 2),
          "the object held only by a zero-initialised global (.bss) to survive %d collections unchanged",
          collection_rounds);
    CHECK(is_intact(*static_local_slot(), 3),
          "the object held only by a static local to survive %d collections unchanged", collection_rounds);
    size_t intact_in_table = 0;
    for (size_t index = 0; index < table_count; index++) {
        if (is_intact(zero_initialised_table[index], 100 + index)) intact_in_table += 1;
    }
    CHECK(intact_in_table == table_count,
          "all %d objects held by a global table to survive unchanged, %zu did",
          table_count, intact_in_table);

    /* Overwriting the global table drops the only references. */
    clear_table();
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden_table, table_count);
    CHECK(reclaimed >= table_count * 9 / 10,
          "at least 90%% of %d objects to be reclaimed once the global holding them is NULL, %zu were",
          table_count, reclaimed);
    printf("reclaimed %zu of %d objects after clearing the global table\n", reclaimed, table_count);

    hidden_table_destroy(hidden_table, table_count);
    return check_finish();
}
