/*
 * test_misuse — mistakes are reported and survived, and impossible requests
 * fail cleanly.
 *
 *   - gc_free of junk ((void *)16), of a stack address, of a libc malloc
 *     pointer, of an interior pointer, and a second gc_free of the same
 *     object each print exactly one line, starting with "swiftgc:" and naming
 *     the address in hex; so does gc_realloc of a pointer that is not the
 *     start of a live object, which also returns NULL. Afterwards a set of
 *     checksummed live objects is unchanged and allocation continues.
 *   - Requests that cannot be met (SIZE_MAX, SIZE_MAX / 2, sizes that overflow
 *     when rounded, gc_calloc products that overflow, gc_realloc to SIZE_MAX)
 *     return NULL with errno == ENOMEM, and realloc leaves the object valid.
 *   - In a child run with SWIFTGC_MAX_HEAP=64M (argument "max-heap-child"),
 *     keeping 1 MiB chunks live eventually gets NULL with ENOMEM, not a crash.
 *   - In a child run with SWIFTGC_ABORT_ON_ERROR=1 (argument "abort-child"),
 *     a double free ends the child with SIGABRT.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

enum { live_count = 100, chunk_size = 1 << 20, chunk_limit = 1024 };

static unsigned char *live_objects[live_count];
static size_t live_sizes[live_count];

static void make_live_objects(void) {
    for (size_t index = 0; index < live_count; index++) {
        live_sizes[index] = index % 10 == 9 ? 100000 + index : 16 + index * 24;
        live_objects[index] = gc_malloc(live_sizes[index]);
        fill_from_seed(live_objects[index], live_sizes[index], 500 + index);
    }
}

static size_t count_intact_live_objects(void) {
    size_t intact = 0;
    for (size_t index = 0; index < live_count; index++) {
        unsigned char *expected = malloc(live_sizes[index]);
        fill_from_seed(expected, live_sizes[index], 500 + index);
        if (gc_base(live_objects[index]) == live_objects[index]
            && memcmp(expected, live_objects[index], live_sizes[index]) == 0) {
            intact += 1;
        }
        free(expected);
    }
    return intact;
}

static void check_one_report(const char *report, const void *address, const char *description) {
    CHECK(strncmp(report, "swiftgc:", 8) == 0, "%s to print a line starting with \"swiftgc:\", got \"%s\"",
          description, report);
    CHECK(count_lines(report) == 1, "%s to print exactly one line, got %d: \"%s\"",
          description, count_lines(report), report);
    CHECK(text_mentions_address(report, address), "the report about %s to name the address %p in hex, got \"%s\"",
          description, address, report);
}

static void check_free_is_reported(void *pointer, const char *description) {
    struct stderr_capture capture;
    char report[4096];
    capture_stderr_begin(&capture);
    gc_free(pointer);
    capture_stderr_end(&capture, report, sizeof report);
    check_one_report(report, pointer, description);
}

static void check_bad_frees(void) {
    int stack_local = 0;
    void *from_libc = malloc(64);
    unsigned char *small = gc_malloc(64);
    unsigned char *large = gc_malloc(1 << 20);
    fill_from_seed(small, 64, 1);
    fill_from_seed(large, 1 << 20, 2);

    check_free_is_reported((void *)16, "gc_free((void *)16)");
    check_free_is_reported(&stack_local, "gc_free of a stack address");
    check_free_is_reported(from_libc, "gc_free of a pointer from libc malloc");
    check_free_is_reported(small + 8, "gc_free of an interior pointer into a small object");
    check_free_is_reported(large + 4096, "gc_free of an interior pointer into a 1 MiB object");
    CHECK(gc_base(small) == small && gc_base(large) == large,
          "objects whose interior pointers were passed to gc_free to stay live");

    unsigned char *freed_twice = gc_malloc(32);
    struct stderr_capture capture;
    char report[4096];
    capture_stderr_begin(&capture);
    gc_free(freed_twice);
    capture_stderr_end(&capture, report, sizeof report);
    CHECK(report[0] == '\0', "the first gc_free of an object to report nothing, got \"%s\"", report);
    check_free_is_reported(freed_twice, "a second gc_free of the same object");

    /* gc_realloc of something that is not the start of a live object. */
    capture_stderr_begin(&capture);
    errno = 0;
    void *result = gc_realloc(small + 8, 200);
    capture_stderr_end(&capture, report, sizeof report);
    CHECK(result == NULL, "gc_realloc of an interior pointer to return NULL");
    check_one_report(report, small + 8, "gc_realloc of an interior pointer");
    capture_stderr_begin(&capture);
    result = gc_realloc(freed_twice, 200);
    capture_stderr_end(&capture, report, sizeof report);
    CHECK(result == NULL, "gc_realloc of a freed object to return NULL");
    check_one_report(report, freed_twice, "gc_realloc of a freed object");

    unsigned char expected[64];
    fill_from_seed(expected, 64, 1);
    CHECK(memcmp(small, expected, 64) == 0, "the small object to be unchanged after the misuse around it");
    unsigned char *expected_large = malloc(1 << 20);
    fill_from_seed(expected_large, 1 << 20, 2);
    CHECK(memcmp(large, expected_large, 1 << 20) == 0, "the 1 MiB object to be unchanged after the misuse around it");
    free(expected_large);
    free(from_libc);
}

/* Calls an allocation expected to fail and checks NULL and ENOMEM. */
#define CHECK_IMPOSSIBLE(call)                                                                  \
    do {                                                                                        \
        errno = 0;                                                                              \
        void *impossible = (call);                                                              \
        int saved_errno = errno;                                                                \
        CHECK(impossible == NULL && saved_errno == ENOMEM,                                      \
              "%s to return NULL with errno ENOMEM, got %p with errno %d", #call, impossible,   \
              saved_errno);                                                                     \
    } while (0)

static void check_impossible_requests(void) {
    CHECK_IMPOSSIBLE(gc_malloc(SIZE_MAX));
    CHECK_IMPOSSIBLE(gc_malloc(SIZE_MAX / 2));
    CHECK_IMPOSSIBLE(gc_malloc(SIZE_MAX - 8));       /* overflows if rounded up naively */
    CHECK_IMPOSSIBLE(gc_malloc_atomic(SIZE_MAX));
    CHECK_IMPOSSIBLE(gc_malloc_atomic(SIZE_MAX - 8));
    CHECK_IMPOSSIBLE(gc_malloc_uncollectable(SIZE_MAX / 2));
    CHECK_IMPOSSIBLE(gc_calloc(SIZE_MAX / 2 + 1, 2));
    CHECK_IMPOSSIBLE(gc_calloc((size_t)1 << 33, (size_t)1 << 33));
    CHECK_IMPOSSIBLE(gc_calloc(SIZE_MAX, SIZE_MAX));

    unsigned char *kept = gc_malloc(300);
    fill_from_seed(kept, 300, 77);
    CHECK_IMPOSSIBLE(gc_realloc(kept, SIZE_MAX));
    CHECK_IMPOSSIBLE(gc_realloc(kept, SIZE_MAX - 8));
    CHECK_IMPOSSIBLE(gc_realloc(kept, SIZE_MAX / 2));
    unsigned char expected[300];
    fill_from_seed(expected, 300, 77);
    CHECK(gc_base(kept) == kept && memcmp(kept, expected, 300) == 0,
          "an object whose gc_realloc failed to stay live and unchanged");
}

/* Keeps 1 MiB chunks live until refused and checks them; returns how many
 * fitted. The chunks are reachable only from this frame, so they become
 * garbage when it returns. */
__attribute__((noinline)) static size_t fill_heap_with_chunks(int *refused_errno) {
    unsigned char **chunks = gc_malloc(chunk_limit * sizeof *chunks);
    size_t chunk_count = 0;
    *refused_errno = 0;
    while (chunk_count < chunk_limit) {
        errno = 0;
        unsigned char *chunk = gc_malloc(chunk_size);
        if (chunk == NULL) {
            *refused_errno = errno;
            break;
        }
        memset(chunk, (int)(chunk_count & 0xff), chunk_size);
        chunks[chunk_count++] = chunk;
    }
    size_t intact = 0;
    for (size_t index = 0; index < chunk_count; index++) {
        intact += chunks[index][0] == (index & 0xff) && chunks[index][chunk_size - 1] == (index & 0xff);
    }
    CHECK(intact == chunk_count, "all %zu chunks to stay intact after the refusal, %zu were", chunk_count, intact);
    return chunk_count;
}

/* Child: keep 1 MiB chunks live under a 64 MiB heap limit until refused. */
static int run_max_heap_child(void) {
    const char *limit = getenv("SWIFTGC_MAX_HEAP");
    CHECK(limit != NULL && strcmp(limit, "64M") == 0, "the child to run with SWIFTGC_MAX_HEAP=64M");
    int refused_errno;
    size_t chunk_count = fill_heap_with_chunks(&refused_errno);
    printf("with SWIFTGC_MAX_HEAP=64M, %zu chunks of 1 MiB were allocated before NULL\n", chunk_count);
    CHECK(chunk_count < chunk_limit, "keeping 1 MiB chunks live to be refused before 1 GiB under a 64 MiB limit");
    CHECK(refused_errno == ENOMEM, "the refusal to set errno to ENOMEM, got %d", refused_errno);
    CHECK(chunk_count <= 64, "no more than 64 chunks of 1 MiB to fit under a 64 MiB limit, got %zu", chunk_count);
    CHECK(chunk_count >= 32, "at least 32 chunks of 1 MiB to fit under a 64 MiB limit, got %zu", chunk_count);
    struct gc_stats stats;
    gc_get_stats(&stats);
    CHECK(stats.heap_size <= (uint64_t)64 << 20, "heap_size to stay within 64 MiB, was %llu KiB",
          (unsigned long long)(stats.heap_size >> 10));

    /* Once the chunks are garbage, there is room again. */
    collect_with_clean_stack();
    void *after = gc_malloc(chunk_size);
    CHECK(after != NULL, "a 1 MiB allocation to succeed again once the chunks are dropped and collected");
    return check_finish();
}

/* Child: a double free with SWIFTGC_ABORT_ON_ERROR=1 must abort. */
static int run_abort_child(void) {
    void *object = gc_malloc(32);
    gc_free(object);
    gc_free(object);
    printf("the double free returned instead of aborting\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "max-heap-child") == 0) return run_max_heap_child();
    if (argc > 1 && strcmp(argv[1], "abort-child") == 0) return run_abort_child();

    make_live_objects();
    check_bad_frees();
    check_impossible_requests();

    size_t intact = count_intact_live_objects();
    CHECK(intact == live_count, "all %d live objects unchanged after the misuse, %zu were", live_count, intact);
    allocate_garbage(8 << 20);
    collect_with_clean_stack();
    void *after = gc_malloc(1000);
    CHECK(after != NULL && gc_base(after) == after, "allocation to continue after the misuse");
    intact = count_intact_live_objects();
    CHECK(intact == live_count, "all %d live objects unchanged after a collection following the misuse, %zu were",
          live_count, intact);

    int status = run_self_in_child("max-heap-child", "SWIFTGC_MAX_HEAP", "64M");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the SWIFTGC_MAX_HEAP=64M child to exit with status 0, wait status 0x%x", status);

    printf("a child now double-frees with SWIFTGC_ABORT_ON_ERROR=1; its swiftgc: line is expected\n");
    status = run_self_in_child("abort-child", "SWIFTGC_ABORT_ON_ERROR", "1");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
          "a double free with SWIFTGC_ABORT_ON_ERROR=1 to end the child with SIGABRT, wait status 0x%x", status);
    return check_finish();
}
