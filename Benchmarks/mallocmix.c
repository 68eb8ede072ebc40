/*
 * mallocmix.c — mixed-size malloc and free from several threads.
 *
 *   mallocmix [threads [operations-per-thread [working-set]]]
 *   defaults:  2        5000000                 20000
 *
 * Each thread keeps a working set of blocks in slots and, at each operation,
 * replaces the block in a random slot with a new one of a random size: so
 * blocks are freed in random order, not the order they were allocated in.
 * Sizes are mostly small (16-256 bytes), some medium (up to 4 KiB) and a few
 * large (up to 64 KiB). Every block carries its slot's tag in its first and
 * last bytes, checked before it is freed, so a block handed out twice or
 * overwritten fails the run. Plain malloc and free: run it under LD_PRELOAD
 * to measure an allocator (Benchmarks/preload.sh).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct worker {
    long operations;
    long working_set;
    unsigned seed;
    long failures;
    uint64_t checksum;
};

static uint32_t next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* 85% 16-256 bytes, 14% up to 4 KiB, 1% up to 64 KiB. */
static size_t random_size(uint32_t *state) {
    uint32_t r = next_random(state);
    uint32_t bucket = r % 100;
    uint32_t value = r >> 8;
    if (bucket < 85) return 16 + value % 241;
    if (bucket < 99) return 257 + value % 3840;
    return 4097 + value % 61440;
}

static void *run_worker(void *argument) {
    struct worker *worker = argument;
    uint32_t random = worker->seed;
    unsigned char **blocks = calloc((size_t)worker->working_set, sizeof *blocks);
    size_t *sizes = calloc((size_t)worker->working_set, sizeof *sizes);
    for (long operation = 0; operation < worker->operations; operation++) {
        long slot = (long)(next_random(&random) % (uint32_t)worker->working_set);
        unsigned char tag = (unsigned char)(slot * 31 + 7);
        unsigned char *old = blocks[slot];
        if (old) {
            if (old[0] != tag || old[sizes[slot] - 1] != tag) worker->failures++;
            worker->checksum += old[sizes[slot] / 2];
            free(old);
        }
        size_t size = random_size(&random);
        unsigned char *block = malloc(size);
        if (!block) { worker->failures++; break; }
        block[0] = tag;
        block[size / 2] = (unsigned char)operation;
        block[size - 1] = tag;
        blocks[slot] = block;
        sizes[slot] = size;
    }
    for (long slot = 0; slot < worker->working_set; slot++) {
        if (blocks[slot] && (blocks[slot][0] != (unsigned char)(slot * 31 + 7))) worker->failures++;
        free(blocks[slot]);
    }
    free(blocks);
    free(sizes);
    return NULL;
}

int main(int argc, char **argv) {
    int thread_count = argc > 1 ? atoi(argv[1]) : 2;
    long operations = argc > 2 ? atol(argv[2]) : 5000000;
    long working_set = argc > 3 ? atol(argv[3]) : 20000;
    if (thread_count < 1 || thread_count > 64 || operations < 1 || working_set < 1) {
        fprintf(stderr, "usage: mallocmix [threads [operations-per-thread [working-set]]]\n");
        return 2;
    }
    pthread_t threads[64];
    struct worker workers[64];
    for (int index = 0; index < thread_count; index++) {
        workers[index] = (struct worker){operations, working_set, 2463534242u + (unsigned)index * 7919u, 0, 0};
        if (pthread_create(&threads[index], NULL, run_worker, &workers[index]) != 0) return 1;
    }
    long failures = 0;
    uint64_t checksum = 0;
    for (int index = 0; index < thread_count; index++) {
        pthread_join(threads[index], NULL);
        failures += workers[index].failures;
        checksum += workers[index].checksum;
    }
    printf("mallocmix: %d threads x %ld operations, working set %ld: %s (checksum %llu)\n", thread_count,
           operations, working_set, failures ? "CORRUPTED" : "ok", (unsigned long long)checksum);
    return failures ? 1 : 0;
}
