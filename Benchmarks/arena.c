/*
 * arena.c — arenas against per-object allocation.
 *
 *   arena small  COUNT      allocation cost of COUNT 16-byte objects, in ns
 *                           per object; each object's first word is written.
 *   arena requests COUNT    a request loop: COUNT requests, each building a
 *                           few thousand small linked objects (16-112 bytes),
 *                           summing them and dropping them all.
 *
 * Built once per allocator (bench_allocator.h); the SwiftGC build takes a
 * third argument naming how it allocates:
 *   gc_malloc   per-object gc_malloc, the collector reclaims the drop;
 *   arena       gc_arena_malloc: for "small", one arena reset every 65536
 *               objects (1 MiB, as the malloc builds free);
 *               for "requests", an arena created and destroyed per request;
 *   arena-reset "requests" only: one arena, reset after each request.
 * The malloc builds free every object (for "small", in batches of 65536, so
 * free is counted in the cost); bdwgc frees nothing.
 *
 * Prints one line: "ns_per_object=X" or "seconds=X peak_rss_kib=Y", and a
 * checksum so the work cannot be optimised away.
 */
#include "bench_allocator.h" /* first: it defines _GNU_SOURCE */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum { batch = 65536, objects_per_request = 3000 };

struct item {
    struct item *next;
    uint64_t value;
};

static double now_seconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec + (double)time.tv_nsec * 1e-9;
}

static long peak_rss_kib(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

static int uses_arena(const char *how) { return strncmp(how, "arena", 5) == 0; }

#if defined(SWIFTGC)
static gc_arena *current_arena;
#endif

/* One object of size bytes the way `how` allocates. */
static inline void *allocate(const char *how, size_t size) {
#if defined(SWIFTGC)
    if (how[0] == 'a') {
        void *object = gc_arena_malloc(current_arena, size);
        if (object == NULL) allocation_failed(size);
        return object;
    }
#endif
    (void)how;
    return allocate_object(size);
}

static void small_objects(long count, const char *how) {
    static void *recent[batch];
    uint64_t sum = 0;
#if defined(SWIFTGC)
    if (uses_arena(how)) current_arena = gc_arena_create();
#endif
    double start = now_seconds();
    for (long index = 0; index < count; index++) {
        uint64_t *object = allocate(how, 16);
        object[0] = (uint64_t)index;
        sum += (uintptr_t)object & 0xff;
        long slot = index % batch;
        recent[slot] = object;
        if (slot == batch - 1) {
            if (allocator_frees_explicitly) {
                for (long freed = 0; freed < batch; freed++) release_object(recent[freed]);
            }
#if defined(SWIFTGC)
            if (uses_arena(how)) gc_arena_reset(current_arena);
#endif
        }
    }
    double elapsed = now_seconds() - start;
    printf("ns_per_object=%.3f checksum=%llu\n", elapsed * 1e9 / (double)count, (unsigned long long)sum);
}

/* One request: builds a list of objects of 16-112 bytes, sums it, drops it. */
static uint64_t request(uint64_t seed, const char *how) {
    struct item *head = NULL;
    for (int index = 0; index < objects_per_request; index++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        size_t size = 16 + (size_t)(seed >> 60) * 6;
        struct item *item = allocate(how, size);
        item->value = seed >> 32;
        item->next = head;
        head = item;
    }
    uint64_t sum = 0;
    for (struct item *item = head; item; item = item->next) sum += item->value;
    if (allocator_frees_explicitly) {
        while (head) {
            struct item *next = head->next;
            release_object(head);
            head = next;
        }
    }
    return sum;
}

static void requests(long count, const char *how) {
    uint64_t sum = 0;
#if defined(SWIFTGC)
    if (strcmp(how, "arena-reset") == 0) current_arena = gc_arena_create();
#endif
    double start = now_seconds();
    for (long index = 0; index < count; index++) {
#if defined(SWIFTGC)
        if (strcmp(how, "arena") == 0) current_arena = gc_arena_create();
#endif
        sum += request((uint64_t)index, how);
#if defined(SWIFTGC)
        if (strcmp(how, "arena") == 0) gc_arena_destroy(current_arena);
        if (strcmp(how, "arena-reset") == 0) gc_arena_reset(current_arena);
#endif
    }
    double elapsed = now_seconds() - start;
    printf("seconds=%.3f peak_rss_kib=%ld checksum=%llu\n", elapsed, peak_rss_kib(), (unsigned long long)sum);
}

int main(int argc, char **argv) {
    allocator_start();
    if (argc < 3) {
        fprintf(stderr, "usage: arena small|requests COUNT [gc_malloc|arena|arena-reset]\n");
        return 2;
    }
    const char *how = argc > 3 ? argv[3] : "gc_malloc";
#if !defined(SWIFTGC)
    if (uses_arena(how)) {
        fprintf(stderr, "arena: only the SwiftGC build has arenas\n");
        return 2;
    }
#endif
    long count = atol(argv[2]);
    if (strcmp(argv[1], "small") == 0) small_objects(count, how);
    else requests(count, how);
    uint64_t collections = 0, heap_bytes = 0;
    if (allocator_collector_counters(&collections, &heap_bytes))
        printf("collections=%llu\n", (unsigned long long)collections);
    return 0;
}
