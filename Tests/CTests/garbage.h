/*
 * garbage.h — making garbage, and proving that the collector reclaimed it.
 *
 * A conservative collector keeps an object alive whenever some word looks
 * like a pointer to it, and stale words left on the stack or in registers
 * count. So a test that wants to see unreachable objects reclaimed:
 *   1. allocates many objects in a separate, non-inlined function;
 *   2. remembers their addresses only in hidden form (bitwise NOT) in a
 *      table from mmap, which the collector does not scan and which holds
 *      nothing that looks like a pointer anyway;
 *   3. scrubs the stack below its own frame, then collects;
 *   4. asks gc_base about each revealed address right after that collection,
 *      before allocating anything (reclaimed memory reused by a new object,
 *      which a stray word may keep alive, would look live again), and
 *      accepts that a small fraction is kept alive by stray words.
 *
 * It also fills objects with contents derived from a seed, so a test can tell
 * whether a live object was wrongly reclaimed and its memory reused.
 */
#ifndef SWIFTGC_TESTS_GARBAGE_H
#define SWIFTGC_TESTS_GARBAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "swiftgc.h"

/* splitmix64: a small, well-mixed generator; the tests print their seeds. */
static inline uint64_t random_next(uint64_t *state) {
    uint64_t mixed = (*state += 0x9e3779b97f4a7c15u);
    mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9u;
    mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebu;
    return mixed ^ (mixed >> 31);
}

/* A uniformly chosen number in [low, high]. */
static inline size_t random_between(uint64_t *state, size_t low, size_t high) {
    return low + (size_t)(random_next(state) % (uint64_t)(high - low + 1));
}

/* Fills bytes with a sequence that depends only on seed. */
static inline void fill_from_seed(void *memory, size_t size, uint64_t seed) {
    unsigned char *bytes = memory;
    uint64_t state = seed;
    for (size_t offset = 0; offset < size; offset += 8) {
        uint64_t word = random_next(&state);
        memcpy(bytes + offset, &word, size - offset < 8 ? size - offset : 8);
    }
}

/* FNV-1a over the bytes: cheap, and any single changed byte changes it. */
static inline uint64_t checksum_of(const void *memory, size_t size) {
    const unsigned char *bytes = memory;
    uint64_t hash = 0xcbf29ce484222325u;
    for (size_t offset = 0; offset < size; offset++) {
        hash = (hash ^ bytes[offset]) * 0x100000001b3u;
    }
    return hash;
}

/* A table of hidden addresses in memory the collector never scans. */
static inline uintptr_t *hidden_table_create(size_t count) {
    void *memory = mmap(NULL, count * sizeof(uintptr_t), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) abort();
    return memory;
}

static inline void hidden_table_destroy(uintptr_t *table, size_t count) {
    munmap(table, count * sizeof(uintptr_t));
}

static inline void hide_address(uintptr_t *table, size_t index, const void *address) {
    table[index] = ~(uintptr_t)address;
}

static inline void *reveal_address(const uintptr_t *table, size_t index) {
    return (void *)~table[index];
}

/* Overwrites the stack below the caller, where dead frames of earlier calls
 * may still hold pointers to objects the test expects to be reclaimed. */
__attribute__((noinline, unused)) static void scrub_stack(void) {
    char buffer[128 * 1024];
    memset(buffer, 0, sizeof buffer);
    /* Tell the compiler the buffer is used, so the memset is not removed. */
    __asm__ volatile("" : : "r"(buffer) : "memory");
}

/* Collects from a frame whose stack below has just been scrubbed. */
__attribute__((noinline, unused)) static void collect_with_clean_stack(void) {
    scrub_stack();
    gc_collect();
}

/* How many of the hidden addresses no longer point into a live object.
 * Call right after collecting: an allocation could reuse the memory. */
static inline size_t count_reclaimed(const uintptr_t *table, size_t count) {
    size_t reclaimed = 0;
    for (size_t index = 0; index < count; index++) {
        if (gc_base(reveal_address(table, index)) == NULL) reclaimed += 1;
    }
    return reclaimed;
}

/* Allocates about total_bytes of unreachable objects of mixed sizes, mostly
 * small, some medium and a few up to 64 KiB. They are linked in short chains
 * so the collector has pointers to follow, and filled with a pattern so that
 * if a live object's memory were handed out here, its contents would change. */
__attribute__((noinline, unused)) static void allocate_garbage(size_t total_bytes) {
    static uint64_t garbage_random_state = 12345;
    size_t allocated = 0;
    void **chain = NULL;
    unsigned chain_length = 0;
    while (allocated < total_bytes) {
        uint64_t choice = random_next(&garbage_random_state) % 1000;
        size_t size;
        if (choice < 900) size = random_between(&garbage_random_state, 16, 512);
        else if (choice < 995) size = random_between(&garbage_random_state, 513, 8192);
        else size = random_between(&garbage_random_state, 8193, 65536);
        void **object = gc_malloc(size);
        if (object == NULL) abort();
        memset(object, 0xa5, size);
        object[0] = chain_length++ % 64 == 0 ? NULL : chain;
        chain = object;
        allocated += size;
    }
    /* The last chain head stays in this dead frame; the caller scrubs it. */
    __asm__ volatile("" : : "r"(chain) : "memory");
}

#endif
