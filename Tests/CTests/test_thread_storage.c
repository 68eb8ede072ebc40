/*
 * test_thread_storage — __thread variables and blocked threads as roots.
 *
 * Each scenario keeps a linked list reachable only from one place: the
 * main thread's static TLS, another thread's static TLS, the dynamic TLS of
 * a dlopened library (for the main thread and for another thread), or the
 * stack of a thread blocked in read() or nanosleep() while other threads
 * collect. Lists are built in non-inlined functions, the stack is scrubbed,
 * collections run with garbage in between, then every node is checked.
 * For the TLS slots the test then clears the slot and checks the list is
 * reclaimed, which shows that the slot was what kept it.
 *
 * Last, a finished thread's result (returned, or passed to pthread_exit)
 * must stay alive until pthread_join: in between it is held only by the
 * exited thread's descriptor. A successful pthread_tryjoin_np or
 * pthread_timedjoin_np takes the result as pthread_join does: the result
 * survives until then and may be reclaimed after.
 */
#define _GNU_SOURCE
#include "check.h"
#include "garbage.h"

#include <dlfcn.h>
#include <libgen.h>
#include <pthread.h>
#include <sys/stat.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

enum { NODE_COUNT = 2000 };

typedef struct node { struct node *next; uint64_t value; } node;

static __thread node *static_slot;
static void (*library_set)(void *);
static void *(*library_get)(void);

/* Builds a list whose values derive from seed; remembers each node hidden. */
__attribute__((noinline)) static node *build_list(uint64_t seed, uintptr_t *hidden) {
    node *head = NULL;
    for (size_t index = 0; index < NODE_COUNT; index++) {
        node *fresh = gc_malloc(sizeof *fresh);
        fresh->value = seed * 1000003u + index;
        fresh->next = head;
        head = fresh;
        hide_address(hidden, index, fresh);
    }
    return head;
}

/* Whether the list holds exactly the values build_list gave it. */
static int list_is_intact(const node *head, uint64_t seed) {
    size_t index = NODE_COUNT;
    for (const node *cursor = head; cursor != NULL; cursor = cursor->next) {
        if (index == 0) return 0;
        index -= 1;
        if (cursor->value != seed * 1000003u + index) return 0;
    }
    return index == 0;
}

__attribute__((noinline)) static void fill_static_slot(uint64_t seed, uintptr_t *hidden) {
    static_slot = build_list(seed, hidden);
}

__attribute__((noinline)) static void fill_library_slot(uint64_t seed, uintptr_t *hidden) {
    library_set(build_list(seed, hidden));
}

__attribute__((noinline)) static void collect_amid_garbage(void) {
    for (int round = 0; round < 3; round++) {
        allocate_garbage(4 << 20);
        collect_with_clean_stack();
    }
}

/* ---- The main thread's static and dynamic TLS --------------------------- */

static void main_thread_static_tls(void) {
    uintptr_t *hidden = hidden_table_create(NODE_COUNT);
    fill_static_slot(11, hidden);
    scrub_stack();
    collect_amid_garbage();
    CHECK(list_is_intact(static_slot, 11), "a list held only by a __thread variable of the main thread to survive");
    static_slot = NULL;
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden, NODE_COUNT);
    CHECK(reclaimed >= NODE_COUNT * 9 / 10,
          "most of that list to be reclaimed once the variable is cleared, %zu of %d were", reclaimed, NODE_COUNT);
    hidden_table_destroy(hidden, NODE_COUNT);
}

static void main_thread_dynamic_tls(void) {
    uintptr_t *hidden = hidden_table_create(NODE_COUNT);
    fill_library_slot(12, hidden);
    scrub_stack();
    collect_amid_garbage();
    CHECK(list_is_intact(library_get(), 12),
          "a list held only by a dlopened library's __thread variable (main thread) to survive");
    library_set(NULL);
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden, NODE_COUNT);
    CHECK(reclaimed >= NODE_COUNT * 9 / 10,
          "most of that list to be reclaimed once the variable is cleared, %zu of %d were", reclaimed, NODE_COUNT);
    hidden_table_destroy(hidden, NODE_COUNT);
}

/* ---- Another thread's TLS, while it is blocked in read() ---------------- */

typedef struct {
    int use_library;
    int ready[2];     /* the thread writes a byte once its slot is filled */
    int resume[2];    /* the main thread writes a byte after collecting */
    int intact;
} blocked_reader;

static void *hold_in_tls_and_read(void *argument) {
    blocked_reader *reader = argument;
    uintptr_t *hidden = hidden_table_create(NODE_COUNT);
    uint64_t seed = reader->use_library ? 22 : 21;
    if (reader->use_library) fill_library_slot(seed, hidden); else fill_static_slot(seed, hidden);
    scrub_stack();
    char byte = 1;
    CHECK(write(reader->ready[1], &byte, 1) == 1, "to signal readiness");
    CHECK(read(reader->resume[0], &byte, 1) == 1, "to be resumed");
    reader->intact = list_is_intact(reader->use_library ? library_get() : static_slot, seed);
    hidden_table_destroy(hidden, NODE_COUNT);
    return NULL;
}

static void other_thread_tls(int use_library) {
    blocked_reader reader = { .use_library = use_library };
    CHECK(pipe(reader.ready) == 0 && pipe(reader.resume) == 0, "pipes");
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, hold_in_tls_and_read, &reader) == 0, "pthread_create to succeed");
    char byte;
    CHECK(read(reader.ready[0], &byte, 1) == 1, "the thread to fill its slot");
    collect_amid_garbage();   /* the thread is blocked in read() meanwhile */
    CHECK(write(reader.resume[1], &byte, 1) == 1, "to resume the thread");
    pthread_join(thread, NULL);
    CHECK(reader.intact, "a list held only by another thread's %s __thread variable, while it was blocked "
          "in read(), to survive", use_library ? "dlopened library's" : "static");
    close(reader.ready[0]); close(reader.ready[1]); close(reader.resume[0]); close(reader.resume[1]);
}

/* ---- A thread's stack, while it sleeps ---------------------------------- */

static volatile int sleeper_ready, collections_done;

static void *hold_on_stack_and_sleep(void *argument) {
    int *intact = argument;
    uintptr_t *hidden = hidden_table_create(NODE_COUNT);
    node *list = build_list(31, hidden);
    __atomic_store_n(&sleeper_ready, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&collections_done, __ATOMIC_ACQUIRE)) {
        struct timespec pause = { 0, 20 * 1000 * 1000 };
        nanosleep(&pause, NULL);
    }
    *intact = list_is_intact(list, 31);
    hidden_table_destroy(hidden, NODE_COUNT);
    return NULL;
}

static void sleeping_thread_stack(void) {
    int intact = 0;
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, hold_on_stack_and_sleep, &intact) == 0, "pthread_create to succeed");
    while (!__atomic_load_n(&sleeper_ready, __ATOMIC_ACQUIRE)) sched_yield();
    collect_amid_garbage();   /* the thread is (almost always) in nanosleep() */
    __atomic_store_n(&collections_done, 1, __ATOMIC_RELEASE);
    pthread_join(thread, NULL);
    CHECK(intact, "a list held only by the stack of a thread sleeping in nanosleep() to survive");
}

/* ---- A finished thread's result, before pthread_join -------------------- */

static volatile pid_t finishing_thread_id;

static void *return_a_list(void *use_pthread_exit) {
    uintptr_t *hidden = hidden_table_create(NODE_COUNT);
    node *list = build_list(41, hidden);
    hidden_table_destroy(hidden, NODE_COUNT);
    finishing_thread_id = gettid();
    if (use_pthread_exit) pthread_exit(list);
    return list;
}

static void result_before_join(int use_pthread_exit) {
    finishing_thread_id = 0;
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, return_a_list, use_pthread_exit ? (void *)1 : NULL) == 0,
          "pthread_create to succeed");
    /* Wait until the thread has really exited: its /proc entry goes away
     * when it is gone but not yet joined. */
    char path[64];
    struct stat status;
    while (finishing_thread_id == 0) sched_yield();
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)finishing_thread_id);
    while (stat(path, &status) == 0) sched_yield();
    collect_amid_garbage();
    void *result = NULL;
    pthread_join(thread, &result);
    CHECK(list_is_intact(result, 41), "the result of a finished thread (%s) to survive collections until "
          "pthread_join", use_pthread_exit ? "pthread_exit" : "returned");
}

/* Waits until the thread started with return_a_list has exited. */
static void wait_for_exit(void) {
    char path[64];
    struct stat status;
    while (finishing_thread_id == 0) sched_yield();
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)finishing_thread_id);
    while (stat(path, &status) == 0) sched_yield();
}

/* Joins with pthread_tryjoin_np (use_timed 0) or pthread_timedjoin_np,
 * checks the list, then points a weak link (in memory the collector does
 * not scan) at it and drops the result. */
__attribute__((noinline)) static void **join_nonportably(pthread_t thread, int use_timed, void **link) {
    collect_amid_garbage();
    void *result = NULL;
    int status;
    if (use_timed) {
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 10;
        status = pthread_timedjoin_np(thread, &result, &deadline);
    } else {
        status = pthread_tryjoin_np(thread, &result);
    }
    CHECK(status == 0, "%s of an exited thread to succeed (status %d)",
          use_timed ? "pthread_timedjoin_np" : "pthread_tryjoin_np", status);
    CHECK(list_is_intact(result, 41), "the result of a finished thread to survive collections until %s",
          use_timed ? "pthread_timedjoin_np" : "pthread_tryjoin_np");
    *link = result;
    CHECK(gc_register_weak_link(link, result) == SWIFTGC_SUCCESS, "the weak link to register");
    result = NULL;
    return link;
}

static void result_after_nonportable_join(int use_timed) {
    finishing_thread_id = 0;
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, return_a_list, NULL) == 0, "pthread_create to succeed");
    wait_for_exit();
    void **link = (void **)hidden_table_create(1);
    join_nonportably(thread, use_timed, link);
    for (int round = 0; round < 4 && *link != NULL; round++) collect_with_clean_stack();
    CHECK(*link == NULL, "a thread's result to be reclaimed once %s took it",
          use_timed ? "pthread_timedjoin_np" : "pthread_tryjoin_np");
    gc_unregister_weak_link(link);
    hidden_table_destroy((uintptr_t *)link, 1);
}

int main(int argc, char **argv) {
    (void)argc;
    char library_path[4096];
    snprintf(library_path, sizeof library_path, "%s/lib_tls.so", dirname(argv[0]));
    void *library = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    CHECK(library != NULL, "dlopen of %s to succeed: %s", library_path, library ? "" : dlerror());
    if (library == NULL) return check_finish();
    library_set = (void (*)(void *))dlsym(library, "tls_set");
    library_get = (void *(*)(void))dlsym(library, "tls_get");

    main_thread_static_tls();
    main_thread_dynamic_tls();
    other_thread_tls(0);
    other_thread_tls(1);
    sleeping_thread_stack();
    result_before_join(0);
    result_before_join(1);
    result_after_nonportable_join(0);
    result_after_nonportable_join(1);
    return check_finish();
}
