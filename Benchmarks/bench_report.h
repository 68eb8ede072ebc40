/*
 * bench_report.h — wall-clock time, peak memory and the closing line.
 *
 * Every benchmark ends with one line that run.sh parses:
 *
 *   allocator=<name> seconds=<wall seconds> peak_rss_kib=<ru_maxrss>[ extra]
 *
 * where extra is the benchmark's own key=value fields (allocfast adds
 * ns_per_alloc_<size>=...) followed, for the two collectors, by
 * collections=<count> gc_heap_kib=<peak heap size>. Fields are separated by
 * single spaces and values never contain spaces.
 */
#ifndef BENCH_REPORT_H
#define BENCH_REPORT_H

#include "bench_allocator.h"

#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

/* Seconds on the monotonic clock, from an arbitrary origin. */
static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* The largest resident set this process has had, in KiB (Linux ru_maxrss). */
static long peak_resident_kib(void) {
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
    return usage.ru_maxrss;
}

/* Prints the closing line. extra_fields is "" or " key=value key=value". */
static void print_closing_line(double seconds, const char *extra_fields) {
    printf("allocator=%s seconds=%.3f peak_rss_kib=%ld%s", allocator_name, seconds,
           peak_resident_kib(), extra_fields);
    uint64_t collections, heap_bytes;
    if (allocator_collector_counters(&collections, &heap_bytes))
        printf(" collections=%" PRIu64 " gc_heap_kib=%" PRIu64, collections, heap_bytes / 1024);
    printf("\n");
    fflush(stdout);
}

#endif /* BENCH_REPORT_H */
