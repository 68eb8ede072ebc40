/*
 * test_bounded_memory — with about 4 MiB live, allocating 1 GiB in small and
 * medium objects keeps peak memory bounded, through automatic collections
 * alone (this test never calls gc_collect).
 *
 * The live set is a ring of 1024 records, each a chain of four parts of
 * random size (about 4 KiB per record). Each step replaces a random record,
 * so the old one becomes garbage, and now and then allocates a short-lived
 * buffer of 16 to 128 KiB. At the end every record is checked, the peak
 * resident set must be under 64 MiB, and the statistics must show
 * collections and a large amount reclaimed.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

enum { ring_slot_count = 1024, parts_per_record = 4 };
static const uint64_t total_to_allocate = (uint64_t)1 << 30;
static const long peak_resident_bound_kib = 64 * 1024;

struct record_part {
    struct record_part *next;
    uint64_t seed;
    uint64_t size;            /* of payload */
    unsigned char payload[];
};

struct record {
    uint64_t serial;
    struct record_part *first_part;
};

static uint64_t allocated_bytes;

static struct record *make_record(uint64_t serial, uint64_t *random_state) {
    struct record *record = gc_malloc(sizeof *record);
    record->serial = serial;
    allocated_bytes += sizeof *record;
    for (int part_number = 0; part_number < parts_per_record; part_number++) {
        size_t size = random_between(random_state, 64, 1984);
        struct record_part *part = gc_malloc(sizeof *part + size);
        part->seed = serial * parts_per_record + (uint64_t)part_number;
        part->size = size;
        fill_from_seed(part->payload, size, part->seed);
        part->next = record->first_part;
        record->first_part = part;
        allocated_bytes += sizeof *part + size;
    }
    return record;
}

/* Checks a record part by part; a part that is not a live object ends the check. */
static int is_intact(const struct record *record) {
    if (gc_base(record) != record) return 0;
    int part_count = 0;
    for (const struct record_part *part = record->first_part; part != NULL; part = part->next, part_count++) {
        if (gc_base(part) != part || part->size > 1984) return 0;
        if (part->seed != record->serial * parts_per_record + (uint64_t)(parts_per_record - 1 - part_count)) return 0;
        unsigned char expected[1984];
        fill_from_seed(expected, part->size, part->seed);
        if (memcmp(part->payload, expected, part->size) != 0) return 0;
    }
    return part_count == parts_per_record;
}

int main(void) {
    uint64_t random_state = 2024;
    struct gc_stats before;
    gc_get_stats(&before);
    long resident_before_kib = peak_resident_kib();

    struct record **ring = gc_malloc(ring_slot_count * sizeof *ring);
    uint64_t serial = 0;
    for (size_t slot = 0; slot < ring_slot_count; slot++) ring[slot] = make_record(serial++, &random_state);
    size_t ring_bytes = allocated_bytes;

    while (allocated_bytes < total_to_allocate) {
        size_t slot = random_between(&random_state, 0, ring_slot_count - 1);
        ring[slot] = make_record(serial++, &random_state);
        if (serial % 8 == 0) {
            size_t size = random_between(&random_state, 16 << 10, 128 << 10);
            unsigned char *buffer = gc_malloc_atomic(size);
            memset(buffer, (int)serial, size);
            allocated_bytes += size;
        }
    }

    size_t intact = 0;
    for (size_t slot = 0; slot < ring_slot_count; slot++) intact += is_intact(ring[slot]);
    CHECK(intact == ring_slot_count, "all %d live records intact after allocating 1 GiB, %zu were",
          ring_slot_count, intact);

    struct gc_stats after;
    gc_get_stats(&after);
    long peak_kib = peak_resident_kib();
    printf("live about %zu KiB, allocated %llu MiB, %llu collections, reclaimed %llu MiB, "
           "peak heap %llu MiB, peak RSS %ld MiB (%ld MiB at start)\n",
           ring_bytes >> 10, (unsigned long long)(allocated_bytes >> 20),
           (unsigned long long)(after.collections - before.collections),
           (unsigned long long)((after.total_bytes_reclaimed - before.total_bytes_reclaimed) >> 20),
           (unsigned long long)(after.peak_heap_size >> 20), peak_kib >> 10, resident_before_kib >> 10);
    CHECK(peak_kib < peak_resident_bound_kib,
          "peak RSS under %ld MiB with ~4 MiB live while allocating 1 GiB, was %ld MiB",
          peak_resident_bound_kib >> 10, peak_kib >> 10);
    CHECK(after.collections > before.collections, "automatic collections to have run");
    CHECK(after.total_bytes_allocated - before.total_bytes_allocated >= total_to_allocate,
          "total_bytes_allocated to grow by at least 1 GiB, grew by %llu MiB",
          (unsigned long long)((after.total_bytes_allocated - before.total_bytes_allocated) >> 20));
    CHECK(after.total_bytes_reclaimed - before.total_bytes_reclaimed >= total_to_allocate / 2,
          "collections to reclaim at least 512 MiB of the 1 GiB allocated, reclaimed %llu MiB",
          (unsigned long long)((after.total_bytes_reclaimed - before.total_bytes_reclaimed) >> 20));
    return check_finish();
}
