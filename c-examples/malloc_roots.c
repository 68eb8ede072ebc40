/*
 * malloc_roots.c — keeping collected objects in memory from the system malloc.
 *
 * SwiftGC does not look inside memory from malloc, mmap or other allocators,
 * so a pointer stored only there does not keep an object alive. Registering
 * the block with gc_add_roots makes the collector scan it at every
 * collection; gc_remove_roots undoes that before the block is freed.
 *
 * Here a malloc'd table holds the only pointers to 1,000 collected strings.
 *
 * Build: cc -Iinclude c-examples/malloc_roots.c -Lbuild/lib -lswiftgc -o malloc_roots
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftgc.h"

enum { entry_count = 1000 };

/* Fills the table with collected strings; no other copy of the pointers exists. */
static void fill_table(char **table) {
    for (int index = 0; index < entry_count; index++) {
        table[index] = gc_malloc(32);
        snprintf(table[index], 32, "entry %d", index);
    }
}

/* Allocates and forgets about 64 MiB. */
static void make_garbage(void) {
    for (int index = 0; index < 1 << 20; index++) {
        char *garbage = gc_malloc(64);
        memset(garbage, 'x', 63);
    }
}

int main(void) {
    char **table = malloc(entry_count * sizeof *table);

    /* Register before storing pointers: a collection could run at any allocation. */
    gc_add_roots(table, table + entry_count);
    fill_table(table);

    for (int round = 0; round < 10; round++) {
        make_garbage();
        gc_collect();
    }

    int intact = 0;
    for (int index = 0; index < entry_count; index++) {
        char expected[32];
        snprintf(expected, sizeof expected, "entry %d", index);
        if (strcmp(table[index], expected) == 0) intact += 1;
    }
    struct gc_stats stats;
    gc_get_stats(&stats);
    printf("after %llu collections, %d of %d strings held only by a registered malloc block are intact\n",
           (unsigned long long)stats.collections, intact, entry_count);
    printf("  first \"%s\", last \"%s\"\n", table[0], table[entry_count - 1]);

    /* Unregister before freeing, so the collector never reads freed memory. */
    gc_remove_roots(table, table + entry_count);
    free(table);
    return intact == entry_count ? 0 : 1;
}
