/*
 * test_concurrent_lifecycle — lifecycle events while collection cycles run.
 * With SWIFTGC_CONCURRENT=1 (concurrent.h), a 32 MiB live structure and
 * garbage allocated all the time, cycles run back to back; each round does
 * one random event, so events fall inside cycles:
 *   - fork (3 times): the child checks its copy, allocates until it has
 *     collected, collects, checks again and exits 0, or says what broke
 *     (alarm() reports a hang); the parent goes on and reaps it later;
 *   - threads: up to worker_slots at a time build a chain among garbage and
 *     hand it over as their result (return or pthread_exit, then a
 *     pthread_join perhaps many rounds later) or, detached, through a
 *     collected mailbox the main thread polls;
 *   - dlopen/dlclose: lib_roots.so's .bss and .data slots hold the only
 *     pointers to two chains; the library is closed (with or without
 *     clearing them first) and opened again;
 *   - gc_add_roots/gc_remove_roots: a chain's only pointer moves between
 *     three ranges (two mmap pages, one system-malloc block), each added
 *     before the pointer moves in and often removed after it moves out.
 * Every chain is checked at checkpoints and, with gc_base, at the end;
 * then a chain whose only pointer is in a removed range must be reclaimed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "check.h"
#include "concurrent.h"

enum {
    live_bytes = 32 << 20,
    rounds = 240,
    churn_per_round = 1 << 20,
    checkpoint_interval = 32,
    handed_length = 1500,
    worker_slots = 4,
    fork_count = 3,
    library_chain_length = 2000,
    range_count = 3,
    range_words = 512,           /* one page */
    range_chain_length = 2000,
    reclaim_chain_length = 4000,
    minimum_collections = 6,
};

static const char *const test_options[] = {
    "SWIFTGC_CONCURRENT=1", "SWIFTGC_INITIAL_HEAP=1M", "SWIFTGC_HEAP_GROWTH=25", NULL,
};

static uint64_t random_state;
static uint64_t next_key = 1;      /* keys of chains other than the live structure's */
static size_t damaged_total;       /* damaged chains seen at checkpoints */

static void note_damage(int is_whole, const char *what, int round) {
    if (is_whole) return;
    if (damaged_total++ < 5) printf("    round %d: %s damaged\n", round, what);
    fflush(stdout);
}

/* ---- Threads handing chains to the main thread ------------------------- */

struct mailbox {                   /* gc_malloc: its head field is scanned */
    struct live_node *head;
    atomic_int is_filled;
};

struct worker_task {               /* system malloc: holds no heap pointers */
    uint64_t key;
    uint64_t random;
    int by_result;                 /* 1: hand over as the thread's result */
    int by_exit;                   /* with by_result: pthread_exit, not return */
};

struct worker {
    pthread_t thread;
    int is_running;
    struct worker_task *task;
};

static struct worker workers[worker_slots];
static struct mailbox *mailboxes[worker_slots];        /* .bss: roots */
static struct live_node *received[worker_slots];        /* .bss: roots */
static uint64_t received_keys[worker_slots];
static int threads_created, chains_received;

static void *worker_body(void *argument) {
    struct worker_task *task = argument;
    size_t unclean = 0;
    concurrent_churn(&task->random, 128 << 10, &unclean);
    struct live_node *head = live_chain_build(task->key, handed_length);
    concurrent_churn(&task->random, 128 << 10, &unclean);
    if (!live_chain_is_whole(head, task->key, handed_length, 0) || unclean != 0) head = NULL;
    if (task->by_result && task->by_exit) pthread_exit(head);
    if (task->by_result) return head;
    struct mailbox *mailbox = mailboxes[task->key % worker_slots];
    mailbox->head = head;
    atomic_store_explicit(&mailbox->is_filled, 1, memory_order_release);
    return NULL;
}

static void receive(size_t slot, struct live_node *head) {
    received[slot] = head;
    received_keys[slot] = workers[slot].task->key;
    chains_received += 1;
    free(workers[slot].task);
    workers[slot].is_running = 0;
}

/* Starts a worker in a free slot, or takes the result of a running one. */
static void step_threads(int round) {
    size_t slot = random_between(&random_state, 0, worker_slots - 1);
    struct worker *worker = &workers[slot];
    if (!worker->is_running) {
        struct worker_task *task = malloc(sizeof *task);
        /* The key names the slot, so a detached worker finds its mailbox. */
        task->key = (next_key++ * worker_slots) + slot;
        task->random = random_next(&random_state);
        task->by_result = (int)random_between(&random_state, 0, 1);
        task->by_exit = (int)random_between(&random_state, 0, 1);
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        if (!task->by_result) {
            mailboxes[slot] = gc_malloc(sizeof(struct mailbox));
            pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        }
        worker->task = task;
        int created = pthread_create(&worker->thread, &attributes, worker_body, task);
        pthread_attr_destroy(&attributes);
        CHECK(created == 0, "pthread_create to succeed in round %d (error %d)", round, created);
        worker->is_running = created == 0;
        threads_created += created == 0;
    } else if (worker->task->by_result) {
        void *result = NULL;
        pthread_join(worker->thread, &result);
        receive(slot, result);
    } else if (atomic_load_explicit(&mailboxes[slot]->is_filled, memory_order_acquire)) {
        receive(slot, mailboxes[slot]->head);
        mailboxes[slot] = NULL;
    }
}

static void finish_threads(void) {
    for (size_t slot = 0; slot < worker_slots; slot++) {
        while (workers[slot].is_running) {
            step_threads(-1);
            if (workers[slot].is_running && !workers[slot].task->by_result) usleep(1000);
        }
    }
}

static int received_are_whole(int ask_collector) {
    int whole = 1;
    for (size_t slot = 0; slot < worker_slots; slot++) {
        if (received_keys[slot] != 0)
            whole &= live_chain_is_whole(received[slot], received_keys[slot], handed_length, ask_collector);
    }
    return whole;
}

/* ---- A library whose data segment holds the only pointers -------------- */

struct library {
    void *handle;
    void (*set_bss_pointer)(void *);
    void *(*get_bss_pointer)(void);
    void (*set_data_pointer)(void *);
    void *(*get_data_pointer)(void);
    uint64_t bss_key, data_key;
};

static struct library library;
static int library_opens;

static int library_open(void) {
    if ((library.handle = concurrent_open_roots_library()) == NULL) return 0;
    library.set_bss_pointer = (void (*)(void *))dlsym(library.handle, "roots_set_bss_pointer");
    library.get_bss_pointer = (void *(*)(void))dlsym(library.handle, "roots_get_bss_pointer");
    library.set_data_pointer = (void (*)(void *))dlsym(library.handle, "roots_set_data_pointer");
    library.get_data_pointer = (void *(*)(void))dlsym(library.handle, "roots_get_data_pointer");
    return library.set_bss_pointer && library.get_bss_pointer && library.set_data_pointer
        && library.get_data_pointer;
}

/* The chains are built here, so their heads do not stay in main's frame. */
__attribute__((noinline)) static void library_fill(void) {
    library.bss_key = next_key++ * worker_slots;
    library.data_key = next_key++ * worker_slots;
    library.set_bss_pointer(live_chain_build(library.bss_key, library_chain_length));
    library.set_data_pointer(live_chain_build(library.data_key, library_chain_length));
}

static int library_chains_are_whole(int ask_collector) {
    return live_chain_is_whole(library.get_bss_pointer(), library.bss_key, library_chain_length, ask_collector)
        && live_chain_is_whole(library.get_data_pointer(), library.data_key, library_chain_length, ask_collector);
}

static void step_library(int round) {
    if (library.handle == NULL) {
        int opened = library_open();
        CHECK(opened, "lib_roots.so next to the executable to load in round %d", round);
        if (opened) library_opens += 1, library_fill();
        return;
    }
    note_damage(library_chains_are_whole(0), "a chain held by the library's data segment", round);
    if (random_between(&random_state, 0, 2) != 0) return;
    if (random_between(&random_state, 0, 1)) {
        library.set_bss_pointer(NULL);
        library.set_data_pointer(NULL);
    }
    CHECK(dlclose(library.handle) == 0, "dlclose to succeed in round %d", round);
    library.handle = NULL;
}

/* ---- Root ranges taking turns holding the only pointer ----------------- */

struct range {
    void **words;                  /* range_words words, not scanned unless registered */
    int is_registered;
};

static struct range ranges[range_count];
static size_t holding_range, holding_word;   /* where the chain's only pointer is */
static uint64_t range_chain_key;
static int range_moves, range_removals;

static void range_register(struct range *range) {
    if (range->is_registered) return;
    gc_add_roots(range->words, range->words + range_words);
    range->is_registered = 1;
}

static void range_unregister(struct range *range) {
    gc_remove_roots(range->words, range->words + range_words);
    range->is_registered = 0;
    range_removals += 1;
}

__attribute__((noinline)) static void range_fill(void) {
    range_chain_key = next_key++ * worker_slots;
    ranges[holding_range].words[holding_word] = live_chain_build(range_chain_key, range_chain_length);
}

static void ranges_create(void) {
    ranges[0].words = concurrent_guarded_page();
    ranges[1].words = concurrent_guarded_page();
    ranges[2].words = calloc(range_words, sizeof(void *));
    if (ranges[2].words == NULL) abort();
    range_register(&ranges[0]);
    range_fill();
}

static int range_chain_is_whole(int ask_collector) {
    return live_chain_is_whole(ranges[holding_range].words[holding_word], range_chain_key, range_chain_length,
                               ask_collector);
}

/* Moves the pointer to another range: add the new one, store, clear the
 * old, and usually remove the old; or replaces the chain in place. */
static void step_ranges(int round) {
    note_damage(range_chain_is_whole(0), "the chain held by a gc_add_roots range", round);
    if (random_between(&random_state, 0, 4) == 0) {
        range_fill();
        return;
    }
    size_t target = (holding_range + random_between(&random_state, 1, range_count - 1)) % range_count;
    size_t word = random_between(&random_state, 0, range_words - 1);
    range_register(&ranges[target]);
    ranges[target].words[word] = ranges[holding_range].words[holding_word];
    ranges[holding_range].words[holding_word] = NULL;
    if (random_between(&random_state, 0, 3) != 0) range_unregister(&ranges[holding_range]);
    holding_range = target;
    holding_word = word;
    range_moves += 1;
}

/* ---- fork ----------------------------------------------------------------- */

static pid_t children[fork_count];
static int forks_done;

static int everything_is_whole(int ask_collector, const char *when) {
    return live_structure_damaged_chains(ask_collector, when) == 0 && received_are_whole(ask_collector)
        && range_chain_is_whole(ask_collector) && (library.handle == NULL || library_chains_are_whole(ask_collector));
}

/* The child's whole life: exit status 0 if its copy stayed intact while it
 * allocated, collected in the background and collected on demand. */
static int child_life(uint64_t random) {
    alarm(10);
    if (!everything_is_whole(0, "child after fork")) return 1;
    uint64_t before = concurrent_collections();
    size_t unclean = 0;
    concurrent_churn(&random, live_bytes / 2, &unclean);
    live_structure_rebuild_chain(random_between(&random, 0, live_chain_count - 1));
    if (!everything_is_whole(0, "child after allocating")) return 2;
    gc_collect();
    if (!everything_is_whole(1, "child after gc_collect")) return 3;
    if (concurrent_collections() <= before) return 4;
    return unclean == 0 ? 0 : 5;
}

static void step_fork(int round) {
    fflush(stdout);
    uint64_t child_random = random_next(&random_state);
    pid_t child = fork();
    if (child == 0) _exit(child_life(child_random));
    CHECK(child > 0, "fork to succeed in round %d", round);
    children[forks_done++] = child;
}

static void reap_children(int should_wait) {
    for (int index = 0; index < forks_done; index++) {
        if (children[index] <= 0) continue;
        int status = 0;
        pid_t reaped = waitpid(children[index], &status, should_wait ? 0 : WNOHANG);
        if (reaped != children[index]) continue;
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "child %d forked during cycles to exit 0 (1-3: its copy was damaged after fork, after "
              "allocating, after gc_collect; 4: it never collected; 5: unclean failures; "
              "SIGALRM: it hung), wait status 0x%x", index, status);
        children[index] = 0;
    }
}

/* For the end: a chain whose only pointer is in a range that is removed. */
__attribute__((noinline)) static void fill_range_then_remove(struct range *range, uintptr_t *hidden) {
    range_register(range);
    struct live_node *head = live_chain_build(next_key++ * worker_slots, reclaim_chain_length);
    range->words[0] = head;
    size_t index = 0;
    for (struct live_node *node = head; node != NULL; node = node->next) hide_address(hidden, index++, node);
    range_unregister(range);
}

/* ---- The run ------------------------------------------------------------- */

int main(int argc, char **argv) {
    uint64_t seed = concurrent_test_begin(&argc, &argv, test_options);
    random_state = seed;
    int fork_rounds[fork_count];
    for (int index = 0; index < fork_count; index++)
        fork_rounds[index] = (int)random_between(&random_state, 1, rounds - 1);

    live_structure_build(seed, live_bytes);
    ranges_create();
    uint64_t collections_at_start = concurrent_collections();
    for (int round = 0; round < rounds; round++) {
        concurrent_churn(&random_state, churn_per_round, NULL);
        live_structure_rebuild_chain(random_between(&random_state, 0, live_chain_count - 1));
        if (random_between(&random_state, 0, 7) == 0) live_structure_move_heads();
        for (int index = 0; index < fork_count; index++)
            if (fork_rounds[index] == round) step_fork(round);
        switch (random_next(&random_state) % 3) {
        case 0: step_threads(round); break;
        case 1: step_library(round); break;
        default: step_ranges(round); break;
        }
        reap_children(0);
        if (round % checkpoint_interval == checkpoint_interval - 1) {
            char when[32];
            snprintf(when, sizeof when, "round %d", round);
            note_damage(live_structure_damaged_chains(0, when) == 0, "the live structure", round);
            note_damage(received_are_whole(0), "a chain handed over by a thread", round);
        }
    }
    finish_threads();
    reap_children(1);
    uint64_t collections_in_run = concurrent_collections() - collections_at_start;

    collect_with_clean_stack();
    CHECK(damaged_total == 0, "no chain damaged at any checkpoint during the run, %zu were", damaged_total);
    CHECK(everything_is_whole(1, "after the run"),
          "the live structure and every handed-over, library-held and range-held chain intact after the run");
    CHECK(collections_in_run >= minimum_collections,
          "at least %d collections during the run, %" PRIu64 " completed", minimum_collections, collections_in_run);
    CHECK(forks_done == fork_count && threads_created >= 20 && chains_received >= 10 && library_opens >= 10
              && range_moves >= 20 && range_removals >= 10,
          "every kind of event to happen often: %d forks, %d threads, %d chains received, %d dlopens, "
          "%d range moves, %d range removals", forks_done, threads_created, chains_received, library_opens,
          range_moves, range_removals);

    /* A cycle already running when the range went may keep it once. */
    uintptr_t *hidden = hidden_table_create(reclaim_chain_length);
    struct range removed = { concurrent_guarded_page(), 0 };
    fill_range_then_remove(&removed, hidden);
    collect_with_clean_stack();
    size_t reclaimed_after_one = count_reclaimed(hidden, reclaim_chain_length);
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden, reclaim_chain_length);
    CHECK(reclaimed >= reclaim_chain_length * 9 / 10,
          "at least 90%% of a chain held only by a removed range reclaimed, %zu of %d were", reclaimed,
          reclaim_chain_length);
    printf("%" PRIu64 " collections, %d forks, %d threads, %d dlopens, %d range moves; of %d nodes held by a "
           "removed range, %zu reclaimed after one gc_collect, %zu after two\n", collections_in_run, forks_done,
           threads_created, library_opens, range_moves, reclaim_chain_length, reclaimed_after_one, reclaimed);
    return check_finish();
}
