/* Planted bugs, one per mode, run under libswiftgc-preload.so:
 *   planted_bugs leaky-loop   allocates 2 GiB in 64 KiB blocks it never frees
 *                             and drops; succeeds if the resident set stays
 *                             under 512 MiB (collect and ignore-free modes).
 *   planted_bugs double-free  frees a block twice, then keeps allocating
 *                             (survives in every mode; ignore-free says nothing).
 *   planted_bugs misuse       frees a stack address, an interior pointer and a
 *                             block twice; each must give one swiftgc: line.
 *   planted_bugs use-after-free
 *                             (safe-free mode) frees blocks that a global still
 *                             points to: they read as zeros (those of 128 KiB and
 *                             up at once, others after a collection), are never handed
 *                             out again across collections, and are reused once
 *                             the pointers are dropped.
 *   planted_bugs quarantine-drains
 *                             (safe-free mode) mallocs and frees 2 GiB; the heap
 *                             and the resident set stay bounded.
 *   planted_bugs hidden-pointers
 *                             (safe-free mode) keeps blocks it never frees only
 *                             through pointers it hides, then frees 270 MiB of
 *                             others so that collections run: the
 *                             hidden blocks stay intact and are never handed
 *                             out again, as with malloc.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "swiftgc.h"
#include "../CTests/check.h"
#include "../CTests/process.h"

static void leaky_loop(void) {
    long peak = 0;
    for (int index = 0; index < 32768; index++) {
        char *volatile block = malloc(64 * 1024);
        memset(block, index, 64 * 1024);
        if (index % 1024 == 0) {
            long now = current_resident_kib();
            if (now > peak) peak = now;
        }
    }
    CHECK(peak > 0 && peak < 512 * 1024, "2 GiB of dropped blocks stay under 512 MiB resident (peak %ld KiB)", peak);
}

static void double_free(void) {
    char *block = malloc(100);
    strcpy(block, "planted");
    free(block);
    free(block);
    long total = 0;
    for (int index = 0; index < 100000; index++) {
        char *volatile other = malloc(100);
        memset(other, 1, 100);
        total += other[99];
        free(other);
    }
    CHECK(total == 100000, "allocation goes on correctly after a double free");
}

static void misuse(void) {
    int local = 0;
    free(&local);
    char *block = malloc(64);
    free(block + 8);
    free(block);
    free(block);
    CHECK(1, "the program survives misuse");
}

/* The preload library's gc_* functions, found at run time: the program
 * itself is not linked against SwiftGC. */
static void collect(void) {
    void (*gc_collect)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gc_collect");
    if (gc_collect) gc_collect();
}

static void *base(void *address) {
    void *(*gc_base)(void *) = (void *(*)(void *))dlsym(RTLD_DEFAULT, "gc_base");
    return gc_base ? gc_base(address) : address;
}

static struct gc_stats statistics(void) {
    struct gc_stats stats = {0};
    void (*gc_get_stats)(struct gc_stats *) = (void (*)(struct gc_stats *))dlsym(RTLD_DEFAULT, "gc_get_stats");
    if (gc_get_stats) gc_get_stats(&stats);
    return stats;
}

/* Dangling pointers to freed blocks, kept where the collector sees them,
 * and their values complemented where it must not see them. Many blocks
 * are planted, so that the few a stale register or stack slot may retain
 * after the pointers are dropped do not decide the result. */
enum { small_count = 1000, small_size = 100, large_count = 16, large_size = 200 * 1024 };
static char *volatile dangling[small_count + large_count];
/* Live blocks between the freed small ones, so their spans stay in use. */
static char *volatile anchors[small_count];
static uintptr_t hidden[small_count + large_count];
static char reused[small_count + large_count];

static int compare_words(const void *left, const void *right) {
    uintptr_t a = *(const uintptr_t *)left, b = *(const uintptr_t *)right;
    return a < b ? -1 : a > b;
}

static __attribute__((noinline)) void plant_dangling_pointers(void) {
    for (int index = 0; index < small_count + large_count; index++) {
        size_t size = index < small_count ? small_size : large_size;
        if (index < small_count) anchors[index] = malloc(small_size);
        dangling[index] = malloc(size);
        memset(dangling[index], 0x5a, size);
        hidden[index] = ~(uintptr_t)dangling[index];
    }
    qsort(hidden, small_count, sizeof hidden[0], compare_words);
    for (int index = 0; index < small_count + large_count; index++) free(dangling[index]);
}

/* Which planted block, if any, a new block of `size` at `start` overlaps. */
static int planted_block_at(uintptr_t start, size_t size) {
    if (size == small_size) {
        uintptr_t key = ~start;
        uintptr_t *found = bsearch(&key, hidden, small_count, sizeof hidden[0], compare_words);
        return found ? (int)(found - hidden) : -1;
    }
    for (int index = small_count; index < small_count + large_count; index++) {
        uintptr_t planted = ~hidden[index];
        if (start < planted + size && planted < start + size) return index;
    }
    return -1;
}

/* Allocates `count` blocks of `size`, then frees them unless `keep`; marks
 * the planted blocks they overlap in `reused` and returns how many did. */
static __attribute__((noinline)) int count_reuses(size_t size, int count, int keep) {
    char **blocks = malloc(sizeof(char *) * count);
    int reuses = 0;
    for (int index = 0; index < count; index++) {
        blocks[index] = malloc(size);
        blocks[index][0] = 1;
        int planted = planted_block_at((uintptr_t)blocks[index], size);
        if (planted >= 0) {
            reuses++;
            reused[planted] = 1;
        }
    }
    if (!keep) for (int index = 0; index < count; index++) free(blocks[index]);
    free(blocks);
    return reuses;
}

/* Overwrites stack that earlier calls used, so no stale copy of a dropped
 * pointer is left there. */
static __attribute__((noinline)) void scrub_stack(void) {
    volatile char area[64 * 1024];
    memset((char *)area, 0, sizeof area);
}

static void use_after_free(void) {
    plant_dangling_pointers();
    int zeros = 1;
    for (int index = small_count; index < small_count + large_count; index++) {
        for (int offset = 0; offset < large_size; offset += 4096) zeros &= dangling[index][offset] == 0;
    }
    CHECK(zeros, "freed large blocks read as zeros through dangling pointers at once");
    collect();
    for (int index = 0; index < small_count; index++) {
        for (int offset = 0; offset < small_size; offset++) zeros &= dangling[index][offset] == 0;
    }
    CHECK(zeros, "freed small blocks still pointed to read as zeros after a collection");

    int reuses = 0;
    for (int round = 0; round < 20; round++) {
        reuses += count_reuses(small_size, 2000, 0);
        reuses += count_reuses(large_size, 20, 0);
        collect();
    }
    CHECK(reuses == 0, "freed blocks that a global points to are never handed out again (%d reuses)", reuses);
    int still_allocated = 0;
    for (int index = 0; index < small_count + large_count; index++) still_allocated += base((void *)~hidden[index]) != NULL;
    CHECK(still_allocated == small_count + large_count, "they stay allocated (%d of %d)", still_allocated,
          small_count + large_count);

    free(dangling[0]);
    CHECK(1, "a second free of a quarantined block is survived");

    for (int index = 0; index < small_count + large_count; index++) dangling[index] = NULL;
    scrub_stack();
    collect();
    scrub_stack();
    collect();
    int reclaimed = 0;
    for (int index = 0; index < small_count + large_count; index++) reclaimed += base((void *)~hidden[index]) == NULL;
    CHECK(reclaimed >= (small_count + large_count) * 9 / 10,
          "once the pointers are dropped and a collection ran, the freed blocks are reclaimed (%d of %d)",
          reclaimed, small_count + large_count);
    /* Keeping the new blocks fills every free slot of the class, so the
     * reclaimed blocks (in spans the anchors keep) must come back. */
    memset(reused, 0, sizeof reused);
    count_reuses(small_size, 100000, 1);
    int small_reused = 0;
    for (int index = 0; index < small_count; index++) small_reused += reused[index];
    CHECK(small_reused >= small_count * 9 / 10,
          "and reused: mallocs of the same size return them (%d of %d)", small_reused, small_count);
}

static void quarantine_drains(void) {
    long peak = 0;
    uint64_t peak_heap = 0;
    for (int index = 0; index < 16384; index++) {
        char *volatile block = malloc(64 * 1024);
        memset(block, index, 64 * 1024);
        free(block);
        for (int small = 0; small < 64; small++) {
            char *volatile other = malloc(1000);
            memset(other, small, 1000);
            free(other);
        }
        if (index % 512 == 0) {
            long now = current_resident_kib();
            if (now > peak) peak = now;
            struct gc_stats stats = statistics();
            if (stats.heap_size > peak_heap) peak_heap = stats.heap_size;
        }
    }
    CHECK(statistics().collections > 0, "the quarantine made the collector run");
    CHECK(peak > 0 && peak < 256 * 1024, "2 GiB of malloc and free stay under 256 MiB resident (peak %ld KiB)", peak);
    CHECK(peak_heap < 256u << 20, "the heap stays under 256 MiB (peak %llu bytes)", (unsigned long long)peak_heap);
}

enum { hidden_count = 4096, hidden_size = 48 };
static uintptr_t hidden_blocks[hidden_count];

static __attribute__((noinline)) void plant_hidden_blocks(void) {
    for (int index = 0; index < hidden_count; index++) {
        char *block = malloc(hidden_size);
        memset(block, index & 0xff, hidden_size);
        hidden_blocks[index] = ~(uintptr_t)block;
    }
}

static void hidden_pointers(void) {
    plant_hidden_blocks();
    scrub_stack();
    int overlaps = 0;
    for (int round = 0; round < 64; round++) {
        for (int index = 0; index < 4096; index++) {
            char *volatile block = malloc(hidden_size);
            memset(block, 0xee, hidden_size);
            uintptr_t key = ~(uintptr_t)block;
            for (int probe = index & 63; probe < hidden_count; probe += 64) overlaps += hidden_blocks[probe] == key;
            free(block);
        }
        char *volatile large = malloc(4 << 20);
        memset(large, 1, 4 << 20);
        free(large);
    }
    int intact = 0;
    for (int index = 0; index < hidden_count; index++) {
        const unsigned char *block = (const unsigned char *)~hidden_blocks[index];
        int same = 1;
        for (int offset = 0; offset < hidden_size; offset++) same &= block[offset] == (index & 0xff);
        intact += same;
    }
    CHECK(statistics().collections > 0, "the frees made the collector run");
    CHECK(intact == hidden_count, "blocks never freed and only pointed to in hiding stay intact (%d of %d)",
          intact, hidden_count);
    CHECK(overlaps == 0, "and none is handed out again (%d)", overlaps);
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "leaky-loop") == 0) leaky_loop();
    else if (argc == 2 && strcmp(argv[1], "double-free") == 0) double_free();
    else if (argc == 2 && strcmp(argv[1], "misuse") == 0) misuse();
    else if (argc == 2 && strcmp(argv[1], "use-after-free") == 0) use_after_free();
    else if (argc == 2 && strcmp(argv[1], "quarantine-drains") == 0) quarantine_drains();
    else if (argc == 2 && strcmp(argv[1], "hidden-pointers") == 0) hidden_pointers();
    else {
        fprintf(stderr, "usage: planted_bugs leaky-loop|double-free|misuse|use-after-free|quarantine-drains"
                "|hidden-pointers\n");
        return 2;
    }
    return check_finish();
}
