/*
 * test_finalizers — finalizers run once, in topological order, may
 * resurrect their object, skip cycles, and run on demand when asked to.
 *
 * Objects are allocated in non-inlined functions and remembered only in
 * hidden form, so the collector can find them unreachable; a small share
 * may be kept alive by stray stack words, so counts allow 10% slack.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { object_count = 200 };

static int run_counts[object_count];
static long finalization_sequence;
static long finalized_at[object_count * 2];
enum { resurrect_count = 20 };
static void *resurrected[resurrect_count];
static int finalize_all_runs;

static void count_run(void *object, void *data) {
    (void)object;
    run_counts[(intptr_t)data] += 1;
}

static void record_sequence(void *object, void *data) {
    (void)object;
    finalized_at[(intptr_t)data] = ++finalization_sequence;
}

static void resurrect(void *object, void *data) {
    resurrected[(intptr_t)data] = object;
}

static void count_finalize_all(void *object, void *data) {
    (void)object;
    (void)data;
    finalize_all_runs += 1;
}

static void allocate_in_finalizer(void *object, void *data) {
    (void)object;
    void **fresh = gc_malloc(64);
    fresh[0] = gc_malloc(4096);
    *(int *)data += fresh[0] != NULL;
}

__attribute__((noinline)) static void make_finalizable(void) {
    for (intptr_t index = 0; index < object_count; index++) {
        gc_register_finalizer(gc_malloc(48), count_run, (void *)index);
    }
}

/* Pairs: first[i] -> second[i]; both finalizable. */
__attribute__((noinline)) static void make_pairs(void) {
    for (intptr_t index = 0; index < object_count; index++) {
        void **first = gc_malloc(32);
        void **second = gc_malloc(32);
        first[0] = second;
        gc_register_finalizer(first, record_sequence, (void *)index);
        gc_register_finalizer(second, record_sequence, (void *)(object_count + index));
    }
}

__attribute__((noinline)) static void make_cycles(uintptr_t *hidden) {
    for (intptr_t index = 0; index < object_count / 2; index++) {
        void **first = gc_malloc(32);
        void **second = gc_malloc(32);
        first[0] = second;
        second[0] = first;
        gc_register_finalizer(first, count_run, (void *)(2 * index));
        gc_register_finalizer(second, count_run, (void *)(2 * index + 1));
        hide_address(hidden, index, first);
    }
}

__attribute__((noinline)) static void make_self_referencing(int order) {
    for (intptr_t index = 0; index < object_count; index++) {
        void **object = gc_malloc(32);
        object[0] = object;
        object[1] = (char *)object + 8;
        gc_register_finalizer_with_order(object, count_run, (void *)index, order, NULL, NULL);
    }
}

__attribute__((noinline)) static void make_resurrecting(void) {
    for (intptr_t index = 0; index < resurrect_count; index++) {
        uint64_t *object = gc_malloc(64);
        fill_from_seed(object, 64, 77 + index);
        gc_register_finalizer(object, resurrect, (void *)index);
    }
}

static int total_runs(void) {
    int total = 0;
    for (int index = 0; index < object_count; index++) total += run_counts[index];
    return total;
}

static int max_runs(void) {
    int most = 0;
    for (int index = 0; index < object_count; index++) if (run_counts[index] > most) most = run_counts[index];
    return most;
}

static void reset_runs(void) { memset(run_counts, 0, sizeof run_counts); }

int main(void) {
    /* Run once. */
    make_finalizable();
    collect_with_clean_stack();
    int after_first = total_runs();
    CHECK(after_first >= object_count * 9 / 10,
          "at least 90%% of %d unreachable finalizable objects to be finalized by one gc_collect, %d were",
          object_count, after_first);
    for (int round = 0; round < 3; round++) collect_with_clean_stack();
    CHECK(max_runs() == 1, "every finalizer to run at most once over 4 collections, one ran %d times", max_runs());
    CHECK(total_runs() >= after_first, "finalizer counts never to go down");
    printf("finalized %d of %d objects\n", total_runs(), object_count);

    /* Topological order: a first object is finalized before the one it points to. */
    make_pairs();
    for (int round = 0; round < 4; round++) collect_with_clean_stack();
    int ordered = 0, both = 0, wrong = 0;
    for (int index = 0; index < object_count; index++) {
        long first = finalized_at[index], second = finalized_at[object_count + index];
        if (first && second) {
            both += 1;
            if (first < second) ordered += 1; else wrong += 1;
        } else if (second && !first) {
            wrong += 1;
        }
    }
    CHECK(wrong == 0, "no object finalized before (or without) the finalizable object pointing to it, %d were", wrong);
    CHECK(both >= object_count * 9 / 10, "at least 90%% of %d pairs fully finalized after 4 collections, %d were",
          object_count, both);
    printf("pairs finalized in order: %d of %d\n", ordered, object_count);

    /* Resurrection: the finalizer stores the object; it stays intact. */
    uintptr_t *hidden = hidden_table_create(object_count);
    make_resurrecting();
    collect_with_clean_stack();
    int stored = 0, intact = 0;
    for (int index = 0; index < resurrect_count; index++) stored += resurrected[index] != NULL;
    CHECK(stored >= resurrect_count * 8 / 10, "at least 80%% of %d finalizers to store their object, %d did",
          resurrect_count, stored);
    for (int round = 0; round < 3; round++) {
        allocate_garbage(1 << 20);
        collect_with_clean_stack();
    }
    for (int index = 0; index < resurrect_count; index++) {
        unsigned char expected[64];
        fill_from_seed(expected, 64, 77 + index);
        if (resurrected[index] && gc_base(resurrected[index]) == resurrected[index]
            && memcmp(resurrected[index], expected, 64) == 0) intact += 1;
    }
    CHECK(intact == stored, "all %d resurrected objects to stay live and unchanged, %d did", stored, intact);
    memset(resurrected, 0, sizeof resurrected);

    /* Cycles of finalizable objects are never finalized. */
    reset_runs();
    make_cycles(hidden);
    for (int round = 0; round < 3; round++) collect_with_clean_stack();
    CHECK(total_runs() == 0, "no finalizer of objects in cycles to run, %d did", total_runs());
    size_t cycles_alive = 0;
    for (int index = 0; index < object_count / 2; index++) cycles_alive += gc_base(reveal_address(hidden, index)) != NULL;
    CHECK(cycles_alive == object_count / 2, "finalizable cycles to be kept, %zu of %d were", cycles_alive,
          object_count / 2);

    /* Self-reference: a cycle for topological order, not with ignore_self. */
    reset_runs();
    make_self_referencing(gc_order_topological);
    for (int round = 0; round < 2; round++) collect_with_clean_stack();
    CHECK(total_runs() == 0, "self-referencing topological objects never to be finalized, %d were", total_runs());
    reset_runs();
    make_self_referencing(gc_order_ignore_self);
    collect_with_clean_stack();
    CHECK(total_runs() >= object_count * 9 / 10,
          "at least 90%% of self-referencing ignore_self objects to be finalized, %d were", total_runs());

    /* On demand: nothing runs until gc_run_finalizers. */
    reset_runs();
    gc_set_finalize_on_demand(1);
    make_finalizable();
    collect_with_clean_stack();
    CHECK(total_runs() == 0, "no finalizer to run on its own in on-demand mode, %d did", total_runs());
    size_t pending = gc_pending_finalizers();
    CHECK(pending >= object_count * 9 / 10, "at least 90%% of finalizers pending, %zu are", pending);
    int ran = gc_run_finalizers();
    CHECK(ran == (int)pending && total_runs() == ran, "gc_run_finalizers to run the %zu pending, it ran %d", pending, ran);
    CHECK(gc_pending_finalizers() == 0, "nothing pending afterwards");
    gc_set_finalize_on_demand(0);

    /* A finalizer may allocate (and so collect) without deadlock. */
    int allocations = 0;
    for (int index = 0; index < 50; index++) gc_register_finalizer(gc_malloc(16), allocate_in_finalizer, &allocations);
    for (int round = 0; round < 3; round++) {
        allocate_garbage(4 << 20);
        collect_with_clean_stack();
    }
    CHECK(allocations > 0, "finalizers that allocate to run, %d did", allocations);

    /* Removing a finalizer, and what the previous one was. */
    reset_runs();
    void *object = gc_malloc(16);
    gc_register_finalizer(object, count_run, (void *)5);
    gc_finalizer previous = NULL;
    void *previous_data = NULL;
    gc_register_finalizer_with_order(object, NULL, NULL, 0, &previous, &previous_data);
    CHECK(previous == count_run && previous_data == (void *)5, "removal to return the previous finalizer and data");
    gc_register_finalizer(object, count_run, (void *)6);
    gc_free(object);
    object = NULL;
    collect_with_clean_stack();
    CHECK(total_runs() == 0, "no finalizer to run for removed or freed registrations, %d did", total_runs());

    /* gc_finalize_all runs even reachable objects' finalizers. */
    reset_runs();
    void *volatile kept = gc_malloc(16);
    gc_register_finalizer(kept, count_finalize_all, NULL);
    gc_finalize_all();
    CHECK(finalize_all_runs == 1, "gc_finalize_all to finalize a reachable object once, it ran %d times",
          finalize_all_runs);
    hidden_table_destroy(hidden, object_count);
    return check_finish();
}
