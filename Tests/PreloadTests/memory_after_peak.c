/* The resident set falls after a peak of small blocks, under
 * libswiftgc-preload.so in malloc mode: allocates about 128 MiB of blocks of
 * 64 bytes to 4 KiB, frees them all in random order (half of them from a
 * second thread), then checks that the resident set is at most half of what
 * it was at the peak. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../CTests/check.h"
#include "../CTests/process.h"

enum { block_count = 64000 };

static char *blocks[block_count];

static void shuffle(uint32_t seed) {
    uint32_t x = seed;
    for (int index = block_count - 1; index > 0; index--) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        int other = (int)(x % (uint32_t)(index + 1));
        char *swap = blocks[index];
        blocks[index] = blocks[other];
        blocks[other] = swap;
    }
}

static void *free_second_half(void *unused) {
    (void)unused;
    for (int index = block_count / 2; index < block_count; index++) free(blocks[index]);
    return NULL;
}

int main(void) {
    uint32_t x = 2463534242u;
    long bytes = 0;
    for (int index = 0; index < block_count; index++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        size_t size = 64 + x % 4032;
        blocks[index] = malloc(size);
        memset(blocks[index], 0x5a, size);
        bytes += (long)size;
    }
    long peak = current_resident_kib();
    shuffle(7);
    pthread_t thread;
    pthread_create(&thread, NULL, free_second_half, NULL);
    for (int index = 0; index < block_count / 2; index++) free(blocks[index]);
    pthread_join(thread, NULL);
    long after = current_resident_kib();
    printf("allocated %ld MiB; resident %ld MiB at the peak, %ld MiB after freeing everything\n", bytes >> 20,
           peak >> 10, after >> 10);
    CHECK(peak > bytes / 1024 / 2, "the blocks were resident at the peak (%ld KiB)", peak);
    CHECK(after < peak / 2, "freeing everything returns at least half the peak to the OS (%ld of %ld KiB left)",
          after, peak);
    return check_finish();
}
