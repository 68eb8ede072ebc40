/* Arenas under LD_PRELOAD=libswiftgc-preload.so, in every SWIFTGC_MODE: the
 * gc_arena_* functions (found with dlsym) hand out zeroed, aligned memory;
 * malloc blocks that only arena memory points to survive collections with
 * their contents; gc_arena_check finds a pointer planted in a global;
 * free (but in ignore-free mode) and realloc of an arena pointer are
 * reported in one swiftgc: line each and change nothing; reset reuses the memory; destroy works.
 * Every swiftgc: line the program causes is captured and checked here, so
 * its stderr stays free of them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../CTests/check.h"
#include "../CTests/process.h"

static void *(*arena_create)(void);
static void *(*arena_malloc)(void *, size_t);
static void (*arena_reset)(void *);
static void (*arena_destroy)(void *);
static size_t (*arena_check)(void *);
static void (*collect)(void);

static void *volatile planted_global;
static char captured[8192];

enum { block_count = 1000 };

__attribute__((noinline)) static void fill_blocks(void **slots) {
    for (int index = 0; index < block_count; index++) {
        unsigned char *block = malloc(64);
        memset(block, index & 0xff, 64);
        slots[index] = block;
    }
}

static int blocks_intact(void **slots) {
    for (int index = 0; index < block_count; index++) {
        const unsigned char *block = slots[index];
        for (int byte = 0; byte < 64; byte++) if (block[byte] != (index & 0xff)) return 0;
    }
    return 1;
}

int main(void) {
    arena_create = (void *(*)(void))dlsym(RTLD_DEFAULT, "gc_arena_create");
    arena_malloc = (void *(*)(void *, size_t))dlsym(RTLD_DEFAULT, "gc_arena_malloc");
    arena_reset = (void (*)(void *))dlsym(RTLD_DEFAULT, "gc_arena_reset");
    arena_destroy = (void (*)(void *))dlsym(RTLD_DEFAULT, "gc_arena_destroy");
    arena_check = (size_t (*)(void *))dlsym(RTLD_DEFAULT, "gc_arena_check");
    collect = (void (*)(void))dlsym(RTLD_DEFAULT, "gc_collect");
    CHECK(arena_create && arena_malloc && arena_reset && arena_destroy && arena_check && collect,
          "the preload library exports the gc_arena_* functions");
    if (!arena_create) return check_finish();

    void *arena = arena_create();
    void **slots = arena_malloc(arena, block_count * sizeof(void *));
    int zeroed = slots != NULL && (uintptr_t)slots % 16 == 0;
    for (int index = 0; zeroed && index < block_count; index++) if (slots[index]) zeroed = 0;
    CHECK(zeroed, "arena memory is aligned and zeroed");
    fill_blocks(slots);
    for (int round = 0; round < 3; round++) {
        for (int index = 0; index < 20000; index++) free(malloc(100));
        collect();
    }
    CHECK(blocks_intact(slots), "malloc blocks held only from arena memory keep their contents");

    struct stderr_capture capture;
    planted_global = (char *)slots + 8;
    capture_stderr_begin(&capture);
    size_t count = arena_check(arena);
    capture_stderr_end(&capture, captured, sizeof captured);
    CHECK(count >= 1 && strstr(captured, "data segment") && text_mentions_address(captured, (char *)slots + 8),
          "gc_arena_check finds a global pointing into the arena (%zu: %s)", count, captured);
    planted_global = NULL;

    capture_stderr_begin(&capture);
    free(slots);
    void *moved = realloc(slots, 100);
    capture_stderr_end(&capture, captured, sizeof captured);
    /* ignore-free mode ignores every free, without a look. */
    const char *mode = getenv("SWIFTGC_MODE");
    int frees_are_ignored = mode != NULL && strcmp(mode, "ignore-free") == 0;
    CHECK(count_lines(captured) == (frees_are_ignored ? 1 : 2) && strstr(captured, "swiftgc: realloc(")
          && (frees_are_ignored || strstr(captured, "swiftgc: free(")) && strstr(captured, "arena") && moved == NULL,
          "free and realloc of an arena pointer give one swiftgc: line each and realloc NULL (%s)", captured);
    CHECK(blocks_intact(slots), "the arena object is unchanged by the misuse");

    for (int index = 0; index < block_count; index++) free(slots[index]); /* for leak-check mode */
    arena_reset(arena);
    void *again = arena_malloc(arena, block_count * sizeof(void *));
    CHECK(again == (void *)slots, "after gc_arena_reset the arena hands out its first address again");
    arena_destroy(arena);
    void *fresh = arena_create();
    CHECK(fresh != NULL && arena_malloc(fresh, 10) != NULL, "arenas are created again after a destroy");
    arena_destroy(fresh);
    return check_finish();
}
