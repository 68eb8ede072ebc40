/*
 * test_concurrent_finalization — finalizers and weak links registered,
 * replaced, cancelled, unregistered and moved while collection cycles run,
 * with exactly the semantics of README "Finalizers and weak references":
 *
 *   - a finalizer runs once for an object that became unreachable, never
 *     for one still reachable, never after it was cancelled (fn NULL); it
 *     receives the object, intact and still a live heap object;
 *   - a short link is cleared by the collection that finds its target
 *     unreachable, before finalizers are ordered, so inside the target's
 *     finalizer the short link is already NULL and the long link is not;
 *   - neither kind is cleared while its target is reachable; a link that
 *     is still set points to an intact object;
 *   - gc_unregister_*_weak_link returns 1 exactly when the link had not
 *     been cleared, and the collector never touches the link afterwards;
 *   - gc_move_weak_link moves the registration: the new location is
 *     cleared when the target dies, the old one is left alone.
 *
 * Runs with SWIFTGC_CONCURRENT=1 (concurrent.h) beside a 32 MiB live
 * structure and a steady stream of garbage, so cycles run back to back.
 * Each round registers a batch of objects with random fates and changes
 * random earlier ones. Objects are remembered in tables from mmap, which
 * the collector does not scan: their addresses in hidden form, their links
 * as plain words (links must not be scanned). Reachable objects are held
 * by a collected array. A small share of dropped objects may be kept by
 * stray words, so "eventually" means at least 90%.
 */
#include <stdatomic.h>

#include "check.h"
#include "concurrent.h"

enum {
    live_bytes = 32 << 20,
    rounds = 250,
    batch = 40,
    object_capacity = rounds * batch,
    churn_per_round = 1 << 20,
    checkpoint_interval = 25,
    minimum_collections = 5,
};

static const char *const test_options[] = {
    "SWIFTGC_CONCURRENT=1", "SWIFTGC_INITIAL_HEAP=1M", "SWIFTGC_HEAP_GROWTH=25", NULL,
};

/* What the program does with an object; written by the main thread with
 * release ordering before the object's last pointer is dropped, read by
 * finalizers (on whichever thread runs them) with acquire ordering. */
enum fate {
    fate_held,          /* in held[]: reachable */
    fate_dropped,       /* no longer reachable */
    fate_cancelled,     /* finalizer removed, then dropped */
};

struct tracked {                    /* the object itself, gc_malloc */
    uint64_t id;
    uint64_t check;
    uint64_t padding[2];
};

struct record {                     /* per id, in unscanned memory */
    uintptr_t hidden_address;
    atomic_int fate;
    atomic_int short_is_private;    /* the program unregistered it: never cleared */
    atomic_int long_is_private;
    int has_finalizer, has_short, has_long;
    int short_at_spare;             /* the short link was moved to links[id].spare */
    void *short_expected, *long_expected; /* for private links: the value they must keep */
};

struct links {                      /* per id, in unscanned memory */
    void *short_link;
    void *long_link;
    void *spare;
};

static struct record *records;
static struct links *links;
static atomic_int *finalizer_runs;
static struct tracked **held;       /* gc_malloc, reached from .bss */
static size_t object_count;
static uint64_t random_state;

/* Finalizer misbehaviour, counted wherever finalizers run. */
static atomic_int runs_for_reachable, runs_after_cancel, runs_with_bad_object;
static atomic_int short_link_still_set, long_link_cleared_early;

static uint64_t tracked_check(uint64_t id) {
    uint64_t state = id * 0x2545f4914f6cdd1du + 17;
    return random_next(&state);
}

static int tracked_is_intact(const struct tracked *object, uint64_t id) {
    return gc_base(object) == object && object->id == id && object->check == tracked_check(id);
}

static void **short_location(uint64_t id) {
    return records[id].short_at_spare ? &links[id].spare : &links[id].short_link;
}

static void finalize(void *object, void *data) {
    uint64_t id = (uintptr_t)data;
    struct record *record = &records[id];
    atomic_fetch_add(&finalizer_runs[id], 1);
    int fate = atomic_load_explicit(&record->fate, memory_order_acquire);
    if (fate == fate_held) atomic_fetch_add(&runs_for_reachable, 1);
    if (fate == fate_cancelled) atomic_fetch_add(&runs_after_cancel, 1);
    if (object != reveal_address(&record->hidden_address, 0) || !tracked_is_intact(object, id))
        atomic_fetch_add(&runs_with_bad_object, 1);
    if (record->has_short && !atomic_load(&record->short_is_private) && *short_location(id) != NULL)
        atomic_fetch_add(&short_link_still_set, 1);
    if (record->has_long && !atomic_load(&record->long_is_private) && links[id].long_link != object)
        atomic_fetch_add(&long_link_cleared_early, 1);
}

/* Allocates one object with its registrations; held unless dropped at once.
 * Not inlined, so a dropped object's address dies with this frame. */
__attribute__((noinline)) static void create_object(uint64_t id) {
    struct record *record = &records[id];
    struct tracked *object = gc_malloc(sizeof *object);
    if (object == NULL) abort();
    object->id = id;
    object->check = tracked_check(id);
    hide_address(&record->hidden_address, 0, object);
    uint64_t choice = random_next(&random_state);
    record->has_finalizer = choice % 4 != 0;
    record->has_short = (choice >> 2) % 2;
    record->has_long = (choice >> 3) % 2;
    if (record->has_finalizer) {
        gc_register_finalizer(object, finalize, (void *)(uintptr_t)id);
        /* Registering again replaces the first registration. */
        if ((choice >> 4) % 4 == 0) gc_register_finalizer(object, finalize, (void *)(uintptr_t)id);
    }
    if (record->has_short) {
        links[id].short_link = object;
        CHECK(gc_register_weak_link(&links[id].short_link, object) == SWIFTGC_SUCCESS,
              "registering the short link of object %" PRIu64 " to succeed", id);
    }
    if (record->has_long) {
        links[id].long_link = object;
        CHECK(gc_register_long_weak_link(&links[id].long_link, object) == SWIFTGC_SUCCESS,
              "registering the long link of object %" PRIu64 " to succeed", id);
    }
    int is_dropped_at_once = (choice >> 6) % 3 == 0;
    atomic_store_explicit(&record->fate, is_dropped_at_once ? fate_dropped : fate_held, memory_order_release);
    held[id] = is_dropped_at_once ? NULL : object;
}

/* Unregisters a link and checks the answer against the link's value:
 * 1 exactly when it had not been cleared. */
static void make_link_private(uint64_t id, int is_long) {
    struct record *record = &records[id];
    atomic_store(is_long ? &record->long_is_private : &record->short_is_private, 1);
    void **link = is_long ? &links[id].long_link : short_location(id);
    int was_registered = is_long ? gc_unregister_long_weak_link(link) : gc_unregister_weak_link(link);
    void *value = *link;
    CHECK(was_registered == (value != NULL),
          "unregistering the %s link of object %" PRIu64 " to return 1 exactly when it was not cleared "
          "(returned %d, link %p)", is_long ? "long" : "short", id, was_registered, value);
    if (is_long) record->long_expected = value; else record->short_expected = value;
}

/* One change to a random earlier object, by what it is now. */
static void change_object(uint64_t id) {
    struct record *record = &records[id];
    int fate = atomic_load(&record->fate);
    uint64_t choice = random_next(&random_state) % 8;
    if (fate == fate_held && choice < 3) {
        atomic_store_explicit(&record->fate, fate_dropped, memory_order_release);
        held[id] = NULL;
    } else if (fate == fate_held && choice == 3 && record->has_finalizer) {
        gc_register_finalizer(held[id], NULL, NULL);
        atomic_store_explicit(&record->fate, fate_cancelled, memory_order_release);
        held[id] = NULL;
    } else if (fate == fate_held && choice == 4 && record->has_short && !record->short_at_spare
               && !atomic_load(&record->short_is_private)) {
        int moved = gc_move_weak_link(&links[id].short_link, &links[id].spare);
        CHECK(moved == SWIFTGC_SUCCESS, "moving the short link of reachable object %" PRIu64 " to succeed (%d)",
              id, moved);
        links[id].spare = held[id];
        record->short_at_spare = 1;
        links[id].short_link = (void *)(uintptr_t)0x1000; /* left alone from now on */
    } else if (choice == 5 && record->has_short && !atomic_load(&record->short_is_private)
               && (fate == fate_held || !record->has_finalizer)) {
        make_link_private(id, 0);
    } else if (choice == 6 && record->has_long && !atomic_load(&record->long_is_private)
               && (fate == fate_held || !record->has_finalizer)) {
        make_link_private(id, 1);
    }
}

/* What must hold at any moment: counts how many objects break it. */
static size_t objects_breaking_invariants(int is_final) {
    size_t broken = 0;
    for (uint64_t id = 0; id < object_count; id++) {
        struct record *record = &records[id];
        int fate = atomic_load(&record->fate);
        int runs = atomic_load(&finalizer_runs[id]);
        int bad = runs > 1 || (fate != fate_dropped && runs != 0);
        if (fate == fate_held) {
            bad |= !tracked_is_intact(held[id], id);
            if (record->has_short && !atomic_load(&record->short_is_private)) bad |= *short_location(id) != held[id];
            if (record->has_long && !atomic_load(&record->long_is_private)) bad |= links[id].long_link != held[id];
        }
        if (atomic_load(&record->short_is_private)) bad |= *short_location(id) != record->short_expected;
        if (atomic_load(&record->long_is_private)) bad |= links[id].long_link != record->long_expected;
        if (record->short_at_spare) bad |= links[id].short_link != (void *)(uintptr_t)0x1000;
        /* With the world quiet, a link still set must point to an intact object. */
        if (is_final && fate != fate_held) {
            void *target = reveal_address(&record->hidden_address, 0);
            if (record->has_short && !atomic_load(&record->short_is_private) && *short_location(id) != NULL)
                bad |= *short_location(id) != target || !tracked_is_intact(target, id);
            if (record->has_long && !atomic_load(&record->long_is_private) && links[id].long_link != NULL)
                bad |= links[id].long_link != target || !tracked_is_intact(target, id);
        }
        if (bad && broken++ < 5)
            printf("    object %" PRIu64 ": fate %d, finalizer %d (ran %d), short %d%s%s, long %d%s\n", id, fate,
                   record->has_finalizer, runs, record->has_short, record->short_at_spare ? " moved" : "",
                   atomic_load(&record->short_is_private) ? " unregistered" : "", record->has_long,
                   atomic_load(&record->long_is_private) ? " unregistered" : "");
    }
    return broken;
}

static size_t count_where(int (*predicate)(uint64_t id)) {
    size_t count = 0;
    for (uint64_t id = 0; id < object_count; id++) count += predicate(id) != 0;
    return count;
}

static int is_dropped_finalizable(uint64_t id) {
    return atomic_load(&records[id].fate) == fate_dropped && records[id].has_finalizer;
}
static int was_finalized_once(uint64_t id) { return is_dropped_finalizable(id) && finalizer_runs[id] == 1; }
static int has_public_link_to_dropped(uint64_t id) {
    return atomic_load(&records[id].fate) != fate_held
        && ((records[id].has_short && !records[id].short_is_private)
            || (records[id].has_long && !records[id].long_is_private));
}
static int has_public_link_cleared(uint64_t id) {
    return has_public_link_to_dropped(id)
        && (!records[id].has_short || records[id].short_is_private || *short_location(id) == NULL)
        && (!records[id].has_long || records[id].long_is_private || links[id].long_link == NULL);
}

__attribute__((noinline)) static void quiet_collections(void) {
    collect_with_clean_stack();
    collect_with_clean_stack();
    gc_run_finalizers();
    /* Objects finalized just now are reclaimed by the next collection,
     * which is when their long links go. */
    collect_with_clean_stack();
    gc_run_finalizers();
}

int main(int argc, char **argv) {
    uint64_t seed = concurrent_test_begin(&argc, &argv, test_options);
    random_state = seed;
    records = (struct record *)hidden_table_create(object_capacity * sizeof(struct record) / sizeof(uintptr_t));
    links = (struct links *)hidden_table_create(object_capacity * sizeof(struct links) / sizeof(uintptr_t));
    finalizer_runs = (atomic_int *)hidden_table_create(object_capacity);
    held = gc_malloc(object_capacity * sizeof *held);
    live_structure_build(seed, live_bytes);

    uint64_t collections_at_start = concurrent_collections();
    size_t broken_at_checkpoints = 0;
    for (int round = 0; round < rounds; round++) {
        concurrent_churn(&random_state, churn_per_round, NULL);
        live_structure_rebuild_chain(random_between(&random_state, 0, live_chain_count - 1));
        if (random_between(&random_state, 0, 7) == 0) live_structure_move_heads();
        for (int index = 0; index < batch; index++) create_object(object_count++);
        for (int index = 0; index < batch; index++) change_object(random_between(&random_state, 0, object_count - 1));
        if (round % checkpoint_interval == checkpoint_interval - 1) {
            broken_at_checkpoints += objects_breaking_invariants(0);
            char when[32];
            snprintf(when, sizeof when, "round %d", round);
            broken_at_checkpoints += live_structure_damaged_chains(0, when);
        }
    }
    uint64_t collections_in_run = concurrent_collections() - collections_at_start;
    quiet_collections();

    CHECK(broken_at_checkpoints == 0,
          "no object to break its finalizer or weak-link contract at any checkpoint, and no live chain damaged; "
          "%zu did", broken_at_checkpoints);
    CHECK(runs_for_reachable == 0, "no finalizer to run for a reachable object, %d did", runs_for_reachable);
    CHECK(runs_after_cancel == 0, "no finalizer to run after it was removed, %d did", runs_after_cancel);
    CHECK(runs_with_bad_object == 0, "every finalizer to receive its own object, intact and live, %d did not",
          runs_with_bad_object);
    CHECK(short_link_still_set == 0, "every short link to be cleared before its target's finalizer runs, %d were not",
          short_link_still_set);
    CHECK(long_link_cleared_early == 0, "no long link to be cleared before its target's finalizer runs, %d were",
          long_link_cleared_early);
    size_t broken = objects_breaking_invariants(1);
    CHECK(broken == 0, "after the run: finalizers run at most once and only for dropped objects, links to "
          "reachable objects set, unregistered and vacated links untouched, set links to intact objects; "
          "%zu objects broke this", broken);
    size_t finalizable = count_where(is_dropped_finalizable), finalized = count_where(was_finalized_once);
    CHECK(finalized >= finalizable * 9 / 10, "at least 90%% of %zu dropped finalizable objects finalized, %zu were",
          finalizable, finalized);
    size_t linked = count_where(has_public_link_to_dropped), cleared = count_where(has_public_link_cleared);
    CHECK(cleared >= linked * 9 / 10, "at least 90%% of %zu dropped objects' registered links cleared, %zu were",
          linked, cleared);
    CHECK(gc_pending_finalizers() == 0, "no finalizer left queued after gc_run_finalizers, %zu are",
          gc_pending_finalizers());
    CHECK(live_structure_damaged_chains(1, "after the run") == 0, "the live structure intact after the run");
    CHECK(collections_in_run >= minimum_collections, "at least %d collections during the run, %" PRIu64 " completed",
          minimum_collections, collections_in_run);
    printf("%zu objects, %" PRIu64 " collections; %zu of %zu dropped finalizable objects finalized, "
           "links of %zu of %zu dropped objects cleared\n", object_count, collections_in_run, finalized, finalizable,
           cleared, linked);
    return check_finish();
}
