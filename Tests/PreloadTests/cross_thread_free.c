/* Blocks freed by other threads, under libswiftgc-preload.so: four threads
 * allocate blocks of mixed sizes, stamp every word of each with its owner
 * and serial number, and pass most of them through a shared pool to be
 * checked and freed by whichever thread takes them, in random order. A block
 * handed out twice, or reused while still in use, shows up as a broken stamp.
 * The rest are freed by their own thread, also in random order. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../CTests/check.h"

enum { thread_count = 4, rounds = 200000, pool_capacity = 8192, kept_capacity = 2048 };

struct block { uint64_t *words; size_t word_count; uint64_t stamp; };

static struct block pool[pool_capacity];
static int pool_count;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static long broken_stamps[thread_count];
static long failed_allocations[thread_count];

static uint32_t next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return *state = x;
}

static int stamp_holds(struct block block) {
    for (size_t index = 0; index < block.word_count; index++)
        if (block.words[index] != block.stamp + index) return 0;
    return 1;
}

static void *run(void *argument) {
    int self = (int)(intptr_t)argument;
    uint32_t random = 12345u + 977u * (uint32_t)self;
    struct block kept[kept_capacity] = {{0}};
    for (long round = 0; round < rounds; round++) {
        uint32_t r = next_random(&random);
        size_t bytes = (r % 32 == 0) ? 1024 + r % 40000 : 8 + (r >> 8) % 600;
        struct block block = {malloc(bytes), bytes / 8, ((uint64_t)self << 56) | ((uint64_t)round << 16)};
        if (!block.words) { failed_allocations[self]++; continue; }
        for (size_t index = 0; index < block.word_count; index++) block.words[index] = block.stamp + index;
        struct block to_free = {0};
        if (r & 0x100) {
            /* Into the pool; take out a random other block to free. */
            pthread_mutex_lock(&pool_lock);
            if (pool_count < pool_capacity) {
                pool[pool_count++] = block;
                block.words = NULL;
            }
            if (pool_count > pool_capacity / 2) {
                int victim = (int)(next_random(&random) % (uint32_t)pool_count);
                to_free = pool[victim];
                pool[victim] = pool[--pool_count];
            }
            pthread_mutex_unlock(&pool_lock);
        }
        if (block.words) {
            int slot = (int)(next_random(&random) % kept_capacity);
            to_free = kept[slot];
            kept[slot] = block;
        }
        if (to_free.words) {
            if (!stamp_holds(to_free)) broken_stamps[self]++;
            free(to_free.words);
        }
    }
    for (int slot = 0; slot < kept_capacity; slot++) {
        if (kept[slot].words && !stamp_holds(kept[slot])) broken_stamps[self]++;
        free(kept[slot].words);
    }
    return NULL;
}

int main(void) {
    pthread_t threads[thread_count];
    for (int index = 0; index < thread_count; index++)
        pthread_create(&threads[index], NULL, run, (void *)(intptr_t)index);
    for (int index = 0; index < thread_count; index++) pthread_join(threads[index], NULL);
    long broken = 0, failed = 0;
    for (int index = 0; index < pool_count; index++) {
        if (!stamp_holds(pool[index])) broken++;
        free(pool[index].words);
    }
    for (int index = 0; index < thread_count; index++) {
        broken += broken_stamps[index];
        failed += failed_allocations[index];
    }
    CHECK(failed == 0, "every allocation succeeds (%ld failed)", failed);
    CHECK(broken == 0, "no block is handed out twice or overwritten while in use (%ld broken stamps)", broken);
    return check_finish();
}
