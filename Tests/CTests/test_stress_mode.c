/*
 * test_stress_mode — SWIFTGC_STRESS=N collects at every Nth allocation, and
 * SWIFTGC_VERIFY=1 checks the heap during each of those collections without
 * complaint on a correct heap.
 *
 * Each case runs in a child with the options set (they are read at the
 * first call). In the child, N allocations of every kind and size must add
 * about one collection each, a linked list built meanwhile must survive
 * every collection intact, garbage must still be reclaimed, and nothing
 * must be collected while collections are disabled.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "process.h"
#include "swiftgc.h"

struct node {
    struct node *next;
    uint64_t value;
};

static uint64_t collections_now(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.collections;
}

/* Allocates count objects of varied sizes and kinds, keeping a list of the
 * normal ones; returns the number of collections that ran meanwhile. */
static uint64_t allocate_under_stress(int count, struct node **list) {
    uint64_t before = collections_now();
    for (int index = 0; index < count; index++) {
        switch (index % 4) {
        case 0: {
            struct node *node = gc_malloc(sizeof *node);
            node->next = *list;
            node->value = (uint64_t)index * 2654435761u;
            *list = node;
            break;
        }
        case 1: memset(gc_malloc_atomic(24 + index % 200), 0xAB, 24); break;
        case 2: gc_malloc(100 + index % 3000); break;
        default: gc_malloc(40000 + index); break; /* a large object */
        }
    }
    return collections_now() - before;
}

static int child_main(int interval) {
    struct node *list = NULL;
    int count = 400;
    uint64_t collections = allocate_under_stress(count, &list);
    CHECK(collections + 2 >= (uint64_t)(count / interval) && collections <= (uint64_t)(count / interval) + 2,
          "about %d collections for %d allocations with SWIFTGC_STRESS=%d, saw %llu",
          count / interval, count, interval, (unsigned long long)collections);

    int intact = 1, length = 0;
    for (struct node *node = list; node; node = node->next, length++) {
        uint64_t index = (uint64_t)(count - 4 - 4 * length);
        if (node->value != index * 2654435761u) intact = 0;
    }
    CHECK(intact && length == count / 4, "the list of %d nodes to survive every collection intact (length %d)",
          count / 4, length);

    struct gc_stats stats;
    gc_get_stats(&stats);
    CHECK(stats.total_bytes_reclaimed > 0, "stress collections to reclaim the garbage");

    gc_disable();
    uint64_t before = collections_now();
    for (int index = 0; index < 100; index++) gc_malloc(64);
    CHECK(collections_now() == before, "no stress collections while collections are disabled, saw %llu",
          (unsigned long long)(collections_now() - before));
    gc_enable();
    return check_finish();
}

int main(int argc, char **argv) {
    if (argc > 1 && strncmp(argv[1], "child-", 6) == 0) return child_main(atoi(argv[1] + 6));
    const char *intervals[] = { "1", "7" };
    for (int index = 0; index < 2; index++) {
        char mode[32];
        snprintf(mode, sizeof mode, "child-%s", intervals[index]);
        setenv("SWIFTGC_VERIFY", "1", 1);
        int status = run_self_in_child(mode, "SWIFTGC_STRESS", intervals[index]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the child with SWIFTGC_STRESS=%s SWIFTGC_VERIFY=1 to pass all its checks (wait status %d)",
              intervals[index], status);
    }
    return check_finish();
}
