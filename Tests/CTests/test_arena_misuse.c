/*
 * test_arena_misuse — misuse of arenas is reported in one line and survived.
 *
 *   - A NULL arena, a junk pointer ((gc_arena *)16, a stack address, a libc
 *     malloc block, a gc_malloc object, an address inside an arena record)
 *     given to each gc_arena_* function prints exactly one "swiftgc:" line
 *     naming the function; allocation returns NULL and gc_arena_check 0.
 *   - A second gc_arena_destroy, and any use after destroy, prints one line
 *     saying the arena was already destroyed.
 *   - gc_free and gc_realloc of an arena object print one line each and leave
 *     the object as it was; gc_realloc returns NULL.
 *   - Impossible sizes (SIZE_MAX, SIZE_MAX / 2, 2^47, SIZE_MAX - 8) return
 *     NULL with errno == ENOMEM and print nothing; the arena still works.
 *   - Afterwards checksummed collected objects and arena objects are intact.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

static char captured[8192];
static struct stderr_capture capture;

#define EXPECT_ONE_LINE(call, name, expectation)                                                      \
    do {                                                                                              \
        capture_stderr_begin(&capture);                                                               \
        call;                                                                                         \
        capture_stderr_end(&capture, captured, sizeof captured);                                      \
        CHECK(count_lines(captured) == 1 && strncmp(captured, "swiftgc: ", 9) == 0                    \
              && strstr(captured, name) != NULL,                                                      \
              "%s prints one swiftgc: line naming %s (got: %s)", expectation, name, captured);        \
    } while (0)

static void expect_each_function_reports(gc_arena *bad, const char *what) {
    void *result = (void *)1;
    EXPECT_ONE_LINE(result = gc_arena_malloc(bad, 16), "gc_arena_malloc", what);
    CHECK(result == NULL, "gc_arena_malloc of %s returns NULL", what);
    EXPECT_ONE_LINE(result = gc_arena_malloc_atomic(bad, 16), "gc_arena_malloc_atomic", what);
    CHECK(result == NULL, "gc_arena_malloc_atomic of %s returns NULL", what);
    EXPECT_ONE_LINE(gc_arena_reset(bad), "gc_arena_reset", what);
    EXPECT_ONE_LINE(gc_arena_destroy(bad), "gc_arena_destroy", what);
    size_t count = 1;
    EXPECT_ONE_LINE(count = gc_arena_check(bad), "gc_arena_check", what);
    CHECK(count == 0, "gc_arena_check of %s returns 0", what);
}

int main(void) {
    enum { live_count = 50 };
    unsigned char *live[live_count];
    for (int index = 0; index < live_count; index++) {
        live[index] = gc_malloc(100 + index);
        fill_from_seed(live[index], 100 + index, index);
    }
    gc_arena *good = gc_arena_create();
    unsigned char *kept = gc_arena_malloc(good, 1000);
    fill_from_seed(kept, 1000, 99);

    expect_each_function_reports(NULL, "a NULL arena");
    CHECK(strstr(captured, "NULL") != NULL, "the NULL arena is called NULL (%s)", captured);
    expect_each_function_reports((gc_arena *)16, "the junk pointer 16");
    int local = 0;
    expect_each_function_reports((gc_arena *)&local, "a stack address");
    void *from_libc = malloc(256);
    expect_each_function_reports(from_libc, "a libc malloc block");
    free(from_libc);
    expect_each_function_reports(gc_malloc(256), "a gc_malloc object");
    expect_each_function_reports((gc_arena *)((char *)good + 64), "an address inside an arena record");

    gc_arena *doomed = gc_arena_create();
    gc_arena_malloc(doomed, 64);
    gc_arena_destroy(doomed);
    expect_each_function_reports(doomed, "a destroyed arena");
    CHECK(strstr(captured, "already destroyed") != NULL, "a destroyed arena is called so (%s)", captured);

    EXPECT_ONE_LINE(gc_free(kept), "gc_free", "gc_free of an arena object");
    CHECK(strstr(captured, "arena") != NULL, "the gc_free line says the pointer is in an arena (%s)", captured);
    void *moved = (void *)1;
    EXPECT_ONE_LINE(moved = gc_realloc(kept, 2000), "gc_realloc", "gc_realloc of an arena object");
    CHECK(moved == NULL, "gc_realloc of an arena object returns NULL");

    size_t impossible[] = { SIZE_MAX, SIZE_MAX / 2, (size_t)1 << 47, SIZE_MAX - 8 };
    for (size_t index = 0; index < sizeof impossible / sizeof impossible[0]; index++) {
        capture_stderr_begin(&capture);
        errno = 0;
        void *scanned = gc_arena_malloc(good, impossible[index]);
        int scanned_errno = errno;
        errno = 0;
        void *atomic = gc_arena_malloc_atomic(good, impossible[index]);
        int atomic_errno = errno;
        capture_stderr_end(&capture, captured, sizeof captured);
        CHECK(scanned == NULL && scanned_errno == ENOMEM && atomic == NULL && atomic_errno == ENOMEM,
              "an arena allocation of %zu bytes returns NULL with ENOMEM", impossible[index]);
        CHECK(captured[0] == '\0', "an impossible size prints nothing (got: %s)", captured);
    }

    unsigned char expected[1000];
    fill_from_seed(expected, 1000, 99);
    CHECK(memcmp(kept, expected, 1000) == 0, "the arena object is unchanged after the misuse");
    CHECK(gc_arena_malloc(good, 32) != NULL, "the arena still allocates");
    collect_with_clean_stack();
    int intact = 1;
    for (int index = 0; index < live_count; index++) {
        unsigned char copy[200];
        fill_from_seed(copy, 100 + index, index);
        if (gc_base(live[index]) != live[index] || memcmp(copy, live[index], 100 + index) != 0) intact = 0;
    }
    CHECK(intact, "every collected object is intact after the misuse");
    gc_arena_destroy(good);
    return check_finish();
}
