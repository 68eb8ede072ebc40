/*
 * test_hiding_mutator — live objects survive while the only pointer to each
 * keeps moving between every kind of root and heap location, while another
 * thread forces collections at random moments and allocation triggers
 * more. A concurrent collector loses data this way (it scans a place before
 * the pointer arrives and the old place after it has left); a stop-the-world
 * one must pass too, which checks that it finds every root of every thread.
 *
 * Each mutator thread owns cargos (cargo.h): short linked lists of nodes whose
 * every word derives from their identity (now and then a node is a large
 * object). The only pointer to a cargo sits in one place at a time: a slot
 * of the mutator's stack frame; a local carried in registers across noinline
 * calls that spin and allocate; a field of an old object (held by a global);
 * a field of an object freshly allocated for the move (held by the old one);
 * a global; a __thread variable (the main thread is a mutator too: its static
 * TLS lies outside its stack, other threads' inside theirs); a system-malloc
 * block registered with gc_add_roots. A move writes the pointer into its new
 * place by assignment, by libc's memcpy or memmove (called through pointers,
 * so the calls are real), or by read(2) from a pipe it was written into from
 * the old place; then it clears the old place.
 *
 * Every cargo is walked every check_interval moves and after two last
 * collections. A reclaimed node is no longer a live object for gc_base, or,
 * once its memory is reused, has lost its pattern. The walk asks gc_base and
 * gc_size before it reads a node, so a lost cargo is reported, with the
 * places it went through since its last good walk, then rebuilt.
 *
 * Seeded: SWIFTGC_TEST_SEED (or argv[1]) replays a run's choices (not the
 * threads' interleaving); otherwise the seed comes from the clock. It is
 * printed either way.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cargo.h"
#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum {
    mutator_count = 4,
    cargos_per_mutator = 12,
    nodes_per_cargo = 5,
    moves_per_mutator = 150000,
    check_interval = 48,
    failures_printed_per_mutator = 4,
    time_limit_seconds = 6,
};

enum place {
    place_stack, place_register, place_old_field, place_fresh_object,
    place_global, place_thread_local, place_added_roots, place_count
};
static const char *const place_names[place_count] = {
    "stack slot", "register", "old object's field", "fresh object's field",
    "global", "__thread variable", "gc_add_roots range"
};

enum method { method_assignment, method_memcpy, method_memmove, method_pipe, method_count };
static const char *const method_names[method_count] = { "assignment", "memcpy", "memmove", "read(2) from a pipe" };

/* The old object: a field per cargo, and each cargo's fresh object. */
struct old_object {
    void *field[cargos_per_mutator];
    void **fresh[cargos_per_mutator];
};

/* In system-malloc memory, so nothing here is a root. */
struct mutator {
    int index;
    uint64_t random_state;
    void **stack_slots;          /* an array in the mutator's frame */
    void **added_roots;          /* this mutator's part of the gc_add_roots block */
    int pipe_ends[2];
    enum place place_of[cargos_per_mutator];
    unsigned visited[cargos_per_mutator]; /* place bits since the last good walk */
    size_t fresh_word[cargos_per_mutator];
    uint64_t generation[cargos_per_mutator];
    uint64_t arrivals[place_count], transfers[method_count];
    uint64_t moves, walks, failures, pipe_errors;
};

static struct mutator *mutators[mutator_count];
static struct old_object *old_objects[mutator_count];
static void *global_slots[mutator_count][cargos_per_mutator];
static __thread void *thread_slots[cargos_per_mutator];
static void *(*volatile copy_function)(void *, const void *, size_t) = memcpy;
static void *(*volatile move_function)(void *, const void *, size_t) = memmove;
static atomic_int mutators_running, moves_stop;
static atomic_uint_fast64_t forced_collections;
static pthread_barrier_t final_barrier;
static double deadline;

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void **slot_of(struct mutator *mutator, enum place place, int cargo) {
    switch (place) {
    case place_stack: return &mutator->stack_slots[cargo];
    case place_old_field: return &old_objects[mutator->index]->field[cargo];
    case place_fresh_object: return old_objects[mutator->index]->fresh[cargo] + mutator->fresh_word[cargo];
    case place_global: return &global_slots[mutator->index][cargo];
    case place_thread_local: return &thread_slots[cargo];
    case place_added_roots: return &mutator->added_roots[cargo];
    default: abort();
    }
}

__attribute__((noinline)) static struct cargo_node *build_cargo(struct mutator *mutator, int cargo) {
    mutator->visited[cargo] = 1u << mutator->place_of[cargo];
    return cargo_build((unsigned)mutator->index, (unsigned)cargo, ++mutator->generation[cargo], nodes_per_cargo);
}

static void print_failure(struct mutator *mutator, int cargo, const char *when, unsigned index,
                          const struct cargo_node *node, const char *fault) {
    char places[256] = "";
    for (int place = 0; place < place_count; place++) {
        if (!(mutator->visited[cargo] & 1u << place)) continue;
        if (places[0]) strcat(places, ", ");
        strcat(places, place_names[place]);
    }
    printf("FAIL %s: mutator %d cargo %d (generation %llu; in the %s now, since its last good walk in: %s): "
           "node %u at %p %s\n", when, mutator->index, cargo, (unsigned long long)mutator->generation[cargo],
           place_names[mutator->place_of[cargo]], places, index, (const void *)node, fault);
    fflush(stdout);
}

/* Walks the cargo; reports the first fault and rebuilds the cargo in place. */
__attribute__((noinline)) static void walk_cargo(struct mutator *mutator, int cargo, const char *when) {
    void **slot = slot_of(mutator, mutator->place_of[cargo], cargo);
    unsigned index;
    const struct cargo_node *node;
    const char *fault = cargo_fault(*slot, (unsigned)mutator->index, (unsigned)cargo, mutator->generation[cargo],
                                    nodes_per_cargo, &index, &node);
    mutator->walks += 1;
    if (fault == NULL) {
        mutator->visited[cargo] = 1u << mutator->place_of[cargo];
        return;
    }
    if (mutator->failures++ < failures_printed_per_mutator) print_failure(mutator, cargo, when, index, node, fault);
    *slot = build_cargo(mutator, cargo);
}

/* Garbage: a few short lists of 32-byte nodes, sometimes a bigger block. */
__attribute__((noinline)) static void make_garbage(struct mutator *mutator) {
    for (int list = (int)random_between(&mutator->random_state, 1, 4); list > 0; list--) {
        void **head = NULL;
        for (int length = (int)random_between(&mutator->random_state, 1, 6); length > 0; length--) {
            void **fresh = gc_malloc(32);
            if (fresh == NULL) abort();
            fresh[0] = head;
            head = fresh;
        }
    }
    if (random_next(&mutator->random_state) % 16 == 0) {
        size_t size = random_between(&mutator->random_state, 512, 16384);
        void *block = gc_malloc_atomic(size);
        if (block == NULL) abort();
        memset(block, 0xa5, size);
    }
}

__attribute__((noinline)) static void spin(uint64_t iterations) {
    for (volatile uint64_t count = 0; count < iterations; count++) {}
}

__attribute__((noinline)) static void drop_fresh_object(struct mutator *mutator, int cargo) {
    old_objects[mutator->index]->fresh[cargo] = NULL;
}

/* Takes the pointer out of its place and returns it after carrying it in a
 * register only, across calls that spin (when another thread's collection
 * may stop this one) and allocate (when this thread may collect). */
__attribute__((noinline)) static void *carry_in_registers(struct mutator *mutator, int cargo, void **source) {
    void *held = *(void *volatile *)source;
    *(void *volatile *)source = NULL;
    if (mutator->place_of[cargo] == place_fresh_object) drop_fresh_object(mutator, cargo);
    for (int round = (int)random_between(&mutator->random_state, 1, 3); round > 0; round--) {
        __asm__ volatile("" : "+r"(held));
        spin(random_between(&mutator->random_state, 100, 4000));
        __asm__ volatile("" : "+r"(held));
        make_garbage(mutator);
    }
    __asm__ volatile("" : "+r"(held));
    return held;
}

/* Where a cargo arriving in `place` goes. A fresh object is allocated now,
 * while the pointer still sits in its old place. */
__attribute__((noinline)) static void **prepare_destination(struct mutator *mutator, enum place place, int cargo) {
    if (place == place_fresh_object) {
        size_t size = random_between(&mutator->random_state, 16, 512);
        void **fresh = gc_malloc(size);
        if (fresh == NULL) abort();
        old_objects[mutator->index]->fresh[cargo] = fresh;
        mutator->fresh_word[cargo] = random_between(&mutator->random_state, 0, size / 8 - 1);
    }
    return slot_of(mutator, place, cargo);
}

__attribute__((noinline)) static void transfer(struct mutator *mutator, enum method method, void **destination,
                                               void **source) {
    switch (method) {
    case method_assignment: *(void *volatile *)destination = *(void *volatile *)source; break;
    case method_memcpy: copy_function(destination, source, sizeof(void *)); break;
    case method_memmove: move_function(destination, source, sizeof(void *)); break;
    default:
        if (write(mutator->pipe_ends[1], source, sizeof(void *)) != sizeof(void *)
            || read(mutator->pipe_ends[0], destination, sizeof(void *)) != sizeof(void *)) {
            /* A collector that write-protects pages must not make read(2) fail. */
            mutator->pipe_errors += 1;
            *(void *volatile *)destination = *(void *volatile *)source;
        }
    }
}

static enum place choose_place(struct mutator *mutator, enum place other_than, int allows_register) {
    while (1) {
        enum place place = (enum place)random_between(&mutator->random_state, 0, place_count - 1);
        if (place != other_than && (allows_register || place != place_register)) return place;
    }
}

__attribute__((noinline)) static void move_cargo(struct mutator *mutator, int cargo) {
    enum place from = mutator->place_of[cargo];
    enum place to = choose_place(mutator, from, 1);
    void **source = slot_of(mutator, from, cargo);
    void *held;
    if (to == place_register) {
        mutator->arrivals[place_register] += 1;
        mutator->visited[cargo] |= 1u << place_register;
        held = carry_in_registers(mutator, cargo, source);
        source = &held;
        from = place_register;
        to = choose_place(mutator, place_register, 0);
    }
    void **destination = prepare_destination(mutator, to, cargo);
    enum method method = (enum method)random_between(&mutator->random_state, 0, method_count - 1);
    transfer(mutator, method, destination, source);
    *(void *volatile *)source = NULL;
    if (from == place_fresh_object) drop_fresh_object(mutator, cargo);
    mutator->place_of[cargo] = to;
    mutator->visited[cargo] |= 1u << to;
    mutator->arrivals[to] += 1;
    mutator->transfers[method] += 1;
    mutator->moves += 1;
}

__attribute__((noinline)) static void run_mutator(struct mutator *mutator) {
    old_objects[mutator->index] = gc_malloc(sizeof(struct old_object));
    for (int cargo = 0; cargo < cargos_per_mutator; cargo++) {
        enum place place = (enum place)(cargo % place_count);
        mutator->place_of[cargo] = place == place_register ? place_stack : place;
        void **slot = prepare_destination(mutator, mutator->place_of[cargo], cargo);
        *slot = build_cargo(mutator, cargo);
    }
    for (int move = 0; move < moves_per_mutator && !atomic_load(&moves_stop); move++) {
        int cargo = (int)random_between(&mutator->random_state, 0, cargos_per_mutator - 1);
        move_cargo(mutator, cargo);
        make_garbage(mutator);
        if (random_next(&mutator->random_state) % 64 == 0) {
            /* A new cargo replaces this one; the old one becomes garbage. */
            walk_cargo(mutator, cargo, "before replacement");
            *slot_of(mutator, mutator->place_of[cargo], cargo) = build_cargo(mutator, cargo);
        }
        if (move % check_interval == check_interval - 1) {
            for (int each = 0; each < cargos_per_mutator; each++) walk_cargo(mutator, each, "periodic walk");
            if (now_seconds() > deadline) atomic_store(&moves_stop, 1);
        }
    }
    atomic_fetch_sub(&mutators_running, 1);
    pthread_barrier_wait(&final_barrier); /* the collector thread collects twice in between */
    pthread_barrier_wait(&final_barrier);
    for (int cargo = 0; cargo < cargos_per_mutator; cargo++) walk_cargo(mutator, cargo, "final walk");
}

/* The stack slots live in this frame, below which everything else runs. */
static void *mutator_main(void *argument) {
    struct mutator *mutator = argument;
    void *volatile stack_slots[cargos_per_mutator] = { 0 };
    mutator->stack_slots = (void **)stack_slots;
    run_mutator(mutator);
    __asm__ volatile("" : : "r"(stack_slots) : "memory");
    return NULL;
}

/* Forces collections at random moments while the mutators move cargos,
 * then the last two, between the final barriers. */
/* test_hiding_mutator_concurrent.c defines HIDING_CONCURRENT: the same moves
 * while mostly-concurrent cycles mark beside them (SWIFTGC_CONCURRENT=1),
 * with a ballast of live nodes so that each cycle's marking lasts long
 * enough to overlap many moves, and forced collections (which finish a
 * running cycle) far apart so that most cycles end by themselves. */
#ifdef HIDING_CONCURRENT
enum { forced_pause_max_microseconds = 150000, ballast_bytes = 48 << 20, forced_minimum = 3 };
#else
enum { forced_pause_max_microseconds = 2000, ballast_bytes = 0, forced_minimum = 20 };
#endif
static void **ballast;

static void *collector_main(void *argument) {
    uint64_t random_state = *(uint64_t *)argument;
    while (atomic_load(&mutators_running) > 0) {
        long pause_microseconds = (long)random_between(&random_state, 0, forced_pause_max_microseconds);
        struct timespec pause = { pause_microseconds / 1000000, pause_microseconds % 1000000 * 1000 };
        nanosleep(&pause, NULL);
        gc_collect();
        atomic_fetch_add(&forced_collections, 1);
    }
    pthread_barrier_wait(&final_barrier);
    allocate_garbage(1 << 20);
    gc_collect();
    gc_collect();
    atomic_fetch_add(&forced_collections, 2);
    pthread_barrier_wait(&final_barrier);
    return NULL;
}

static uint64_t choose_seed(int argc, char **argv) {
    const char *text = argc > 1 ? argv[1] : getenv("SWIFTGC_TEST_SEED");
    uint64_t seed = text ? strtoull(text, NULL, 0) : 0;
    if (seed == 0) seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
    /* Not an option of the collector: keep it from reporting an unknown one. */
    unsetenv("SWIFTGC_TEST_SEED");
    return seed;
}

int main(int argc, char **argv) {
    uint64_t seed = choose_seed(argc, argv);
    printf("test_hiding_mutator: seed %llu (replay with SWIFTGC_TEST_SEED=%llu)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    fflush(stdout);
    /* A small budget (unless set), so that allocation triggers collections too. */
    setenv("SWIFTGC_INITIAL_HEAP", "256K", 0);
#ifdef HIDING_CONCURRENT
    setenv("SWIFTGC_CONCURRENT", "1", 1);
#endif
    for (long made = 0; made < (long)ballast_bytes; made += 32) {
        void **node = gc_malloc(32);
        node[0] = ballast;
        ballast = node;
    }
    deadline = now_seconds() + time_limit_seconds;

    size_t added_count = mutator_count * cargos_per_mutator;
    void **added_roots = calloc(added_count, sizeof(void *));
    gc_add_roots(added_roots, added_roots + added_count);
    for (int index = 0; index < mutator_count; index++) {
        struct mutator *mutator = calloc(1, sizeof *mutator);
        if (mutator == NULL || pipe(mutator->pipe_ends) != 0) abort();
        mutator->index = index;
        mutator->random_state = seed + (uint64_t)index * 0x9e3779b97f4a7c15u;
        mutator->added_roots = added_roots + index * cargos_per_mutator;
        mutators[index] = mutator;
    }
    struct gc_stats before, after;
    gc_get_stats(&before);
    atomic_store(&mutators_running, mutator_count);
    pthread_barrier_init(&final_barrier, NULL, mutator_count + 1);
    uint64_t collector_seed = seed ^ 0x5bd1e995u;
    pthread_t collector, threads[mutator_count];
    CHECK(pthread_create(&collector, NULL, collector_main, &collector_seed) == 0, "pthread_create to succeed");
    for (int index = 1; index < mutator_count; index++) {
        CHECK(pthread_create(&threads[index], NULL, mutator_main, mutators[index]) == 0, "pthread_create to succeed");
    }
    mutator_main(mutators[0]); /* the main thread is mutator 0 */
    for (int index = 1; index < mutator_count; index++) pthread_join(threads[index], NULL);
    pthread_join(collector, NULL);
    gc_get_stats(&after);

    struct mutator total = { 0 };
    for (int index = 0; index < mutator_count; index++) {
        struct mutator *mutator = mutators[index];
        total.moves += mutator->moves, total.walks += mutator->walks, total.failures += mutator->failures;
        total.pipe_errors += mutator->pipe_errors;
        for (int place = 0; place < place_count; place++) total.arrivals[place] += mutator->arrivals[place];
        for (int method = 0; method < method_count; method++) total.transfers[method] += mutator->transfers[method];
    }
    uint64_t collections = after.collections - before.collections, forced = atomic_load(&forced_collections);
    printf("test_hiding_mutator: %llu moves by %d mutators, %llu cargo walks, %llu collections "
           "(%llu forced by another thread, the rest triggered by allocation)%s\n",
           (unsigned long long)total.moves, mutator_count, (unsigned long long)total.walks,
           (unsigned long long)collections,
           (unsigned long long)forced, atomic_load(&moves_stop) ? "; stopped early at the time limit" : "");
    CHECK(total.failures == 0, "every cargo intact at every walk, %llu of %llu walks failed (seed %llu)",
          (unsigned long long)total.failures, (unsigned long long)total.walks, (unsigned long long)seed);
    CHECK(total.pipe_errors == 0, "every write and read(2) of a pointer through a pipe to move 8 bytes, "
          "%llu did not", (unsigned long long)total.pipe_errors);
    for (int place = 0; place < place_count; place++) {
        CHECK(total.arrivals[place] > 0, "some cargo to be moved to a %s", place_names[place]);
    }
    for (int method = 0; method < method_count; method++) {
        CHECK(total.transfers[method] > 0, "some cargo to be moved by %s", method_names[method]);
    }
#ifndef HIDING_CONCURRENT
    /* (Concurrent cycles outlast the moves between forced collections.) */
    CHECK(collections > forced, "collections triggered by allocation as well as the %llu forced ones, %llu in all",
          (unsigned long long)forced, (unsigned long long)collections);
#endif
    CHECK(forced >= forced_minimum, "at least %d collections forced while cargos moved, %llu were", forced_minimum,
          (unsigned long long)forced);
#ifdef HIDING_CONCURRENT
    /* Kernels without userfaultfd's asynchronous write-protection (before
     * 6.7) collect stop-the-world; the moves are checked all the same. */
    /* Under SWIFTGC_STRESS (make test-stress) a stop-the-world collection
     * every few thousand allocations leaves no cycle time to start. */
    if (getenv("SWIFTGC_STRESS") != NULL) {
        printf("skipped under SWIFTGC_STRESS: concurrent cycles having run\n");
    } else if (strcmp(gc_dirty_pages_backend(), "uffd") == 0) {
        CHECK(gc_concurrent_cycles() > 0, "concurrent cycles to have run (uffd available), %llu did",
              (unsigned long long)gc_concurrent_cycles());
    } else {
        printf("skipped: no concurrent cycles without the uffd backend (this kernel has %s)\n",
               gc_dirty_pages_backend());
    }
#endif
    gc_remove_roots(added_roots, added_roots + added_count);
    return check_finish();
}
