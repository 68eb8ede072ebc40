/* The aligned allocation functions misused, under
 * LD_PRELOAD=libswiftgc-preload.so (SWIFTGC_MODE from the environment):
 *
 *   - posix_memalign with alignments that are zero, below the pointer size,
 *     not powers of two or impossibly large, and impossible sizes: EINVAL or
 *     ENOMEM, *result and errno untouched.
 *   - aligned_alloc and memalign with such alignments: glibc's rule (an
 *     alignment that is not a power of two is rounded up to one) or NULL
 *     with EINVAL/ENOMEM; valloc and pvalloc of impossible sizes.
 *   - free, realloc and malloc_usable_size of an interior pointer of an
 *     aligned block (small, page-aligned and beyond a page), and a double
 *     free: one swiftgc: line each (none for free in ignore-free mode, where
 *     free does nothing), and the block stays intact and usable.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../CTests/check.h"
#include "../CTests/process.h"

static void *(*gc_base_function)(const void *);
static int free_is_ignored;

static int is_aligned(const void *block, size_t alignment) { return ((uintptr_t)block & (alignment - 1)) == 0; }

static size_t next_power_of_two(size_t value) {
    size_t power = 1;
    while (power < value) power <<= 1;
    return power;
}

static void check_posix_memalign_rejects(void) {
    const size_t invalid[] = { 0, 1, 2, 4, 3, 12, 24, 48, 1000, 4097, SIZE_MAX, SIZE_MAX / 2 };
    for (size_t index = 0; index < sizeof invalid / sizeof invalid[0]; index++) {
        void *result = (void *)1;
        errno = 1234;
        int status = posix_memalign(&result, invalid[index], 64);
        CHECK(status == EINVAL && result == (void *)1 && errno == 1234,
              "posix_memalign(alignment %zu) is EINVAL, leaving *result and errno (got %d)", invalid[index], status);
    }
    const size_t impossible_alignments[] = { (size_t)1 << 62, (size_t)1 << 63 };
    for (size_t index = 0; index < 2; index++) {
        void *result = (void *)1;
        int status = posix_memalign(&result, impossible_alignments[index], 64);
        CHECK((status == ENOMEM || status == EINVAL) && result == (void *)1,
              "posix_memalign(alignment %zu) fails cleanly (got %d)", impossible_alignments[index], status);
    }
    void *result = (void *)1;
    CHECK(posix_memalign(&result, 64, SIZE_MAX) == ENOMEM && result == (void *)1, "posix_memalign(64, SIZE_MAX) is ENOMEM");
    CHECK(posix_memalign(&result, 4096, SIZE_MAX - 4096) == ENOMEM, "posix_memalign(4096, SIZE_MAX - 4096) is ENOMEM");
    CHECK(posix_memalign(&result, 64, 0) == 0 && result != (void *)1, "posix_memalign(64, 0) succeeds");
    free(result);
    CHECK(posix_memalign(&result, (size_t)1 << 26, 16) == 0 && is_aligned(result, (size_t)1 << 26),
          "posix_memalign(64 MiB alignment, 16) succeeds and is aligned");
    memset(result, 1, 16);
    free(result);
}

static void check_aligned_alloc_and_memalign(void) {
    const size_t odd[] = { 0, 3, 24, 48, 1000, 4097, 70000 };
    for (int function = 0; function < 2; function++) {
        const char *name = function == 0 ? "aligned_alloc" : "memalign";
        for (size_t index = 0; index < sizeof odd / sizeof odd[0]; index++) {
            size_t alignment = odd[index];
            errno = 0;
            void *block = function == 0 ? aligned_alloc(alignment, 100) : memalign(alignment, 100);
            size_t expected = next_power_of_two(alignment > 0 ? alignment : 1);
            CHECK((block != NULL && is_aligned(block, expected) && gc_base_function(block) != NULL)
                  || (block == NULL && errno == EINVAL),
                  "%s(%zu, 100) is aligned to %zu (glibc's rounding) or NULL with EINVAL", name, alignment, expected);
            if (block != NULL) { memset(block, 7, 100); free(block); }
        }
        const size_t impossible[] = { SIZE_MAX, SIZE_MAX / 2, (size_t)1 << 62 };
        for (size_t index = 0; index < 3; index++) {
            errno = 0;
            void *block = function == 0 ? aligned_alloc(impossible[index], 100) : memalign(impossible[index], 100);
            CHECK(block == NULL && (errno == EINVAL || errno == ENOMEM),
                  "%s(%zu, 100) is NULL with EINVAL or ENOMEM", name, impossible[index]);
        }
        errno = 0;
        void *block = function == 0 ? aligned_alloc(64, SIZE_MAX) : memalign(64, SIZE_MAX);
        CHECK(block == NULL && errno == ENOMEM, "%s(64, SIZE_MAX) is NULL with ENOMEM", name);
    }
    errno = 0;
    CHECK(valloc(SIZE_MAX) == NULL && errno == ENOMEM, "valloc(SIZE_MAX) is NULL with ENOMEM");
    errno = 0;
    CHECK(pvalloc(SIZE_MAX - 100) == NULL && errno == ENOMEM, "pvalloc(SIZE_MAX - 100) is NULL with ENOMEM (no rounding overflow)");
}

/* Runs one misuse and returns how many swiftgc: lines it printed. */
#define SWIFTGC_LINES(statement) ({ \
    struct stderr_capture capture; \
    char text[2048]; \
    capture_stderr_begin(&capture); \
    statement; \
    capture_stderr_end(&capture, text, sizeof text); \
    strstr(text, "swiftgc: ") ? count_lines(text) : 0; })

static void check_interior_pointers(size_t alignment, size_t size) {
    unsigned char *block = NULL;
    if (posix_memalign((void **)&block, alignment, size) != 0) {
        CHECK(0, "posix_memalign(%zu, %zu) to succeed", alignment, size);
        return;
    }
    memset(block, 0x3C, size);
    int lines = SWIFTGC_LINES(free(block + 16));
    CHECK(lines == (free_is_ignored ? 0 : 1), "free of an interior pointer of a %zu-aligned block: %d line(s), got %d",
          alignment, free_is_ignored ? 0 : 1, lines);
    void *moved = (void *)1;
    lines = SWIFTGC_LINES(moved = realloc(block + 16, 32));
    CHECK(lines == 1 && moved == NULL, "realloc of an interior pointer of a %zu-aligned block: one line and NULL (got %d, %p)",
          alignment, lines, moved);
    CHECK(malloc_usable_size(block + 16) == 0, "malloc_usable_size of an interior pointer of a %zu-aligned block is 0", alignment);
    int intact = 1;
    for (size_t index = 0; index < size; index++) intact &= block[index] == 0x3C;
    CHECK(intact && gc_base_function(block) != NULL, "the %zu-aligned block is intact after the misuse", alignment);
    unsigned char *grown = realloc(block, size * 3);
    intact = grown != NULL;
    for (size_t index = 0; intact && index < size; index++) intact &= grown[index] == 0x3C;
    CHECK(intact, "the %zu-aligned block reallocates with its contents", alignment);
    lines = SWIFTGC_LINES(free(grown));
    CHECK(lines == 0, "freeing it properly prints nothing (got %d lines)", lines);
    lines = SWIFTGC_LINES(free(grown));
    CHECK(lines == (free_is_ignored ? 0 : 1), "a double free of it: %d line(s), got %d", free_is_ignored ? 0 : 1, lines);
}

int main(void) {
    gc_base_function = (void *(*)(const void *))dlsym(RTLD_DEFAULT, "gc_base");
    if (gc_base_function == NULL) {
        printf("run me under LD_PRELOAD=libswiftgc-preload.so\n");
        return 2;
    }
    const char *mode = getenv("SWIFTGC_MODE");
    free_is_ignored = mode != NULL && strcmp(mode, "ignore-free") == 0;
    check_posix_memalign_rejects();
    check_aligned_alloc_and_memalign();
    check_interior_pointers(64, 100);
    check_interior_pointers(4096, 5000);
    check_interior_pointers(65536, 1000);
    check_interior_pointers(1 << 20, 300000);
    return check_finish();
}
