/* Recently freed blocks under libswiftgc-preload.so in malloc mode: each
 * thread keeps the blocks it freed last, per size, and hands them out again
 * first (Heap/RecentlyFreedBlocks.swift, Preload/MallocModeFree.swift).
 *
 *   recently_freed reuse         the block freed last is the next one handed out,
 *                                and blocks held by an exited thread are not lost
 *   recently_freed double-free   frees a held block twice, from the same thread
 *                                and from another one: two `swiftgc:` lines
 *                                (run.sh counts them), and no block is handed
 *                                out twice afterwards
 *   recently_freed stress        four threads free in random order, some blocks
 *                                by another thread; every block is stamped, so
 *                                one handed out twice breaks a stamp */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../CTests/check.h"

enum { block_size = 48, row = 300 };

static uint32_t next_random(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    return *state = x;
}

/* Blocks handed out while `live` are all distinct from each other and from
 * every pointer in live[0..live_count). */
static int all_distinct(void **blocks, int count) {
    for (int i = 0; i < count; i++)
        for (int j = i + 1; j < count; j++)
            if (blocks[i] == blocks[j]) return 0;
    return 1;
}

static void *free_one(void *block) {
    free(block);
    return NULL;
}

/* Allocates a block of the class first: a thread keeps freed blocks only
 * of classes it allocates itself. */
static void *volatile thread_block;

static void *free_many_and_exit(void *argument) {
    void **blocks = argument;
    void *own = malloc(2000);
    thread_block = own; /* so the compiler keeps the malloc */
    for (int index = 0; index < 16; index++) free(blocks[index]);
    free(own);
    return NULL;
}

static void reuse(void) {
    void *blocks[row];
    for (int index = 0; index < row; index++) blocks[index] = malloc(block_size);
    /* Blocks of earlier 64-slot words: not the word the cache allocates from. */
    free(blocks[3]);
    free(blocks[70]);
    void *first = malloc(block_size);
    void *second = malloc(block_size);
    CHECK(first == blocks[70], "the block freed last is handed out first (%p, expected %p)", first, blocks[70]);
    CHECK(second == blocks[3], "then the one freed before it (%p, expected %p)", second, blocks[3]);
    blocks[70] = first;
    blocks[3] = second;

    /* A thread frees 16 blocks into its ring and exits: they must become
     * free slots again, to be handed out to this thread. */
    void *held[16];
    for (int index = 0; index < 16; index++) held[index] = malloc(2000);
    pthread_t thread;
    pthread_create(&thread, NULL, free_many_and_exit, held);
    pthread_join(thread, NULL);
    int reused = 0;
    void *again[64];
    for (int index = 0; index < 64; index++) {
        again[index] = malloc(2000);
        for (int other = 0; other < 16; other++) reused += again[index] == held[other];
    }
    CHECK(reused == 16, "the 16 blocks an exited thread held are handed out again (%d of 16)", reused);
    CHECK(all_distinct(again, 64), "no block is handed out twice");
    for (int index = 0; index < 64; index++) free(again[index]);
    for (int index = 0; index < row; index++) free(blocks[index]);
}

static void double_free(void) {
    void *blocks[row];
    for (int index = 0; index < row; index++) blocks[index] = malloc(block_size);
    /* Same thread: the first free puts the block in this thread's ring. */
    free(blocks[5]);
    free(blocks[5]);
    /* Another thread: the first free puts it in this thread's ring. */
    free(blocks[6]);
    pthread_t thread;
    pthread_create(&thread, NULL, free_one, blocks[6]);
    pthread_join(thread, NULL);
    /* Each held block is handed out once. */
    void *fresh[200];
    for (int index = 0; index < 200; index++) {
        fresh[index] = malloc(block_size);
        memset(fresh[index], index & 0xff, block_size);
    }
    CHECK(all_distinct(fresh, 200), "no block is handed out twice after the double frees");
    int overlaps = 0;
    for (int index = 0; index < 200; index++)
        for (int live = 0; live < row; live++)
            if (live != 5 && live != 6 && fresh[index] == blocks[live]) overlaps++;
    CHECK(overlaps == 0, "no live block is handed out (%d)", overlaps);
    for (int index = 0; index < 200; index++) free(fresh[index]);
    for (int index = 0; index < row; index++) if (index != 5 && index != 6) free(blocks[index]);
}

enum { thread_count = 4, slots = 4096, operations = 400000 };

struct stamped { uint64_t *words; size_t word_count; uint64_t stamp; };

static struct stamped shared[thread_count][slots];
static pthread_mutex_t shared_locks[thread_count];
static long broken[thread_count];

static int stamp_holds(struct stamped block) {
    for (size_t index = 0; index < block.word_count; index++)
        if (block.words[index] != block.stamp) return 0;
    return 1;
}

static void *stress_worker(void *argument) {
    int me = (int)(intptr_t)argument;
    uint32_t random = 2463534242u + (uint32_t)me * 7919u;
    for (long operation = 0; operation < operations; operation++) {
        uint32_t r = next_random(&random);
        /* Mostly this thread's own slots, one in eight another thread's. */
        int owner = (r & 7) == 0 ? (int)((r >> 3) % thread_count) : me;
        int slot = (int)((r >> 6) % slots);
        pthread_mutex_lock(&shared_locks[owner]);
        struct stamped *entry = &shared[owner][slot];
        if (entry->words) {
            if (!stamp_holds(*entry)) broken[me]++;
            free(entry->words);
        }
        size_t bytes = 16 + next_random(&random) % 2000;
        entry->word_count = bytes / 8;
        entry->words = malloc(entry->word_count * 8);
        entry->stamp = ((uint64_t)me << 48) ^ (uint64_t)operation ^ 0x5a5a000000000000u;
        for (size_t index = 0; index < entry->word_count; index++) entry->words[index] = entry->stamp;
        pthread_mutex_unlock(&shared_locks[owner]);
    }
    return NULL;
}

static void stress(void) {
    pthread_t threads[thread_count];
    for (int index = 0; index < thread_count; index++) pthread_mutex_init(&shared_locks[index], NULL);
    for (int index = 0; index < thread_count; index++)
        pthread_create(&threads[index], NULL, stress_worker, (void *)(intptr_t)index);
    for (int index = 0; index < thread_count; index++) pthread_join(threads[index], NULL);
    long total_broken = 0;
    for (int owner = 0; owner < thread_count; owner++) {
        total_broken += broken[owner];
        for (int slot = 0; slot < slots; slot++) {
            if (shared[owner][slot].words && !stamp_holds(shared[owner][slot])) total_broken++;
            free(shared[owner][slot].words);
        }
    }
    CHECK(total_broken == 0, "no block was handed out twice or overwritten (%ld broken stamps)", total_broken);
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "reuse") == 0) reuse();
    else if (argc == 2 && strcmp(argv[1], "double-free") == 0) double_free();
    else if (argc == 2 && strcmp(argv[1], "stress") == 0) stress();
    else { fprintf(stderr, "usage: recently_freed reuse|double-free|stress\n"); return 2; }
    return check_finish();
}
