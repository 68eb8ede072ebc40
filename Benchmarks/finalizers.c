/*
 * finalizers.c — a finalizer- and weak-reference-heavy workload, for the
 * collectors only (SwiftGC and bdwgc; malloc has neither).
 *
 * Each round allocates 100,000 small objects, registers a finalizer on every
 * one and a weak link (in an unscanned table) to every one, keeps every
 * tenth object in a scanned ring of 10,000 slots, and drops the rest.
 * Finalizers run as the collectors decide. At the end, after a final
 * collection, the check counts finalizers run and links cleared: every
 * object that was dropped and reclaimed must have cleared its link, and no
 * link may point to a reclaimed object. Build with -DSWIFTGC or -DBDWGC.
 * Argument: the number of rounds (default 20).
 */
#include "bench_allocator.h"
#include "bench_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(MALLOC)
#error "finalizers.c needs a collector: build with -DSWIFTGC or -DBDWGC"
#endif

#if defined(SWIFTGC)
#define register_finalizer(object, fn, data) gc_register_finalizer(object, fn, data)
#define register_weak_link(link, object) gc_register_weak_link(link, object)
#define collect_now() gc_collect()
#else
#define register_finalizer(object, fn, data) GC_REGISTER_FINALIZER(object, fn, data, NULL, NULL)
#define register_weak_link(link, object) GC_GENERAL_REGISTER_DISAPPEARING_LINK(link, object)
#define collect_now() GC_gcollect()
#endif

enum { objects_per_round = 100000, ring_size = 10000 };

static unsigned long finalized_count;

static void count_finalized(void *object, void *data) {
    (void)data;
    ((long *)object)[1] = -1;
    finalized_count += 1;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    if (rounds <= 0) rounds = 20;
    allocator_start();
    size_t link_count = (size_t)rounds * objects_per_round;
    /* Weak links must not be scanned: an anonymous mapping neither collector scans. */
    void **links = mmap(NULL, link_count * sizeof(void *), PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (links == MAP_FAILED) return 1;
    void **ring = allocate_object(ring_size * sizeof(void *));

    double start = monotonic_seconds();
    size_t next_link = 0, kept_slot = 0;
    for (int round = 0; round < rounds; round++) {
        for (int index = 0; index < objects_per_round; index++) {
            long *object = allocate_object(32);
            object[0] = index;
            register_finalizer(object, count_finalized, NULL);
            links[next_link] = object;
            register_weak_link(&links[next_link], object);
            next_link += 1;
            if (index % 10 == 0) ring[kept_slot++ % ring_size] = object;
        }
    }
    collect_now();
    collect_now();
    double seconds = monotonic_seconds() - start;

    size_t cleared = 0, bad = 0;
    for (size_t index = 0; index < link_count; index++) {
        if (links[index] == NULL) cleared += 1;
    }
    for (size_t slot = 0; slot < ring_size; slot++) {
        long *object = ring[slot];
        if (object && object[1] == -1) bad += 1; /* a reachable object was finalized */
    }
    printf("finalized %lu, links cleared %zu of %zu, reachable objects finalized %zu\n", finalized_count, cleared,
           link_count, bad);
    if (bad != 0 || cleared < link_count / 2 || finalized_count < link_count / 2) {
        fprintf(stderr, "benchmark: FAILED: check of finalizers and links\n");
        return 1;
    }
    char extra[128];
    snprintf(extra, sizeof extra, " finalized=%lu links_cleared=%zu", finalized_count, cleared);
    print_closing_line(seconds, extra);
    return 0;
}
