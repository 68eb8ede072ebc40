/*
 * test_concurrent_enable — concurrent marking turned on at run time
 * (gc_enable_concurrent, which bdwgc's GC_enable_incremental calls), and
 * gc_collect_a_little driving a cycle in progress. Without the variable
 * set, the collector starts stop-the-world; after the call, where the uffd
 * backend works, cycles run concurrently and a linked list of checksummed
 * nodes survives them. Where it does not, the call says 0 and collections
 * stay stop-the-world.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "swiftgc.h"

struct node {
    struct node *next;
    uintptr_t key;
    uintptr_t check;
    uintptr_t padding;
};

static uintptr_t check_of(uintptr_t key) { return key * 0x9e3779b97f4a7c15u ^ 0x5bd1e995u; }

static struct node *list;

int main(void) {
    unsetenv("SWIFTGC_CONCURRENT");
    setenv("SWIFTGC_INITIAL_HEAP", "1M", 1);
    CHECK(gc_is_concurrent() == 0, "concurrent marking off before it is asked for");

    int is_uffd = strcmp(gc_dirty_pages_backend(), "uffd") == 0;
    int enabled = gc_enable_concurrent();
    CHECK(enabled == is_uffd, "gc_enable_concurrent to say 1 exactly where the backend is uffd (backend %s, said %d)",
          gc_dirty_pages_backend(), enabled);
    CHECK(gc_is_concurrent() == enabled, "gc_is_concurrent to agree with gc_enable_concurrent");
    CHECK(gc_enable_concurrent() == enabled, "a second call to give the same answer");

    /* 16 MiB live, then 256 MiB of garbage, asking for slices now and then. */
    const long node_count = (16L << 20) / (long)sizeof(struct node);
    for (long index = 0; index < node_count; index++) {
        struct node *node = gc_malloc(sizeof *node);
        node->next = list;
        node->key = (uintptr_t)index;
        node->check = check_of((uintptr_t)index);
        list = node;
    }
    long slices_with_work = 0;
    for (long index = 0; index < (256L << 20) / 32; index++) {
        void **garbage = gc_malloc(32);
        garbage[0] = garbage;
        if (index % 4096 == 0) slices_with_work += gc_collect_a_little();
    }
    gc_collect();
    CHECK(gc_collect_a_little() == 0, "no work left right after gc_collect");

    long intact = 0;
    for (struct node *node = list; node != NULL; node = node->next) {
        if (node->check == check_of(node->key)) intact++;
    }
    CHECK(intact == node_count, "every node intact, %ld of %ld were", intact, node_count);
    /* Under SWIFTGC_STRESS (make test-stress) a stop-the-world collection
     * every few thousand allocations leaves no cycle time to start. */
    if (enabled && getenv("SWIFTGC_STRESS") != NULL) {
        printf("skipped under SWIFTGC_STRESS: concurrent cycles having run\n");
    } else if (enabled) {
        CHECK(gc_concurrent_cycles() > 0, "concurrent cycles after gc_enable_concurrent, %llu ran",
              (unsigned long long)gc_concurrent_cycles());
    } else {
        CHECK(gc_concurrent_cycles() == 0, "no concurrent cycle without a backend for them");
    }
    printf("test_concurrent_enable: backend %s, %llu concurrent cycles, %ld slices found work\n",
           gc_dirty_pages_backend(), (unsigned long long)gc_concurrent_cycles(), slices_with_work);
    return check_finish();
}
