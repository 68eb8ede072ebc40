/*
 * allocfast.c — the small-object allocation fast path.
 *
 * For each size of 16, 32 and 64 bytes, allocates count objects (argv[1],
 * default 20 million) in a tight loop. The newest 1024 stay reachable in a
 * ring kept in a global array (a root for the collectors); each allocation
 * writes one byte into its object and takes the slot of the oldest. Under
 * malloc the evicted object is freed first, so a malloc figure is the cost of
 * one malloc plus one free. Under a collector nothing is freed, and the figure
 * includes the collections that reclaim the evicted objects.
 *
 * Reports nanoseconds per allocation for each size on the closing line, as
 * ns_per_alloc_<size>=<value>. Build with one of -DSWIFTGC, -DBDWGC or
 * -DMALLOC (see bench_allocator.h).
 */
#include "bench_allocator.h"
#include "bench_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ring_length = 1024 }; /* a power of two, so a slot is a mask away */

static const size_t object_sizes[] = {16, 32, 64};
enum { size_count = sizeof object_sizes / sizeof object_sizes[0] };

static const long default_count = 20 * 1000 * 1000;

/* The live objects. Global, so the collectors find it among their roots. */
static unsigned char *ring[ring_length];

/* Empties the ring, so each size starts from the same state. */
static void clear_ring(void) {
    for (int slot = 0; slot < ring_length; slot++) {
        release_object(ring[slot]);
        ring[slot] = NULL;
    }
}

/* Allocates count objects of size bytes; returns nanoseconds per allocation. */
static double measure_allocation(size_t size, long count) {
    clear_ring();
    double start = monotonic_seconds();
    for (long allocation = 0; allocation < count; allocation++) {
        long slot = allocation & (ring_length - 1);
        release_object(ring[slot]);
        unsigned char *object = allocate_object(size);
        object[0] = (unsigned char)allocation;
        ring[slot] = object;
    }
    double elapsed = monotonic_seconds() - start;
    clear_ring();
    return elapsed * 1e9 / (double)count;
}

int main(int argc, char **argv) {
    double run_start = monotonic_seconds();
    allocator_start();

    long count = argc > 1 ? atol(argv[1]) : default_count;
    if (count <= 0) {
        fprintf(stderr, "usage: %s [allocations per size, > 0]\n", argv[0]);
        return 2;
    }

    char extra_fields[256] = "";
    for (int index = 0; index < size_count; index++) {
        size_t size = object_sizes[index];
        double nanoseconds = measure_allocation(size, count);
        printf("allocfast (%s): %ld objects of %zu bytes: %.2f ns per allocation\n",
               allocator_name, count, size, nanoseconds);
        size_t used = strlen(extra_fields);
        snprintf(extra_fields + used, sizeof extra_fields - used, " ns_per_alloc_%zu=%.2f",
                 size, nanoseconds);
    }

    print_closing_line(monotonic_seconds() - run_start, extra_fields);
    return 0;
}
