/*
 * test_memory_returned — memory goes back to the OS after a peak.
 *
 * About 200 MiB is kept live (small 1 KiB objects and large 256 KiB ones),
 * then dropped. Free spans return their pages after staying free for three
 * collections (PageAllocator.decommitAge), so after five collections the
 * resident set, read from /proc/self/statm, must have fallen by at least
 * 150 MiB from the peak and heap_size must be under 32 MiB.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "swiftgc.h"

enum { small_count = 100 * 1024, large_count = 400 };

static void **small_objects;
static void **large_objects;

static long resident_mib(void) {
    long pages_total = 0, pages_resident = 0;
    FILE *file = fopen("/proc/self/statm", "r");
    if (file == NULL || fscanf(file, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = -1;
    if (file) fclose(file);
    return pages_resident * sysconf(_SC_PAGESIZE) / (1024 * 1024);
}

int main(void) {
    small_objects = gc_malloc_uncollectable(small_count * sizeof(void *));
    large_objects = gc_malloc_uncollectable(large_count * sizeof(void *));
    for (int index = 0; index < small_count; index++) {
        small_objects[index] = gc_malloc(1000);
        memset(small_objects[index], 1, 1000);
    }
    for (int index = 0; index < large_count; index++) {
        large_objects[index] = gc_malloc(256 * 1024);
        memset(large_objects[index], 1, 256 * 1024);
    }
    gc_collect();
    long peak = resident_mib();
    CHECK(peak >= 180, "the peak resident set to hold the ~200 MiB kept live, was %ld MiB", peak);

    memset(small_objects, 0, small_count * sizeof(void *));
    memset(large_objects, 0, large_count * sizeof(void *));
    for (int round = 0; round < 5; round++) gc_collect();
    long after = resident_mib();
    struct gc_stats stats;
    gc_get_stats(&stats);
    printf("resident: %ld MiB at the peak, %ld MiB after dropping it and five collections; heap %llu MiB, "
           "returned %llu MiB\n", peak, after, (unsigned long long)stats.heap_size >> 20,
           (unsigned long long)stats.bytes_returned_to_os >> 20);
    CHECK(after <= peak - 150, "the resident set to fall by at least 150 MiB from %ld MiB, it is %ld MiB", peak, after);
    CHECK(stats.heap_size < (32u << 20), "heap_size under 32 MiB after the drop, it is %llu MiB",
          (unsigned long long)stats.heap_size >> 20);
    return check_finish();
}
