/*
 * test_finalization_memory — finalizers and weak links do not make the heap
 * or the collector's tables grow without bound.
 *
 * 1. Pacing: a loop that registers a finalizer and a weak link on every
 *    object it allocates, keeping only a small ring of them, must stay in a
 *    small heap. Objects queued for finalization survive their collection;
 *    if they counted as live data for the next budget, the heap would grow
 *    by their size at every collection (it reached 8.5 MiB here before;
 *    about 1 MiB now).
 * 2. Shrinking: tables grown for a burst of registrations on objects that
 *    then die are given back (gc_stats.metadata_size includes them).
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { churn_objects = 600000, ring_size = 1000, burst_objects = 150000 };

static size_t finalized;
static void count_finalized(void *object, void *data) {
    (void)object;
    (void)data;
    finalized += 1;
}

static void **map_links(size_t count) {
    void **links = mmap(NULL, count * sizeof(void *), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (links == MAP_FAILED) abort();
    return links;
}

__attribute__((noinline)) static void churn(void **links, void **ring) {
    for (size_t index = 0; index < churn_objects; index++) {
        void *object = gc_malloc(32);
        gc_register_finalizer(object, count_finalized, NULL);
        links[index] = object;
        if (gc_register_weak_link(&links[index], object) != SWIFTGC_SUCCESS) abort();
        if (index % 10 == 0) ring[(index / 10) % ring_size] = object;
    }
}

/* Registers on objects kept reachable from `holder` until the caller drops it. */
__attribute__((noinline)) static void **register_burst(void **links) {
    void **holder = gc_malloc(burst_objects * sizeof(void *));
    for (size_t index = 0; index < burst_objects; index++) {
        holder[index] = gc_malloc(32);
        gc_register_finalizer(holder[index], count_finalized, NULL);
        links[index] = holder[index];
        gc_register_weak_link(&links[index], holder[index]);
    }
    return holder;
}

static uint64_t metadata_size(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.metadata_size;
}

int main(void) {
    void **links = map_links(churn_objects);
    void **ring = gc_malloc(ring_size * sizeof(void *));
    churn(links, ring);
    gc_collect();
    struct gc_stats stats;
    gc_get_stats(&stats);
    CHECK(stats.collections >= 5, "registrations and allocation ran collections (%llu)",
          (unsigned long long)stats.collections);
    CHECK(stats.peak_heap_size <= (4u << 20),
          "the heap stays small when every object is finalizable (peak %llu KiB, at most 4096)",
          (unsigned long long)stats.peak_heap_size / 1024);
    CHECK(finalized >= churn_objects / 2, "most dropped objects were finalized (%zu of %d)", finalized,
          churn_objects);
    ring[0] = NULL;

    void **burst_links = map_links(burst_objects);
    void **holder = register_burst(burst_links);
    uint64_t peak_tables = metadata_size();
    holder = NULL;
    __asm__ volatile("" : : "r"(holder) : "memory");
    for (int round = 0; round < 3; round++) collect_with_clean_stack();
    uint64_t after_tables = metadata_size();
    CHECK(peak_tables >= after_tables + (8u << 20),
          "tables grown for %d registrations are given back once their objects die "
          "(metadata %llu KiB at the peak, %llu KiB after)",
          burst_objects, (unsigned long long)peak_tables / 1024, (unsigned long long)after_tables / 1024);
    size_t cleared = 0;
    for (size_t index = 0; index < burst_objects; index++) cleared += burst_links[index] == NULL;
    CHECK(cleared >= burst_objects * 9 / 10, "the burst's links were cleared (%zu of %d)", cleared, burst_objects);
    return check_finish();
}
