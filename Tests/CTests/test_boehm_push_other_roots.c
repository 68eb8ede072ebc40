/*
 * test_boehm_push_other_roots — bdwgc's push-other-roots callback: ranges
 * the callback reports with GC_push_all (or _eager, _conditional) keep
 * their objects alive, and nothing else does, whether the callback is set
 * with GC_set_push_other_roots or assigned to the GC_push_other_roots
 * variable, as older runtimes do; GC_gc_no follows the
 * collections; a few of the less common gc.h calls answer sensibly.
 *
 * The objects are referenced only from an mmap'ed area, which the collector
 * never scans by itself, so they survive exactly when the callback pushes
 * that area.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "boehm/gc/gc_mark.h"
#include "check.h"
#include "garbage.h"

enum { object_count = 3000, object_size = 48 };

static void **private_area; /* mmap'ed: scanned only through the callback */
static uintptr_t *hidden;    /* the objects' addresses, hidden */
static int callback_calls;
static GC_word gc_no_seen_by_callback;
static int pushes_whole_area = 1;
static GC_push_other_roots_proc previous_callback;

static void push_private_area(void) {
    callback_calls += 1;
    gc_no_seen_by_callback = GC_gc_no;
    if (pushes_whole_area) {
        /* Three calls cover the area, split unevenly and misaligned at the
         * inner edges: rounding inwards must not lose a whole pointer. */
        char *start = (char *)private_area, *end = (char *)(private_area + object_count);
        char *first_cut = (char *)(private_area + 1000), *second_cut = (char *)(private_area + 2000);
        GC_push_all(start, first_cut);
        GC_push_all_eager(first_cut, second_cut);
        GC_push_conditional(second_cut, end, 0);
    }
    previous_callback(); /* the default must be callable */
}

__attribute__((noinline)) static void fill_private_area(void) {
    for (size_t index = 0; index < object_count; index++) {
        void *object = GC_MALLOC(object_size);
        fill_from_seed(object, object_size, index + 1);
        private_area[index] = object;
        hide_address(hidden, index, object);
    }
}

static size_t count_intact(void) {
    size_t intact = 0;
    for (size_t index = 0; index < object_count; index++) {
        void *object = reveal_address(hidden, index);
        if (GC_base(object) != object) continue;
        unsigned char expected[object_size];
        fill_from_seed(expected, object_size, index + 1);
        if (memcmp(object, expected, object_size) == 0) intact += 1;
    }
    return intact;
}

int main(void) {
    GC_INIT();
    previous_callback = GC_get_push_other_roots();
    CHECK(previous_callback != NULL, "the default push-other-roots callback is not NULL, so callbacks can chain");
    private_area = mmap(NULL, object_count * sizeof(void *), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                        -1, 0);
    if (private_area == MAP_FAILED) abort();
    hidden = hidden_table_create(object_count);

    GC_push_all(private_area, private_area + object_count); /* outside a collection: ignored */
    GC_set_push_other_roots(push_private_area);
    CHECK(GC_get_push_other_roots() == push_private_area, "GC_get_push_other_roots returns the callback set");
    fill_private_area();
    for (int round = 0; round < 3; round++) {
        collect_with_clean_stack();
        allocate_garbage(1 << 20);
    }
    collect_with_clean_stack();
    CHECK(callback_calls >= 4, "the callback ran at every collection (%d calls)", callback_calls);
    CHECK(count_intact() == object_count, "every object reachable only through pushed ranges survives intact (%zu of %d)",
          count_intact(), object_count);
    CHECK(GC_gc_no == GC_get_gc_no(), "GC_gc_no (%lu) equals GC_get_gc_no (%lu)", (unsigned long)GC_gc_no,
          (unsigned long)GC_get_gc_no());
    CHECK(gc_no_seen_by_callback + 1 == GC_gc_no,
          "as in bdwgc, the callback sees GC_gc_no before the collection is counted (%lu, then %lu)",
          (unsigned long)gc_no_seen_by_callback, (unsigned long)GC_gc_no);

    pushes_whole_area = 0; /* the callback still runs, but pushes nothing */
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden, object_count);
    CHECK(reclaimed >= object_count * 9 / 10, "once no longer pushed, the objects are reclaimed (%zu of %d)", reclaimed,
          object_count);
    GC_set_push_other_roots(previous_callback);

    /* Older runtimes assign the variable instead of calling the setter. */
    pushes_whole_area = 1;
    int calls_before = callback_calls;
    GC_push_other_roots = push_private_area; /* before filling: a collection may come meanwhile */
    fill_private_area();
    CHECK(GC_get_push_other_roots() == push_private_area, "GC_get_push_other_roots returns what was assigned");
    collect_with_clean_stack();
    allocate_garbage(1 << 20);
    collect_with_clean_stack();
    CHECK(callback_calls >= calls_before + 2, "a callback assigned to GC_push_other_roots runs at each collection");
    CHECK(count_intact() == object_count, "and the ranges it pushes keep their objects (%zu of %d intact)",
          count_intact(), object_count);
    GC_push_other_roots = previous_callback;

    /* Less common calls. */
    void *object = GC_malloc_kind(64, GC_I_NORMAL);
    CHECK(object != NULL && GC_size(object) >= 64, "GC_malloc_kind allocates like GC_generic_malloc");
    void *large = GC_MALLOC(1 << 20);
    CHECK(GC_get_memory_use() >= (1 << 20), "GC_get_memory_use counts a large object just allocated (%zu)",
          GC_get_memory_use());
    GC_noop1((GC_word)large);
    CHECK(GC_get_obtained_from_os_bytes() >= GC_get_heap_size(), "memory from the OS covers at least the heap");
    GC_set_allocd_bytes_per_finalizer(5000);
    CHECK(GC_get_allocd_bytes_per_finalizer() == 5000, "GC_set_allocd_bytes_per_finalizer is stored");
    GC_noop1((GC_word)object);
    return check_finish();
}
