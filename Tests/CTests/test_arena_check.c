/*
 * test_arena_check — gc_arena_check finds the pointers still reaching into
 * an arena, and SWIFTGC_ARENA_CHECK=1 keeps such an arena's memory out of
 * reuse.
 *
 *   - A pointer into the arena planted in a global, in a stack local, in a
 *     reachable collected object, in another arena and in a gc_add_roots
 *     range is counted, and its swiftgc: line names that place (the object
 *     and offset, the other arena) and the address it points to.
 *   - An arena that only points into itself, or is pointed to only from
 *     atomic memory and unreachable objects, reports 0 and prints nothing.
 *   - More than 10 pointers: 10 lines and one line for the rest.
 *   - In a child with SWIFTGC_ARENA_CHECK=1 ("quarantine-child"): destroying
 *     and resetting an arena still pointed into says it is quarantined, and
 *     the dangling pointer reads zeros after many new arenas and objects; an
 *     arena not pointed into is reused after its reset.
 *   - With SWIFTGC_ABORT_ON_ERROR=1 too ("abort-child"), such a destroy aborts.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

static void *planted_global;
static void **reachable_holder;

static char captured[16384];

/* Runs gc_arena_check with stderr captured; returns the count. */
__attribute__((noinline)) static size_t checked(gc_arena *arena) {
    struct stderr_capture capture;
    scrub_stack();
    capture_stderr_begin(&capture);
    size_t count = gc_arena_check(arena);
    capture_stderr_end(&capture, captured, sizeof captured);
    return count;
}

__attribute__((noinline)) static size_t check_with_stack_local(gc_arena *arena, void *target) {
    void *volatile local = target;
    size_t count = checked(arena);
    __asm__ volatile("" : : "r"(&local) : "memory");
    return count;
}

/* The arena object every planted pointer points into, kept complemented so
 * that the test's own frames and globals hold no copy of it. */
static uintptr_t hidden_target;

__attribute__((noinline)) static char *target_at(size_t offset) {
    return (char *)~hidden_target + offset;
}

__attribute__((noinline)) static void make_target(gc_arena *arena) {
    hidden_target = ~(uintptr_t)gc_arena_malloc(arena, 256);
}

static uintptr_t hidden_other_slot;

/* Word 3 of an object of the other arena (allocated at the first call). */
__attribute__((noinline)) static void set_other_arena_word(gc_arena *other, void *value) {
    if (hidden_other_slot == 0) hidden_other_slot = ~(uintptr_t)gc_arena_malloc(other, 64);
    ((void **)~hidden_other_slot)[3] = value;
}

__attribute__((noinline)) static void plant_harmless_pointers(gc_arena *arena, gc_arena *other) {
    void **inner = gc_arena_malloc(arena, 16 * sizeof(void *));
    for (int index = 0; index < 16; index++) inner[index] = target_at(index);
    void **atomic = gc_arena_malloc_atomic(other, 8 * sizeof(void *));
    atomic[0] = target_at(0);
    void **unreachable = gc_malloc(8 * sizeof(void *));
    unreachable[0] = target_at(0);
}

static void test_planted_pointers(void) {
    /* One check first, so that the dynamic linker has bound gc_arena_check
     * and what checked() calls in libc: its lazy-binding resolver saves
     * every register, vector registers included, in frames the check below
     * then scans, and after gc_collect one of them can still hold an
     * address inside the arena (which the collection scanned as a root). */
    gc_arena *warm_up = gc_arena_create();
    checked(warm_up);
    gc_arena_destroy(warm_up);

    gc_arena *arena = gc_arena_create();
    make_target(arena);
    gc_collect(); /* GC_greatest_plausible_heap_addr: see quarantine_child */
#define target target_at(0)

    size_t count = checked(arena);
    CHECK(count == 0 && captured[0] == '\0', "an arena nothing points into reports 0 and prints nothing (%zu: %s)",
          count, captured);

    planted_global = target + 8;
    count = checked(arena);
    CHECK(count >= 1 && strstr(captured, "data segment") && text_mentions_address(captured, target + 8)
          && text_mentions_address(captured, &planted_global),
          "a global pointing into the arena is found, in a data segment (%zu: %s)", count, captured);
    planted_global = NULL;

    count = check_with_stack_local(arena, target + 16);
    CHECK(count >= 1 && strstr(captured, "calling thread's stack") && text_mentions_address(captured, target + 16),
          "a stack local pointing into the arena is found, on the calling thread's stack (%zu: %s)", count, captured);

    reachable_holder = gc_malloc(4 * sizeof(void *));
    reachable_holder[1] = target + 32;
    count = checked(arena);
    CHECK(count >= 1 && strstr(captured, "collected object") && text_mentions_address(captured, reachable_holder)
          && strstr(captured, "offset 8") && text_mentions_address(captured, target + 32),
          "a reachable collected object pointing into the arena is named with the offset (%zu: %s)", count, captured);
    reachable_holder[1] = NULL;

    gc_arena *other = gc_arena_create();
    set_other_arena_word(other, target + 48);
    count = checked(arena);
    CHECK(count >= 1 && strstr(captured, "the arena") && text_mentions_address(captured, other)
          && text_mentions_address(captured, target + 48),
          "another arena pointing into the arena is named (%zu: %s)", count, captured);
    set_other_arena_word(other, NULL);
    count = checked(other);
    CHECK(count == 0, "the other arena, pointed to by nothing, reports 0 (%zu: %s)", count, captured);

    void **range = malloc(64 * sizeof(void *));
    memset(range, 0, 64 * sizeof(void *));
    range[10] = target + 64;
    gc_add_roots(range, range + 64);
    count = checked(arena);
    CHECK(count >= 1 && strstr(captured, "gc_add_roots") && text_mentions_address(captured, &range[10]),
          "a gc_add_roots range pointing into the arena is found (%zu: %s)", count, captured);
    gc_remove_roots(range, range + 64);
    range[10] = NULL;

    /* Pointers from the arena into itself, from atomic memory and from an
     * unreachable object do not count. */
    plant_harmless_pointers(arena, other);
    count = checked(arena);
    CHECK(count == 0, "self-pointers, atomic memory and unreachable objects are not counted (%zu: %s)",
          count, captured);

    /* Twenty pointers: ten lines and a line for the rest. */
    for (int index = 0; index < 20; index++) range[index] = target + index * 8;
    gc_add_roots(range, range + 64);
    count = checked(arena);
    CHECK(count == 20 && count_lines(captured) == 11 && strstr(captured, "10 more"),
          "twenty pointers give 20, ten lines and one line for the rest (%zu, %d lines)", count, count_lines(captured));
    gc_remove_roots(range, range + 64);
    free(range);
    gc_arena_destroy(other);
    gc_arena_destroy(arena);
#undef target
}

static volatile unsigned char *dangling;

__attribute__((noinline)) static void plant_dangling(gc_arena *arena) {
    unsigned char *object = gc_arena_malloc(arena, 4096);
    memset(object, 0x77, 4096);
    dangling = object;
}

static int dangling_reads_zeros(void) {
    for (int byte = 0; byte < 4096; byte++) if (dangling[byte] != 0) return 0;
    return 1;
}

__attribute__((noinline)) static gc_arena *fill_arena(void) {
    gc_arena *fresh = gc_arena_create();
    for (int index = 0; index < 64; index++) memset(gc_arena_malloc(fresh, 4096), 0x11, 4096);
    memset(gc_malloc(4096), 0x22, 4096);
    return fresh;
}

__attribute__((noinline)) static void fill_and_free_arena(int round) {
    gc_arena *fresh = fill_arena();
    scrub_stack();
    if (round % 2) gc_arena_destroy(fresh); else gc_arena_reset(fresh);
}

/* Under SWIFTGC_ARENA_CHECK=1; exits 0 if every expectation held. */
static int quarantine_child(void) {
    struct stderr_capture capture;
    gc_arena *arena = gc_arena_create();
    plant_dangling(arena);
    capture_stderr_begin(&capture);
    gc_arena_destroy(arena);
    capture_stderr_end(&capture, captured, sizeof captured);
    CHECK(strstr(captured, "gc_arena_destroy") && strstr(captured, "quarantined"),
          "destroying an arena still pointed into says it is quarantined (%s)", captured);
    CHECK(dangling_reads_zeros(), "the dangling pointer reads zeros at once");
    for (int round = 0; round < 100; round++) fill_and_free_arena(round);
    allocate_garbage(8 << 20);
    gc_collect();
    CHECK(dangling_reads_zeros(), "after 100 arenas and 8 MiB of objects the dangling pointer still reads zeros");

    gc_arena *kept = gc_arena_create();
    plant_dangling(kept);
    unsigned char *old = (unsigned char *)dangling;
    capture_stderr_begin(&capture);
    gc_arena_reset(kept);
    capture_stderr_end(&capture, captured, sizeof captured);
    CHECK(strstr(captured, "gc_arena_reset") && strstr(captured, "quarantined"),
          "resetting an arena still pointed into says it is quarantined (%s)", captured);
    unsigned char *after = gc_arena_malloc(kept, 4096);
    memset(after, 0x33, 4096);
    CHECK(after != old && dangling_reads_zeros(), "the reset arena goes on in new memory; the old reads zeros");
    dangling = NULL;
    scrub_stack();

    gc_arena *clean = gc_arena_create();
    unsigned char *first = gc_arena_malloc(clean, 64);
    first = NULL;
    /* The bdwgc layer's GC_greatest_plausible_heap_addr, a global, holds
     * the heap top as of the last collection, which may be where this
     * arena's chunk begins: collect, so that it holds the new top. */
    gc_collect();
    scrub_stack();
    capture_stderr_begin(&capture);
    gc_arena_reset(clean);
    capture_stderr_end(&capture, captured, sizeof captured);
    CHECK(captured[0] == '\0', "a reset with nothing pointing in prints nothing (%s)", captured);
    (void)first;
    return check_finish();
}

static int abort_child(void) {
    gc_arena *arena = gc_arena_create();
    plant_dangling(arena);
    gc_arena_destroy(arena);
    return 0; /* not reached when the destroy aborts */
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "quarantine-child") == 0) return quarantine_child();
    if (argc > 1 && strcmp(argv[1], "abort-child") == 0) return abort_child();
    test_planted_pointers();
    int status = run_self_in_child("quarantine-child", "SWIFTGC_ARENA_CHECK", "1");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the SWIFTGC_ARENA_CHECK=1 child passes (status %d)", status);
    setenv("SWIFTGC_ARENA_CHECK", "1", 1);
    status = run_self_in_child("abort-child", "SWIFTGC_ABORT_ON_ERROR", "1");
    unsetenv("SWIFTGC_ARENA_CHECK");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
          "with SWIFTGC_ABORT_ON_ERROR=1 a destroy of an arena still pointed into aborts (status %d)", status);
    return check_finish();
}
