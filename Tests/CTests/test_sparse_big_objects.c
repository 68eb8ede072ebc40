/*
 * test_sparse_big_objects — a big scanned object whose pages were mostly
 * never written: a collection finds the pointers on the pages that were
 * written (the first, a middle and the last page), and does not touch the
 * others. Reading a never-written page would map the zero page into it, a
 * page fault each, so after the collection mincore must still find almost
 * none of the object's pages mapped.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { child_count = 4 };
static const size_t big_size = (size_t)256 << 20;

/* How many pages of [start, start + size) are mapped (zero page included). */
static long mapped_pages(void *start, size_t size) {
    static unsigned char residency[(256 << 20) / 4096];
    if (mincore(start, size, residency) != 0) return -1;
    long mapped = 0;
    for (size_t page = 0; page < size / 4096; page++) mapped += residency[page] & 1;
    return mapped;
}

/* Puts children at the start, in the middle, and at the end of `big`;
 * only hidden addresses of them stay outside it. */
__attribute__((noinline)) static void plant_children(void **big, size_t words, uintptr_t *hidden) {
    size_t places[child_count] = { 0, words / 2, words / 2 + 1, words - 1 };
    for (int index = 0; index < child_count; index++) {
        char *child = gc_malloc(64);
        memset(child, 'a' + index, 64);
        big[places[index]] = child;
        hide_address(hidden, (size_t)index, child);
    }
}

int main(void) {
    void **big = gc_malloc(big_size);
    CHECK(big != NULL, "gc_malloc of 256 MiB succeeds");
    if (big == NULL) return check_finish();
    uintptr_t hidden[child_count];
    plant_children(big, big_size / sizeof(void *), hidden);

    gc_collect();
    long pages = (long)(big_size / 4096);
    long mapped = mapped_pages(big, big_size);
    CHECK(mapped >= 0 && mapped < pages / 16,
          "a collection leaves the never-written pages unmapped (%ld of %ld mapped)", mapped, pages);

    int intact = 0;
    for (int index = 0; index < child_count; index++) {
        const char *child = reveal_address(hidden, (size_t)index);
        intact += gc_base((void *)child) == child && child[0] == 'a' + index && child[63] == 'a' + index;
    }
    CHECK(intact == child_count, "children pointed to from the written pages survive (%d of %d)", intact,
          child_count);
    gc_collect();
    intact = 0;
    for (int index = 0; index < child_count; index++) intact += gc_base(reveal_address(hidden, (size_t)index)) != NULL;
    CHECK(intact == child_count, "and a second collection (%d of %d)", intact, child_count);
    CHECK(big[0] != NULL && big[big_size / sizeof(void *) - 1] != NULL, "the big object is intact");
    return check_finish();
}
