/*
 * test_arena_threads — arenas on many threads beside allocation and
 * collection on others.
 *
 * Four threads each keep two arenas and, for many rounds, build in them a
 * linked list of collected nodes (the list cells in the arena, the nodes
 * from gc_malloc, each reachable only through the arena), check every node's
 * contents after other threads' collections, then reset one arena and
 * destroy and re-create the other. Two threads allocate garbage and call
 * gc_collect meanwhile. Every node must be intact. The whole run is repeated
 * in a child with SWIFTGC_CONCURRENT=1 (argument "concurrent-child"), where
 * marking runs beside the arena threads.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

enum { arena_threads = 4, collecting_threads = 2, rounds = 150, cells_per_round = 3000 };

struct node {
    uint64_t key;
    uint64_t check;
};

struct cell {
    struct cell *next;
    struct node *node;
};

static atomic_int arena_threads_running;
static atomic_size_t broken_nodes;

static struct cell *build(gc_arena *arena, uint64_t base) {
    struct cell *head = NULL;
    for (uint64_t index = 0; index < cells_per_round; index++) {
        struct cell *cell = gc_arena_malloc(arena, sizeof *cell);
        struct node *node = gc_malloc(sizeof *node);
        if (cell == NULL || node == NULL) abort();
        node->key = base + index;
        node->check = (base + index) * 0x9e3779b97f4a7c15u;
        cell->node = node;
        cell->next = head;
        head = cell;
        if (index % 500 == 0) gc_arena_malloc_atomic(arena, 200);
    }
    return head;
}

static size_t count_broken(struct cell *head, uint64_t base) {
    size_t broken = 0;
    uint64_t expected = base + cells_per_round;
    for (struct cell *cell = head; cell; cell = cell->next) {
        expected -= 1;
        if (cell->node->key != expected || cell->node->check != expected * 0x9e3779b97f4a7c15u
            || gc_base(cell->node) != cell->node) broken += 1;
    }
    return broken;
}

static void *use_arenas(void *argument) {
    uint64_t seed = (uintptr_t)argument;
    gc_arena *kept = gc_arena_create();
    gc_arena *renewed = gc_arena_create();
    for (int round = 0; round < rounds; round++) {
        uint64_t base = seed * 1000000000u + (uint64_t)round * 10000u;
        struct cell *first = build(kept, base);
        struct cell *second = build(renewed, base + 5000);
        for (int spin = 0; spin < 3; spin++) allocate_garbage(64 << 10);
        size_t broken = count_broken(first, base) + count_broken(second, base + 5000);
        if (broken) atomic_fetch_add(&broken_nodes, broken);
        gc_arena_reset(kept);
        gc_arena_destroy(renewed);
        renewed = gc_arena_create();
    }
    gc_arena_destroy(kept);
    gc_arena_destroy(renewed);
    atomic_fetch_sub(&arena_threads_running, 1);
    return NULL;
}

static void *collect_meanwhile(void *argument) {
    (void)argument;
    while (atomic_load(&arena_threads_running) > 0) {
        allocate_garbage(512 << 10);
        gc_collect();
    }
    return NULL;
}

static int run(void) {
    pthread_t threads[arena_threads + collecting_threads];
    atomic_store(&arena_threads_running, arena_threads);
    for (int index = 0; index < arena_threads; index++) {
        pthread_create(&threads[index], NULL, use_arenas, (void *)(uintptr_t)(index + 1));
    }
    for (int index = 0; index < collecting_threads; index++) {
        pthread_create(&threads[arena_threads + index], NULL, collect_meanwhile, NULL);
    }
    for (int index = 0; index < arena_threads + collecting_threads; index++) pthread_join(threads[index], NULL);
    struct gc_stats stats;
    gc_get_stats(&stats);
    CHECK(atomic_load(&broken_nodes) == 0, "every node reachable only through an arena is intact (%zu broken)",
          (size_t)atomic_load(&broken_nodes));
    CHECK(stats.collections >= 10, "collections ran beside the arena threads (%llu)",
          (unsigned long long)stats.collections);
    CHECK(stats.arena_bytes == 0, "every arena is gone at the end (%llu arena bytes)",
          (unsigned long long)stats.arena_bytes);
    return check_finish();
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "concurrent-child") == 0) {
        int result = run();
        printf("concurrent cycles: %llu\n", (unsigned long long)gc_concurrent_cycles());
        return result;
    }
    run();
    int status = run_self_in_child("concurrent-child", "SWIFTGC_CONCURRENT", "1");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the run with SWIFTGC_CONCURRENT=1 passes too (status %d)", status);
    return check_finish();
}
