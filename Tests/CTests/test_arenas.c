/*
 * test_arenas — arenas (gc_arena_*) over the collected heap.
 *
 *   - Collected objects that only gc_arena_malloc memory points to survive
 *     many collections, their contents intact; those that only
 *     gc_arena_malloc_atomic memory points to are reclaimed.
 *   - Arena objects are zeroed (the scanned ones), 16-byte aligned, distinct;
 *     gc_base gives NULL and gc_size 0 for them; gc_stats counts arena_bytes.
 *   - Large requests get a chunk of their own and are scanned too.
 *   - gc_arena_reset reuses the memory: the same addresses come back, zeroed,
 *     and the heap does not grow over many resets.
 *   - Creating and destroying hundreds of 4 MiB arenas returns the memory:
 *     heap_size and the resident set come back.
 *   - After fork, the child uses an arena of the parent's and collects.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

enum { held_count = 2000, node_bytes = 48 };

struct node {
    uint64_t seed;
    unsigned char payload[node_bytes - 8];
};

static uintptr_t *scanned_table;
static uintptr_t *atomic_table;

/* Fills a scanned and an atomic arena array with pointers to fresh nodes,
 * hiding their addresses elsewhere. Returns nothing on the stack. */
__attribute__((noinline)) static void hold_nodes_from_arena(gc_arena *arena, void ***scanned, void ***atomic) {
    *scanned = gc_arena_malloc(arena, held_count * sizeof(void *));
    *atomic = gc_arena_malloc_atomic(arena, held_count * sizeof(void *));
    for (size_t index = 0; index < held_count; index++) {
        struct node *node = gc_malloc(sizeof *node);
        node->seed = 1000 + index;
        fill_from_seed(node->payload, sizeof node->payload, node->seed);
        (*scanned)[index] = node;
        hide_address(scanned_table, index, node);
        struct node *other = gc_malloc(sizeof *other);
        other->seed = 500000 + index;
        (*atomic)[index] = other;
        hide_address(atomic_table, index, other);
    }
}

/* Objects of the atomic table still allocated with their own seed: under
 * SWIFTGC_STRESS a reclaimed one's slot may already hold another object. */
static size_t count_retained_atomic_held(void) {
    size_t retained = 0;
    for (size_t index = 0; index < held_count; index++) {
        struct node *node = reveal_address(atomic_table, index);
        if (gc_base(node) == node && node->seed == 500000 + index) retained += 1;
    }
    return retained;
}

static size_t count_intact(void **scanned) {
    size_t intact = 0;
    unsigned char expected[sizeof ((struct node *)0)->payload];
    for (size_t index = 0; index < held_count; index++) {
        struct node *node = scanned[index];
        fill_from_seed(expected, sizeof expected, 1000 + index);
        if (gc_base(node) == node && node->seed == 1000 + index
            && memcmp(node->payload, expected, sizeof expected) == 0) intact += 1;
    }
    return intact;
}

static void test_arena_memory_is_a_root(void) {
    scanned_table = hidden_table_create(held_count);
    atomic_table = hidden_table_create(held_count);
    gc_arena *arena = gc_arena_create();
    CHECK(arena != NULL, "gc_arena_create returns an arena");
    void **scanned = NULL, **atomic = NULL;
    hold_nodes_from_arena(arena, &scanned, &atomic);
    for (int round = 0; round < 8; round++) {
        allocate_garbage(2 << 20);
        collect_with_clean_stack();
    }
    CHECK(count_reclaimed(scanned_table, held_count) == 0,
          "no object held from gc_arena_malloc memory is reclaimed (%zu were)",
          count_reclaimed(scanned_table, held_count));
    CHECK(count_intact(scanned) == held_count, "every object held from the arena keeps its contents");
    size_t retained = count_retained_atomic_held();
    CHECK(retained <= held_count / 10,
          "objects held only from gc_arena_malloc_atomic memory are reclaimed (%zu of %d remain)",
          retained, held_count);
    size_t reclaimed;
    gc_arena_destroy(arena);
    collect_with_clean_stack();
    reclaimed = count_reclaimed(scanned_table, held_count);
    CHECK(reclaimed >= held_count * 9 / 10,
          "once the arena is destroyed its objects no longer retain anything (%zu of %d reclaimed)",
          reclaimed, held_count);
    hidden_table_destroy(scanned_table, held_count);
    hidden_table_destroy(atomic_table, held_count);
}

static void test_objects(void) {
    gc_arena *arena = gc_arena_create();
    int zeroed = 1, aligned = 1, distinct = 1, unknown_to_base = 1;
    unsigned char *previous = NULL;
    for (size_t index = 0; index < 5000; index++) {
        size_t size = index % 97;
        unsigned char *object = gc_arena_malloc(arena, size);
        if (object == NULL) { distinct = 0; break; }
        for (size_t byte = 0; byte < size; byte++) if (object[byte] != 0) zeroed = 0;
        memset(object, 0xee, size);
        if ((uintptr_t)object % 16 != 0) aligned = 0;
        if (object == previous) distinct = 0;
        if (gc_base(object) != NULL || gc_size(object) != 0) unknown_to_base = 0;
        previous = object;
    }
    CHECK(zeroed, "gc_arena_malloc memory reads as zeros");
    CHECK(aligned, "arena objects are 16-byte aligned");
    CHECK(distinct, "every arena object, even of 0 bytes, has its own address");
    CHECK(unknown_to_base, "gc_base gives NULL and gc_size 0 for arena objects");
    unsigned char *atomic = gc_arena_malloc_atomic(arena, 100);
    CHECK(atomic != NULL && (uintptr_t)atomic % 16 == 0, "gc_arena_malloc_atomic gives aligned memory");
    struct gc_stats stats;
    gc_get_stats(&stats);
    CHECK(stats.arena_bytes >= 5000 * 48 && stats.arena_bytes <= stats.heap_size,
          "arena_bytes counts the chunks, within heap_size (%llu of %llu)",
          (unsigned long long)stats.arena_bytes, (unsigned long long)stats.heap_size);

    /* A large request: its own chunk, zeroed, and scanned. */
    void **large = gc_arena_malloc(arena, 1 << 20);
    int large_zeroed = large != NULL;
    for (size_t word = 0; large && word < (1 << 20) / sizeof(void *); word++) if (large[word]) large_zeroed = 0;
    CHECK(large_zeroed, "a 1 MiB arena object is zeroed");
    uintptr_t *hidden = hidden_table_create(1);
    struct node *node = gc_malloc(sizeof *node);
    node->seed = 77;
    large[(1 << 20) / sizeof(void *) - 1] = node;
    hide_address(hidden, 0, node);
    node = NULL;
    collect_with_clean_stack();
    CHECK(count_reclaimed(hidden, 1) == 0, "an object held from the last word of a large arena object survives");
    hidden_table_destroy(hidden, 1);
    gc_arena_destroy(arena);
}

static void test_reset_reuses_memory(void) {
    gc_arena *arena = gc_arena_create();
    unsigned char *first = gc_arena_malloc(arena, 64);
    for (int index = 0; index < 20000; index++) memset(gc_arena_malloc(arena, 64), 0x5a, 64);
    struct gc_stats before;
    gc_get_stats(&before);
    int same_address = 1, zeroed = 1;
    for (int round = 0; round < 200; round++) {
        gc_arena_reset(arena);
        unsigned char *again = gc_arena_malloc(arena, 64);
        if (again != first) same_address = 0;
        for (int byte = 0; byte < 64; byte++) if (again[byte]) zeroed = 0;
        for (int index = 0; index < 20000; index++) {
            unsigned char *object = gc_arena_malloc(arena, 64);
            for (int byte = 0; byte < 64; byte += 16) if (object[byte]) zeroed = 0;
            memset(object, 0x5a, 64);
        }
    }
    struct gc_stats after;
    gc_get_stats(&after);
    CHECK(same_address, "after gc_arena_reset the arena hands out its first address again");
    CHECK(zeroed, "memory reused after gc_arena_reset reads as zeros");
    CHECK(after.arena_bytes == before.arena_bytes,
          "200 resets and refills keep the same chunks (arena bytes %llu, then %llu)",
          (unsigned long long)before.arena_bytes, (unsigned long long)after.arena_bytes);
    gc_arena_destroy(arena);
}

static void test_destroy_returns_memory(void) {
    collect_with_clean_stack();
    struct gc_stats before;
    gc_get_stats(&before);
    long resident_before = current_resident_kib();
    for (int round = 0; round < 300; round++) {
        gc_arena *arena = gc_arena_create();
        for (int index = 0; index < 1024; index++) memset(gc_arena_malloc(arena, 4096), 1, 4096);
        memset(gc_arena_malloc_atomic(arena, 256 << 10), 2, 256 << 10);
        gc_arena_destroy(arena);
    }
    struct gc_stats after;
    gc_get_stats(&after);
    long resident_after = current_resident_kib();
    CHECK(after.arena_bytes == before.arena_bytes, "destroyed arenas leave no arena bytes (%llu before, %llu after)",
          (unsigned long long)before.arena_bytes, (unsigned long long)after.arena_bytes);
    CHECK(after.heap_size <= before.heap_size + (1 << 20),
          "after 300 arenas of 4 MiB the heap is back (%llu MiB before, %llu MiB after)",
          (unsigned long long)(before.heap_size >> 20), (unsigned long long)(after.heap_size >> 20));
    CHECK(resident_after <= resident_before + 2 * 1024,
          "after 300 arenas of 4 MiB the resident set is back (%ld KiB before, %ld KiB after)",
          resident_before, resident_after);
}

static void test_fork(void) {
    gc_arena *arena = gc_arena_create();
    struct node **slot = gc_arena_malloc(arena, sizeof *slot);
    *slot = gc_malloc(sizeof **slot);
    (*slot)->seed = 4242;
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int good = 1;
        for (int round = 0; round < 3; round++) {
            allocate_garbage(1 << 20);
            collect_with_clean_stack();
            struct node **more = gc_arena_malloc(arena, 100000);
            if (more == NULL) good = 0;
        }
        if ((*slot)->seed != 4242 || gc_base(*slot) != *slot) good = 0;
        gc_arena_destroy(arena);
        gc_arena *fresh = gc_arena_create();
        if (fresh == NULL || gc_arena_malloc(fresh, 10) == NULL) good = 0;
        _exit(good ? 0 : 1);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {}
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "a forked child uses, collects with and destroys the parent's arena (status %d)", status);
    CHECK((*slot)->seed == 4242, "the parent's arena is untouched by the child");
    gc_arena_destroy(arena);
}

int main(void) {
    test_arena_memory_is_a_root();
    test_objects();
    test_reset_reuses_memory();
    test_destroy_returns_memory();
    test_fork();
    return check_finish();
}
