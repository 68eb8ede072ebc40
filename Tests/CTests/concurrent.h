/*
 * concurrent.h — what the test_concurrent_* programs share: running with
 * SWIFTGC_CONCURRENT=1, a printed seed behind every random choice, a big
 * live structure whose damage shows, and a stream of garbage that keeps
 * collection cycles coming back to back, so that whatever the test does in
 * between is likely to happen while a cycle is marking or sweeping.
 *
 * Start-up (concurrent_test_begin). The collector reads its options at its
 * first call, so the program sets them and executes itself again before it
 * allocates anything:
 *   - SWIFTGC_CONCURRENT=1 and the test's other options, each only if the
 *     environment does not set it already, so SWIFTGC_CONCURRENT=0 runs the
 *     same test stop-the-world;
 *   - the seed: SWIFTGC_TEST_SEED if set, else one from the clock. It goes
 *     on the new command line and SWIFTGC_TEST_SEED leaves the environment,
 *     because the collector warns about SWIFTGC_ names it does not know.
 * A library without concurrent collection warns once, "ignoring unknown
 * option SWIFTGC_CONCURRENT", and collects stop-the-world; the tests pass
 * either way and never count that line as one of theirs.
 *
 * The live structure is live_chain_count chains of 24-byte nodes (32-byte
 * slots) whose heads sit in one collected array:
 *
 *   live_heads (gc_malloc) ──► node 0 ──next──► node 1 ──next──► node 2 ──► … ──► NULL
 *                                ▲  ▲             │other           │other
 *                                │  └─────────────┘                │
 *                                └─────────────────────────────────┘  (node i: other = node i / 2)
 *
 * Each node's check word is a function of (key, i), the key naming the
 * chain and its generation; a node whose memory was reclaimed and reused
 * no longer matches, and walking stops there instead of following it.
 */
#ifndef SWIFTGC_TESTS_CONCURRENT_H
#define SWIFTGC_TESTS_CONCURRENT_H

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "garbage.h"
#include "swiftgc.h"

/* ---- Start-up ------------------------------------------------------------ */

static const char concurrent_reexecuted_flag[] = "--reexecuted-with-seed";

/* Sets the options and executes the program again; in the re-executed
 * program, takes the seed off the command line and returns it. options is
 * a NULL-terminated list of "NAME=value" entries set when NAME is unset. */
static inline uint64_t concurrent_test_begin(int *argc, char ***argv, const char *const options[]) {
    char **arguments = *argv;
    if (*argc >= 3 && strcmp(arguments[1], concurrent_reexecuted_flag) == 0) {
        uint64_t seed = strtoull(arguments[2], NULL, 10);
        arguments[2] = arguments[0];
        *argv = arguments + 2;
        *argc -= 2;
        const char *concurrent = getenv("SWIFTGC_CONCURRENT");
        printf("seed %" PRIu64 " (SWIFTGC_TEST_SEED=%" PRIu64 " repeats it); SWIFTGC_CONCURRENT=%s"
               " SWIFTGC_VERIFY=%s\n", seed, seed, concurrent ? concurrent : "(unset)",
               getenv("SWIFTGC_VERIFY") ? getenv("SWIFTGC_VERIFY") : "0");
        fflush(stdout);
        return seed;
    }
    const char *given = getenv("SWIFTGC_TEST_SEED");
    uint64_t seed = given ? strtoull(given, NULL, 10)
                          : ((uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid()) % 1000000000u;
    unsetenv("SWIFTGC_TEST_SEED");
    for (int index = 0; options[index] != NULL; index++) {
        char name[64];
        const char *equals = strchr(options[index], '=');
        size_t length = (size_t)(equals - options[index]);
        memcpy(name, options[index], length);
        name[length] = '\0';
        setenv(name, equals + 1, 0);
    }
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
    char **new_arguments = calloc((size_t)*argc + 3, sizeof *new_arguments);
    new_arguments[0] = arguments[0];
    new_arguments[1] = (char *)concurrent_reexecuted_flag;
    new_arguments[2] = seed_text;
    for (int index = 1; index < *argc; index++) new_arguments[index + 2] = arguments[index];
    fflush(stdout);
    execv("/proc/self/exe", new_arguments);
    perror("execv /proc/self/exe");
    exit(127);
}

/* True for a line the test itself must not count: the warning of a
 * library that predates SWIFTGC_CONCURRENT. */
static inline int concurrent_line_is_unknown_option_warning(const char *line) {
    static const char warning[] = "swiftgc: ignoring unknown option SWIFTGC_CONCURRENT";
    return strncmp(line, warning, sizeof warning - 1) == 0;
}

/* Counts the lines of text that start with "swiftgc:", not counting the
 * unknown-option warning, and prints each one indented. */
static inline int concurrent_count_collector_lines(const char *text) {
    int count = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "swiftgc:", 8) == 0 && !concurrent_line_is_unknown_option_warning(line)) {
            count += 1;
            printf("    stderr: %.*s\n", (int)length, line);
        }
        line += length + (end ? 1 : 0);
    }
    return count;
}

static inline uint64_t concurrent_collections(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.collections;
}

/* ---- Memory and libraries the tests use as roots ----------------------- */

/* A page of its own between two inaccessible ones. An anonymous mapping
 * that happened to start where a library's data segment ends would be
 * scanned as that library's .bss, registered or not; and when this page is
 * unmapped, no other mapping merges with it. */
static inline void **concurrent_guarded_page(void) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *reservation = mmap(NULL, 3 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (reservation == MAP_FAILED || mprotect(reservation + page, page, PROT_READ | PROT_WRITE) != 0) abort();
    return (void **)(reservation + page);
}

/* dlopens lib_roots.so from next to this executable; NULL (and a line on
 * stdout) if that fails. */
static inline void *concurrent_open_roots_library(void) {
    char executable[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length <= 0) return NULL;
    executable[length] = '\0';
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/lib_roots.so", dirname(executable));
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) printf("    dlopen %s: %s\n", path, dlerror());
    return handle;
}

/* ---- Chains of nodes ------------------------------------------------------ */

struct live_node {
    struct live_node *next;   /* node index + 1; NULL after the last */
    struct live_node *other;  /* node index / 2; NULL in node 0 */
    uint64_t check;           /* live_check(key, index) */
};

static inline uint64_t live_check(uint64_t key, uint64_t index) {
    uint64_t state = key * 0x9e3779b97f4a7c15u ^ index;
    return random_next(&state);
}

/* Builds a chain of length nodes for key; NULL if an allocation failed. */
__attribute__((noinline, unused)) static struct live_node *live_chain_build(uint64_t key, size_t length) {
    struct live_node *head = NULL, *tail = NULL, *half = NULL;
    for (size_t index = 0; index < length; index++) {
        struct live_node *node = gc_malloc(sizeof *node);
        if (node == NULL) return NULL;
        node->check = live_check(key, index);
        if (index == 0) {
            head = half = node;
        } else {
            if (index >= 2 && index % 2 == 0) half = half->next;
            node->other = half;
            tail->next = node;
        }
        tail = node;
    }
    return head;
}

/* How many nodes from the head are intact, in order, before the first that
 * is not. With ask_collector, also requires gc_base to find each one (slow:
 * for final checks). A chain is whole when this returns its length. */
static inline size_t live_chain_intact_prefix(const struct live_node *head, uint64_t key, size_t length,
                                              int ask_collector) {
    const struct live_node *half = head;
    size_t index = 0;
    for (const struct live_node *node = head; node != NULL && index < length; node = node->next, index++) {
        if (ask_collector && gc_base(node) != node) break;
        if (node->check != live_check(key, index)) break;
        if (index >= 2 && index % 2 == 0) half = half->next;
        if (node->other != (index == 0 ? NULL : half)) break;
    }
    return index;
}

static inline int live_chain_is_whole(const struct live_node *head, uint64_t key, size_t length, int ask_collector) {
    if (head == NULL) return 0;
    size_t prefix = live_chain_intact_prefix(head, key, length, ask_collector);
    if (prefix != length) return 0;
    const struct live_node *last = head;
    for (size_t index = 1; index < length; index++) last = last->next;
    return last->next == NULL;
}

/* ---- The live structure ------------------------------------------------- */

enum { live_chain_count = 256 };

/* The only pointer to the heads array lives here, in .bss; generations are
 * small numbers and retain nothing. */
static struct live_node **live_heads;
static uint64_t live_generations[live_chain_count];
static size_t live_chain_length;
static uint64_t live_seed;

static inline uint64_t live_key(size_t chain) {
    return live_seed * 1000003u + chain * 65537u + live_generations[chain];
}

/* Builds about total_bytes of 32-byte slots. */
static inline void live_structure_build(uint64_t seed, size_t total_bytes) {
    live_seed = seed;
    live_chain_length = total_bytes / 32 / live_chain_count;
    live_heads = gc_malloc(live_chain_count * sizeof *live_heads);
    if (live_heads == NULL) abort();
    for (size_t chain = 0; chain < live_chain_count; chain++) {
        live_heads[chain] = live_chain_build(live_key(chain), live_chain_length);
        if (live_heads[chain] == NULL) abort();
    }
}

/* Replaces one chain with a new generation; the old one becomes garbage. */
static inline void live_structure_rebuild_chain(size_t chain) {
    live_generations[chain] += 1;
    struct live_node *head = live_chain_build(live_key(chain), live_chain_length);
    if (head == NULL) abort();
    live_heads[chain] = head;
}

/* Copies the heads into a new array, so that the only pointers to every
 * chain move into an object allocated now, while a cycle may be marking. */
static inline void live_structure_move_heads(void) {
    struct live_node **heads = gc_malloc(live_chain_count * sizeof *heads);
    if (heads == NULL) abort();
    memcpy(heads, live_heads, live_chain_count * sizeof *heads);
    live_heads = heads;
}

/* How many chains are damaged; prints the first one. */
static inline size_t live_structure_damaged_chains(int ask_collector, const char *when) {
    size_t damaged = 0;
    for (size_t chain = 0; chain < live_chain_count; chain++) {
        if (live_chain_is_whole(live_heads[chain], live_key(chain), live_chain_length, ask_collector)) continue;
        if (damaged++ == 0) {
            printf("    %s: live chain %zu (generation %" PRIu64 ") intact for %zu of %zu nodes\n", when, chain,
                   live_generations[chain],
                   live_chain_intact_prefix(live_heads[chain], live_key(chain), live_chain_length, ask_collector),
                   live_chain_length);
            fflush(stdout);
        }
    }
    return damaged;
}

/* ---- Garbage ------------------------------------------------------------ */

/* Allocates about total_bytes of unreachable objects, mostly small, in
 * short chains. Returns how many allocations failed; each failure must
 * leave errno = ENOMEM, or *unclean_failures is incremented. */
__attribute__((noinline, unused)) static size_t concurrent_churn(uint64_t *random, size_t total_bytes,
                                                                  size_t *unclean_failures) {
    size_t allocated = 0, failures = 0;
    void **chain = NULL;
    unsigned length = 0;
    while (allocated < total_bytes) {
        uint64_t choice = random_next(random) % 1000;
        size_t size = choice < 940 ? random_between(random, 16, 256)
                    : choice < 998 ? random_between(random, 257, 4096)
                                   : random_between(random, 4097, 65536);
        allocated += size;
        errno = 0;
        void **object = gc_malloc(size);
        if (object == NULL) {
            failures += 1;
            if (errno != ENOMEM && unclean_failures != NULL) *unclean_failures += 1;
            continue;
        }
        memset(object, 0xa5, size < 64 ? size : 64);
        object[0] = length++ % 32 == 0 ? NULL : chain;
        chain = object;
    }
    __asm__ volatile("" : : "r"(chain) : "memory");
    return failures;
}

#endif
