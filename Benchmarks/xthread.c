/*
 * xthread.c — blocks freed by a different thread than allocated them.
 *
 *   xthread [pairs [blocks-per-pair]]
 *   defaults: 1     10000000
 *
 * Each pair is a producer and a consumer joined by a single-producer,
 * single-consumer ring of 4096 pointers. The producer allocates blocks of
 * mixed sizes (16-512 bytes, a few up to 8 KiB) and writes a sequence number
 * into each; the consumer checks the number and frees the block. So every
 * free is a free of another thread's block. A block handed out twice, or
 * overwritten, fails the run.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ring_length = 4096 };

struct pair {
    _Atomic(uint64_t *) ring[ring_length];
    long count;
    long failures;
};

static void *produce(void *argument) {
    struct pair *pair = argument;
    uint32_t random = 88172645u;
    for (long index = 0; index < pair->count; index++) {
        random ^= random << 13; random ^= random >> 17; random ^= random << 5;
        size_t size = (random % 64 == 0) ? 512 + random % 7680 : 16 + (random >> 8) % 497;
        uint64_t *block = malloc(size);
        if (!block) { pair->failures++; break; }
        block[0] = (uint64_t)index;
        block[(size / 8) - 1] = ~(uint64_t)index;
        _Atomic(uint64_t *) *slot = &pair->ring[index % ring_length];
        while (atomic_load_explicit(slot, memory_order_acquire) != NULL) sched_yield();
        atomic_store_explicit(slot, block, memory_order_release);
    }
    return NULL;
}

static void *consume(void *argument) {
    struct pair *pair = argument;
    for (long index = 0; index < pair->count; index++) {
        _Atomic(uint64_t *) *slot = &pair->ring[index % ring_length];
        uint64_t *block;
        while ((block = atomic_load_explicit(slot, memory_order_acquire)) == NULL) sched_yield();
        atomic_store_explicit(slot, NULL, memory_order_release);
        if (block[0] != (uint64_t)index) pair->failures++;
        free(block);
    }
    return NULL;
}

int main(int argc, char **argv) {
    int pair_count = argc > 1 ? atoi(argv[1]) : 1;
    long count = argc > 2 ? atol(argv[2]) : 10000000;
    if (pair_count < 1 || pair_count > 32 || count < 1) {
        fprintf(stderr, "usage: xthread [pairs [blocks-per-pair]]\n");
        return 2;
    }
    struct pair *pairs = calloc((size_t)pair_count, sizeof *pairs);
    pthread_t threads[64];
    for (int index = 0; index < pair_count; index++) {
        pairs[index].count = count;
        if (pthread_create(&threads[2 * index], NULL, produce, &pairs[index]) != 0 ||
            pthread_create(&threads[2 * index + 1], NULL, consume, &pairs[index]) != 0) return 1;
    }
    long failures = 0;
    for (int index = 0; index < 2 * pair_count; index++) pthread_join(threads[index], NULL);
    for (int index = 0; index < pair_count; index++) failures += pairs[index].failures;
    printf("xthread: %d pairs x %ld blocks freed by the other thread: %s\n", pair_count, count,
           failures ? "CORRUPTED" : "ok");
    free(pairs);
    return failures ? 1 : 0;
}
