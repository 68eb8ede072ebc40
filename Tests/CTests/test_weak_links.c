/*
 * test_weak_links — weak links are cleared exactly when their target dies,
 * and never while it is reachable.
 *
 * The links live in a table from mmap, which the collector does not scan,
 * so they do not keep their targets alive. Targets are remembered also in
 * hidden form to ask gc_base whether they were reclaimed.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { target_count = 200 };

static int finalized;
static void count_finalized(void *object, void *data) {
    (void)object;
    (void)data;
    finalized += 1;
}

__attribute__((noinline)) static void link_unreachable_targets(void **links, uintptr_t *hidden, int is_long) {
    for (size_t index = 0; index < target_count; index++) {
        void *target = gc_malloc(40);
        links[index] = target;
        hide_address(hidden, index, target);
        int result = is_long ? gc_register_long_weak_link(&links[index], target)
                             : gc_register_weak_link(&links[index], target);
        if (result != SWIFTGC_SUCCESS) abort();
    }
}

__attribute__((noinline)) static void link_reachable_targets(void **links, void **container) {
    for (size_t index = 0; index < target_count; index++) {
        container[index] = gc_malloc(40);
        links[index] = container[index];
        gc_register_weak_link(&links[index], container[index]);
    }
}

__attribute__((noinline)) static void make_finalizable_target(void **short_link, void **long_link) {
    void *target = gc_malloc(64);
    *short_link = target;
    *long_link = target;
    gc_register_weak_link(short_link, target);
    gc_register_long_weak_link(long_link, target);
    gc_register_finalizer(target, count_finalized, NULL);
}

/* Counts links cleared, and links whose clearing disagrees with gc_base. */
static void compare(void **links, const uintptr_t *hidden, size_t *cleared, size_t *mismatched) {
    *cleared = 0;
    *mismatched = 0;
    for (size_t index = 0; index < target_count; index++) {
        int is_cleared = links[index] == NULL;
        int is_reclaimed = gc_base(reveal_address(hidden, index)) == NULL;
        *cleared += is_cleared;
        *mismatched += is_cleared != is_reclaimed;
    }
}

int main(void) {
    void **links = (void **)hidden_table_create(target_count);
    uintptr_t *hidden = hidden_table_create(target_count);
    size_t cleared, mismatched;

    for (int is_long = 0; is_long <= 1; is_long++) {
        memset(links, 0, target_count * sizeof(void *));
        link_unreachable_targets(links, hidden, is_long);
        collect_with_clean_stack();
        compare(links, hidden, &cleared, &mismatched);
        CHECK(mismatched == 0, "%s links to be cleared exactly when their target is reclaimed, %zu disagree",
              is_long ? "long" : "short", mismatched);
        CHECK(cleared >= target_count * 9 / 10, "at least 90%% of %d %s links to be cleared, %zu were",
              target_count, is_long ? "long" : "short", cleared);
        printf("%s links cleared: %zu of %d\n", is_long ? "long" : "short", cleared, target_count);
        for (size_t index = 0; index < target_count; index++) {
            if (links[index]) gc_unregister_weak_link(&links[index]), gc_unregister_long_weak_link(&links[index]);
        }
    }

    /* Reachable targets: never cleared, through collections and garbage. */
    void **volatile container = gc_malloc(target_count * sizeof(void *));
    memset(links, 0, target_count * sizeof(void *));
    link_reachable_targets(links, container);
    for (int round = 0; round < 10; round++) {
        allocate_garbage(2 << 20);
        collect_with_clean_stack();
    }
    size_t kept = 0;
    for (size_t index = 0; index < target_count; index++) kept += links[index] == container[index];
    CHECK(kept == target_count, "all %d links to reachable targets to stay set over 10 collections, %zu did",
          target_count, kept);

    /* Dropping the container: now the links are cleared. */
    for (size_t index = 0; index < target_count; index++) hide_address(hidden, index, container[index]);
    container = NULL;
    collect_with_clean_stack();
    compare(links, hidden, &cleared, &mismatched);
    CHECK(mismatched == 0, "links to be cleared when the container dies exactly as targets go, %zu disagree", mismatched);
    for (size_t index = 0; index < target_count; index++) if (links[index]) gc_unregister_weak_link(&links[index]);

    /* A finalizable target: the short link goes when it becomes unreachable,
     * the long one only when it is reclaimed after its finalizer. */
    void **pair = (void **)hidden_table_create(2);
    make_finalizable_target(&pair[0], &pair[1]);
    collect_with_clean_stack();
    if (finalized == 1) {
        CHECK(pair[0] == NULL, "the short link to be cleared when the finalizable target became unreachable");
        CHECK(pair[1] != NULL && gc_base(pair[1]) == pair[1],
              "the long link to stay set while its target survives for finalization");
        collect_with_clean_stack();
        CHECK(pair[1] == NULL, "the long link to be cleared once the finalized target is reclaimed");
    } else {
        printf("finalizable target kept alive by a stray word; skipped the long-link checks\n");
    }

    /* Registration results. */
    void **slot = (void **)hidden_table_create(2);
    void *volatile anchor = gc_malloc(16);
    CHECK(gc_register_weak_link(&slot[0], anchor) == SWIFTGC_SUCCESS, "a first registration to succeed");
    CHECK(gc_register_weak_link(&slot[0], anchor) == SWIFTGC_DUPLICATE, "a second registration to be a duplicate");
    CHECK(gc_register_weak_link((void **)((char *)slot + 3), anchor) == SWIFTGC_INVALID, "a misaligned link to be refused");
    CHECK(gc_move_weak_link(&slot[0], &slot[1]) == SWIFTGC_SUCCESS, "moving a registered link to succeed");
    CHECK(gc_move_weak_link(&slot[0], &slot[1]) == SWIFTGC_NOT_FOUND, "moving an unregistered link to be not found");
    CHECK(gc_unregister_weak_link(&slot[1]) == 1 && gc_unregister_weak_link(&slot[1]) == 0,
          "unregistering to report whether the link was registered");
    return check_finish();
}
