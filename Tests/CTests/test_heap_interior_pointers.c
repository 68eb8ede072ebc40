/*
 * test_heap_interior_pointers — words inside heap objects that point into
 * the middle of an object, one byte past its requested end, or at its start
 * keep it alive, exactly as such words in roots do.
 *
 * Roots are scanned word by word with each candidate marked at once, but
 * the words of heap objects go through the marker's metadata prefetch
 * queue (Collector/Marking/CandidateQueue.swift), which computes the
 * object index in a stage of its own. This test holds its objects only
 * through one heap "holder" array, reached from a global pointer to its
 * start, so every derived pointer is read by the queued path. It also
 * holds, through the same holder, a word pointing just outside a live
 * object it does not own (into a freed slot between two of them), which
 * must keep neither neighbour's contents from changing. After the holder's
 * words are cleared, the objects must be reclaimed, which shows the
 * derived words were what kept them.
 *
 * Drains open the queue only once the arena has reached 192 MiB
 * (CandidateQueue.fromArenaBytes), so the test first grows the arena past
 * that with pointer-free blocks it drops at once; fresh blocks are never
 * touched, so this costs address space, not memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { object_count = 300, collection_rounds = 6, pointer_kinds = 3 };

/* Small, on and off likely class boundaries, beyond a page, large. */
static const size_t requested_sizes[] = { 16, 24, 40, 100, 1000, 5000, 20000 };

/* The only root: the holder's start. */
static uintptr_t *volatile holder;

static uint64_t seed_for(size_t size, size_t index, int kind) {
    return size * 7919u + index * pointer_kinds + (uint64_t)kind;
}

/* The derived word of kind 0 (middle), 1 (one past the requested end) or 2 (start). */
static uintptr_t derived_word(const unsigned char *object, size_t size, int kind) {
    switch (kind) {
    case 0: return (uintptr_t)(object + size / 2);
    case 1: return (uintptr_t)(object + size);
    default: return (uintptr_t)object;
    }
}

__attribute__((noinline)) static void allocate_objects(size_t size, uintptr_t *hidden) {
    holder = gc_malloc(object_count * pointer_kinds * sizeof(uintptr_t));
    for (size_t index = 0; index < object_count; index++) {
        for (int kind = 0; kind < pointer_kinds; kind++) {
            unsigned char *object = gc_malloc(size);
            fill_from_seed(object, size, seed_for(size, index, kind));
            holder[index * pointer_kinds + (size_t)kind] = derived_word(object, size, kind);
            hide_address(hidden, index * pointer_kinds + (size_t)kind, object);
        }
    }
}

static int is_intact(const unsigned char *start, size_t size, uint64_t seed) {
    unsigned char *expected = malloc(size);
    fill_from_seed(expected, size, seed);
    int matches = memcmp(start, expected, size) == 0;
    free(expected);
    return matches;
}

__attribute__((noinline)) static void clear_holder(void) {
    memset(holder, 0, object_count * pointer_kinds * sizeof(uintptr_t));
}

static void check_size(size_t size) {
    size_t total = object_count * pointer_kinds;
    uintptr_t *hidden = hidden_table_create(total);
    allocate_objects(size, hidden);
    for (int round = 0; round < collection_rounds; round++) {
        allocate_garbage(2 << 20);
        collect_with_clean_stack();
    }
    size_t intact[pointer_kinds] = { 0 };
    for (size_t index = 0; index < object_count; index++) {
        for (int kind = 0; kind < pointer_kinds; kind++) {
            const unsigned char *start = reveal_address(hidden, index * pointer_kinds + (size_t)kind);
            if (gc_base((void *)start) == start && is_intact(start, size, seed_for(size, index, kind))) {
                intact[kind] += 1;
            }
        }
    }
    static const char *const kind_names[pointer_kinds] = { "the middle", "one past the end", "the start" };
    for (int kind = 0; kind < pointer_kinds; kind++) {
        CHECK(intact[kind] == object_count,
              "all %d objects of %zu bytes held only by a heap word pointing at %s to survive intact, %zu did",
              object_count, size, kind_names[kind], intact[kind]);
    }
    clear_holder();
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden, total);
    CHECK(reclaimed >= total * 9 / 10,
          "at least 90%% of %zu objects of %zu bytes reclaimed once the holder's words are cleared, %zu were",
          total, size, reclaimed);
    printf("%6zu bytes: %zu, %zu, %zu of %d kept; %zu of %zu reclaimed after clearing\n", size, intact[0],
           intact[1], intact[2], object_count, reclaimed, total);
    hidden_table_destroy(hidden, total);
}

/* Three neighbours in one span; the middle one is freed, and a heap word
 * points into its slot. The outer two, held by exact pointers, must stay
 * intact, and the freed slot must not count as an object. */
static void check_word_into_freed_slot(void) {
    enum { size = 48, tries = 64 };
    size_t checked = 0, intact = 0, freed_slot_is_object = 0;
    uintptr_t *words = gc_malloc(tries * 3 * sizeof(uintptr_t));
    holder = words;
    for (int attempt = 0; attempt < tries; attempt++) {
        unsigned char *first = gc_malloc(size), *middle = gc_malloc(size), *last = gc_malloc(size);
        /* Neighbours: equal steps, and the byte before each is its predecessor's. */
        size_t slot = (size_t)(middle - first);
        if (middle <= first || last != middle + slot || gc_base(middle - 1) != first || gc_base(last - 1) != middle)
            continue;
        fill_from_seed(first, size, 1000u + (uint64_t)attempt);
        fill_from_seed(last, size, 2000u + (uint64_t)attempt);
        words[attempt * 3] = (uintptr_t)first;
        words[attempt * 3 + 1] = (uintptr_t)(middle + slot / 2);
        words[attempt * 3 + 2] = (uintptr_t)last;
        checked += 1;
    }
    /* Freed only after the last allocation, so that no slot is handed out again. */
    for (int attempt = 0; attempt < tries; attempt++) {
        if (words[attempt * 3] != 0) gc_free(gc_base((void *)words[attempt * 3 + 1]));
    }
    for (int round = 0; round < collection_rounds; round++) collect_with_clean_stack();
    for (int attempt = 0; attempt < tries; attempt++) {
        if (words[attempt * 3] == 0) continue;
        unsigned char *first = (unsigned char *)words[attempt * 3];
        unsigned char *last = (unsigned char *)words[attempt * 3 + 2];
        unsigned char *middle_word = (unsigned char *)words[attempt * 3 + 1];
        if (is_intact(first, size, 1000u + (uint64_t)attempt) && is_intact(last, size, 2000u + (uint64_t)attempt))
            intact += 1;
        if (gc_base(middle_word) != NULL) freed_slot_is_object += 1;
    }
    CHECK(checked > 0, "some of %d triples of %d-byte objects to be neighbours in one span", tries, size);
    CHECK(intact == checked, "the outer objects of all %zu triples to stay intact, %zu did", checked, intact);
    CHECK(freed_slot_is_object == 0,
          "a heap word into a freed slot to keep nothing there (gc_base NULL) in all %zu triples, not %zu",
          checked, freed_slot_is_object);
    printf("freed slots: %zu triples checked\n", checked);
}

enum { growth_block = 4 << 20, growth_blocks = 64 };
static void *growth_table[growth_blocks];

/* Raises the arena top to 256 MiB (the blocks are live together, then
 * dropped); the top never comes down. */
__attribute__((noinline)) static void grow_arena(void) {
    for (int index = 0; index < growth_blocks; index++) growth_table[index] = gc_malloc_atomic(growth_block);
    memset(growth_table, 0, sizeof growth_table);
}

int main(void) {
    grow_arena();
    struct gc_stats stats;
    gc_get_stats(&stats);
    CHECK(stats.peak_heap_size >= (uint64_t)192 << 20,
          "the heap to have reached 192 MiB, so that drains use the candidate queue; it reached %llu bytes",
          (unsigned long long)stats.peak_heap_size);
    for (size_t which = 0; which < sizeof requested_sizes / sizeof requested_sizes[0]; which++) {
        check_size(requested_sizes[which]);
    }
    check_word_into_freed_slot();
    return check_finish();
}
