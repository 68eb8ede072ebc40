/*
 * bdwgc's byte counters that the collector alone cannot know
 * (include/boehm/gc/gc_hooks.h): bytes freed explicitly since the last
 * collection (GC_free, GC_incr_bytes_freed), bytes a program says it
 * allocated outside the collector (GC_incr_bytes_allocd), and the
 * collection time counted from GC_start_performance_measurement. The
 * counters restart when a collection starts (boehm_events.c). Compiled
 * only into libswiftgc.so.
 *
 * The counters are updated by any thread without a lock, and reset by the
 * collecting thread: relaxed atomic adds, since each is a statistic read on
 * its own and orders nothing else.
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "_CSwiftGCBoehm.h"

#include <stdint.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))

static size_t explicitly_freed_bytes;
static size_t bytes_allocated_outside;
/* The collections' total pause time when GC_start_performance_measurement
 * was called; UINT64_MAX until it is. */
static uint64_t measurement_start_nanoseconds = UINT64_MAX;

void swiftgc_boehm_count_explicit_free(size_t bytes) {
    __atomic_fetch_add(&explicitly_freed_bytes, bytes, __ATOMIC_RELAXED);
}

void swiftgc_boehm_reset_byte_counters(void) {
    __atomic_store_n(&explicitly_freed_bytes, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&bytes_allocated_outside, 0, __ATOMIC_RELAXED);
}

size_t swiftgc_boehm_bytes_allocated_outside(void) { return __atomic_load_n(&bytes_allocated_outside, __ATOMIC_RELAXED); }

BOEHM_EXPORT void GC_incr_bytes_allocd(size_t bytes) {
    __atomic_fetch_add(&bytes_allocated_outside, bytes, __ATOMIC_RELAXED);
}
BOEHM_EXPORT void GC_incr_bytes_freed(size_t bytes) { swiftgc_boehm_count_explicit_free(bytes); }
BOEHM_EXPORT size_t GC_get_expl_freed_bytes_since_gc(void) {
    return __atomic_load_n(&explicitly_freed_bytes, __ATOMIC_RELAXED);
}

/* ---- Collection time ---- */
static uint64_t total_pause_nanoseconds(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.total_pause_ns;
}

BOEHM_EXPORT void GC_start_performance_measurement(void) {
    uint64_t expected = UINT64_MAX;
    __atomic_compare_exchange_n(&measurement_start_nanoseconds, &expected, total_pause_nanoseconds(), 0,
                                __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

/* Milliseconds spent in collections (all are full collections) since
 * GC_start_performance_measurement; 0 before it is called, as bdwgc. */
BOEHM_EXPORT unsigned long GC_get_full_gc_total_time(void) {
    uint64_t start = __atomic_load_n(&measurement_start_nanoseconds, __ATOMIC_RELAXED);
    if (start == UINT64_MAX) return 0;
    return (unsigned long)((total_pause_nanoseconds() - start) / 1000000);
}
