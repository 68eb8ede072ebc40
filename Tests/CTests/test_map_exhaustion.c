/*
 * test_map_exhaustion — the process runs out of memory mappings
 * (vm.max_map_count). One PROT_NONE reservation is split into single pages
 * of alternating protection with mprotect until the kernel refuses with
 * ENOMEM; then no new mapping can be made anywhere in the process.
 *
 *   - After initialisation: the heap is one reservation made at start-up,
 *     so allocation (small, large, calloc, realloc), collection and
 *     thread creation go on or fail cleanly (NULL with ENOMEM, an error
 *     from pthread_create); nothing crashes, live data stays intact; once
 *     the mappings are released everything works again.
 *   - Before initialisation: the heap's reservation itself fails, so every
 *     allocation returns NULL with ENOMEM and one swiftgc: line says why; once
 *     the mappings are released, the next allocation initialises the
 *     collector and succeeds.
 *
 * Each case runs in a forked child (a crash fails that case alone). Skipped
 * when vm.max_map_count is so high that exhausting it would take long.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "process.h"
#include "swiftgc.h"

struct exhaustion {
    char *region;
    size_t bytes;
    size_t split_pages;
    void *extra[64];
    int extra_count;
};

static long max_map_count(void) {
    FILE *file = fopen("/proc/sys/vm/max_map_count", "r");
    long count = -1;
    if (file != NULL) {
        if (fscanf(file, "%ld", &count) != 1) count = -1;
        fclose(file);
    }
    return count;
}

/* Splits a reservation into pages until the kernel refuses a new mapping.
 * Returns 0 once a fresh mmap fails with ENOMEM, -1 otherwise. */
static int exhaust_mappings(struct exhaustion *exhaustion, long map_limit) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = 2 * (size_t)map_limit + 64;
    exhaustion->bytes = pages * page;
    exhaustion->region = mmap(NULL, exhaustion->bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (exhaustion->region == MAP_FAILED) return -1;
    exhaustion->split_pages = 0;
    for (size_t index = 1; index < pages; index += 2) {
        if (mprotect(exhaustion->region + index * page, page, PROT_READ) != 0) {
            if (errno != ENOMEM) return -1;
            break;
        }
        exhaustion->split_pages += 1;
    }
    /* A new mapping may still merge into a neighbour with the same
     * protection; keep mapping single pages of alternating protection
     * (which cannot all merge) until the kernel refuses one. */
    exhaustion->extra_count = 0;
    while (exhaustion->extra_count < 64) {
        int protection = exhaustion->extra_count % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
        void *extra = mmap(NULL, page, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (extra == MAP_FAILED) return errno == ENOMEM ? 0 : -1;
        exhaustion->extra[exhaustion->extra_count++] = extra;
    }
    return -1;
}

static void release_mappings(struct exhaustion *exhaustion) {
    munmap(exhaustion->region, exhaustion->bytes);
    for (int index = 0; index < exhaustion->extra_count; index++)
        munmap(exhaustion->extra[index], (size_t)sysconf(_SC_PAGESIZE));
}

struct node {
    struct node *next;
    uint64_t value;
    char payload[48];
};

static struct node *make_list(int length) {
    struct node *list = NULL;
    for (int index = 0; index < length; index++) {
        struct node *node = gc_malloc(sizeof *node);
        if (node == NULL) return NULL;
        node->next = list;
        node->value = (uint64_t)index * 2654435761u;
        memset(node->payload, index & 0xFF, sizeof node->payload);
        list = node;
    }
    return list;
}

static int list_is_intact(const struct node *list, int length) {
    int index = length - 1;
    for (const struct node *node = list; node != NULL; node = node->next, index--) {
        if (index < 0 || node->value != (uint64_t)index * 2654435761u) return 0;
        for (size_t byte = 0; byte < sizeof node->payload; byte++)
            if (node->payload[byte] != (char)(index & 0xFF)) return 0;
    }
    return index == -1;
}

static void *thread_body(void *argument) {
    return gc_malloc(64) != NULL ? argument : NULL;
}

/* An allocation under exhaustion: a usable object, or NULL with ENOMEM. */
static int allocation_is_clean(void *object, size_t size) {
    if (object == NULL) return errno == ENOMEM;
    memset(object, 0x5A, size);
    return gc_base(object) == object;
}

static struct node *big_objects[8];

static int child_after_initialisation(long map_limit) {
    struct node *list = make_list(20000);
    for (int index = 0; index < 8; index++) {
        big_objects[index] = gc_malloc(200000);
        if (big_objects[index] == NULL) return 10;
        memset(big_objects[index]->payload, 'A' + index, sizeof big_objects[index]->payload);
    }
    struct exhaustion exhaustion;
    if (exhaust_mappings(&exhaustion, map_limit) != 0) return 11;

    int unclean = 0;
    void *kept = NULL;
    for (int round = 0; round < 3000; round++) {
        size_t size = round % 100 == 0 ? (size_t)(1 + round % 7) << 20 : (size_t)(16 + round * 37 % 4000);
        errno = 0;
        void *object = round % 3 == 0 ? gc_calloc(1, size) : gc_malloc(size);
        unclean += !allocation_is_clean(object, size);
        errno = 0;
        void *resized = gc_realloc(kept, size / 2 + 8);
        if (resized != NULL || errno == ENOMEM) kept = resized; else unclean += 1;
        if (round % 1000 == 999) gc_collect();
    }
    pthread_t thread;
    int created = pthread_create(&thread, NULL, thread_body, &exhaustion);
    void *thread_result = NULL;
    if (created == 0) pthread_join(thread, &thread_result);
    int thread_ok = created == 0 ? thread_result == &exhaustion : created == EAGAIN || created == ENOMEM;
    int intact_during = list_is_intact(list, 20000);

    release_mappings(&exhaustion);
    gc_collect();
    struct node *more = make_list(5000);
    gc_collect();
    int big_intact = 1;
    for (int index = 0; index < 8; index++)
        for (size_t byte = 0; byte < sizeof big_objects[index]->payload; byte++)
            big_intact &= big_objects[index]->payload[byte] == 'A' + index;
    printf("    after initialisation: %zu pages split, %d more pages mapped; %d unclean allocations; pthread_create %s\n",
           exhaustion.split_pages, exhaustion.extra_count, unclean, created == 0 ? "worked" : strerror(created));
    fflush(stdout);
    if (unclean != 0) return 1;
    if (!thread_ok) return 2;
    if (!intact_during || !list_is_intact(list, 20000) || !big_intact) return 3;
    if (!list_is_intact(more, 5000)) return 4;
    return 0;
}

static int child_before_initialisation(long map_limit) {
    struct exhaustion exhaustion;
    if (exhaust_mappings(&exhaustion, map_limit) != 0) return 11;
    struct stderr_capture capture;
    char text[4096];
    capture_stderr_begin(&capture);
    int failures = 0;
    int succeeded = 0;
    for (int round = 0; round < 100; round++) {
        errno = 0;
        void *object = gc_malloc(64);
        if (object == NULL) failures += errno == ENOMEM;
        else succeeded += 1;
    }
    capture_stderr_end(&capture, text, sizeof text);
    release_mappings(&exhaustion);
    struct node *list = make_list(10000);
    gc_collect();
    printf("    before initialisation: %d of 100 allocations failed with ENOMEM, %d succeeded; %d swiftgc: lines\n",
           failures, succeeded, count_lines(text));
    fflush(stdout);
    /* Either the reservation failed (NULL, ENOMEM, a message), or the kernel
     * merged it into a neighbouring mapping and it worked. */
    if (failures + succeeded != 100) return 1;
    if (failures > 0 && (strstr(text, "swiftgc: cannot reserve address space") == NULL || count_lines(text) != 1))
        return 2;
    if (!list_is_intact(list, 10000)) return 3;
    return 0;
}

static int run_in_child(int (*body)(long), long map_limit) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) _exit(body(map_limit));
    int status = 0;
    waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) return 100 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int main(void) {
    long map_limit = max_map_count();
    if (map_limit <= 0 || map_limit > 300000) {
        printf("skipped: vm.max_map_count is %ld\n", map_limit);
        return check_finish();
    }
    int result = run_in_child(child_after_initialisation, map_limit);
    CHECK(result == 0, "out of mappings after initialisation: clean failures or successes, data intact, "
          "recovery after release (child status %d)", result);
    result = run_in_child(child_before_initialisation, map_limit);
    CHECK(result == 0, "out of mappings before initialisation: NULL with ENOMEM and one reason, "
          "then a working collector after release (child status %d)", result);
    return check_finish();
}
