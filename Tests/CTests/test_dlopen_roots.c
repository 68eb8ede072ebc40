/*
 * test_dlopen_roots — the writable segments of a shared library loaded with
 * dlopen are roots, even when the library is loaded after the collector has
 * already initialised and collected.
 *
 * lib_roots.so (from lib_roots.c, found next to this executable) keeps one
 * pointer in its .bss and one in its .data. Each holds the head of a linked
 * list; the test keeps no copy, collects many times with garbage in between,
 * then checks every node. Finally it clears both slots and checks the lists
 * are reclaimed, which shows it was the library's slots that kept them.
 */
#define _GNU_SOURCE /* for dladdr */
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { list_length = 2000, collection_rounds = 30 };

struct list_node {
    struct list_node *next;
    uint64_t index;
    unsigned char payload[48];
};

struct library_slots {
    void (*set_bss_pointer)(void *);
    void *(*get_bss_pointer)(void);
    void (*set_data_pointer)(void *);
    void *(*get_data_pointer)(void);
    void *(*bss_slot_address)(void);
    void *(*data_slot_address)(void);
};

/* Builds a list whose node addresses are also recorded, hidden, in hidden_table. */
__attribute__((noinline)) static struct list_node *build_list(uint64_t seed, uintptr_t *hidden_table) {
    struct list_node *head = NULL;
    for (uint64_t index = list_length; index-- > 0;) {
        struct list_node *node = gc_malloc(sizeof *node);
        node->next = head;
        node->index = index;
        fill_from_seed(node->payload, sizeof node->payload, seed + index);
        hide_address(hidden_table, index, node);
        head = node;
    }
    return head;
}

/* Counts intact nodes, stopping at the first node that is not a live object,
 * so a lost list is reported rather than followed into a crash. */
static size_t count_intact_nodes(const struct list_node *head, uint64_t seed) {
    size_t intact = 0;
    for (uint64_t index = 0; head != NULL && index < list_length; head = head->next, index++) {
        if (gc_base(head) != head) break;
        unsigned char expected[sizeof head->payload];
        fill_from_seed(expected, sizeof expected, seed + index);
        if (head->index == index && memcmp(head->payload, expected, sizeof expected) == 0) intact += 1;
    }
    return intact;
}

/* Fills the library's slots; the heads never stay in this program's memory. */
__attribute__((noinline)) static void store_lists_in_library(const struct library_slots *library,
                                                             uintptr_t *hidden_bss_nodes,
                                                             uintptr_t *hidden_data_nodes) {
    library->set_bss_pointer(build_list(1000, hidden_bss_nodes));
    library->set_data_pointer(build_list(5000, hidden_data_nodes));
}

static int load_library(struct library_slots *library) {
    char executable[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", executable, sizeof executable - 1);
    if (length <= 0) return 0;
    executable[length] = '\0';
    char library_path[PATH_MAX + 32];
    snprintf(library_path, sizeof library_path, "%s/lib_roots.so", dirname(executable));
    void *handle = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        printf("dlopen %s: %s\n", library_path, dlerror());
        return 0;
    }
    library->set_bss_pointer = (void (*)(void *))dlsym(handle, "roots_set_bss_pointer");
    library->get_bss_pointer = (void *(*)(void))dlsym(handle, "roots_get_bss_pointer");
    library->set_data_pointer = (void (*)(void *))dlsym(handle, "roots_set_data_pointer");
    library->get_data_pointer = (void *(*)(void))dlsym(handle, "roots_get_data_pointer");
    library->bss_slot_address = (void *(*)(void))dlsym(handle, "roots_bss_slot_address");
    library->data_slot_address = (void *(*)(void))dlsym(handle, "roots_data_slot_address");
    return library->set_bss_pointer && library->get_bss_pointer && library->set_data_pointer
        && library->get_data_pointer && library->bss_slot_address && library->data_slot_address;
}

int main(void) {
    /* The collector must already be running before the library appears. */
    allocate_garbage(1 << 20);
    gc_collect();
    struct gc_stats stats;
    gc_get_stats(&stats);
    CHECK(stats.collections >= 1, "a collection before dlopen, saw %llu", (unsigned long long)stats.collections);

    struct library_slots library;
    int loaded = load_library(&library);
    CHECK(loaded, "lib_roots.so next to the executable to load and export its six functions");
    if (!loaded) return check_finish();

    Dl_info bss_owner, data_owner;
    CHECK(dladdr(library.bss_slot_address(), &bss_owner) && strstr(bss_owner.dli_fname, "lib_roots") != NULL,
          "the .bss slot at %p to belong to lib_roots.so", library.bss_slot_address());
    CHECK(dladdr(library.data_slot_address(), &data_owner) && strstr(data_owner.dli_fname, "lib_roots") != NULL,
          "the .data slot at %p to belong to lib_roots.so", library.data_slot_address());

    uintptr_t *hidden_bss_nodes = hidden_table_create(list_length);
    uintptr_t *hidden_data_nodes = hidden_table_create(list_length);
    store_lists_in_library(&library, hidden_bss_nodes, hidden_data_nodes);
    for (int round = 0; round < collection_rounds; round++) {
        allocate_garbage(4 << 20);
        collect_with_clean_stack();
    }

    size_t intact_from_bss = count_intact_nodes(library.get_bss_pointer(), 1000);
    size_t intact_from_data = count_intact_nodes(library.get_data_pointer(), 5000);
    CHECK(intact_from_bss == list_length,
          "all %d nodes of the list held by the library's .bss slot intact after %d collections, %zu were",
          list_length, collection_rounds, intact_from_bss);
    CHECK(intact_from_data == list_length,
          "all %d nodes of the list held by the library's .data slot intact after %d collections, %zu were",
          list_length, collection_rounds, intact_from_data);

    /* Without the library's slots nothing holds the lists any more. */
    library.set_bss_pointer(NULL);
    library.set_data_pointer(NULL);
    collect_with_clean_stack();
    size_t reclaimed_bss = count_reclaimed(hidden_bss_nodes, list_length);
    size_t reclaimed_data = count_reclaimed(hidden_data_nodes, list_length);
    CHECK(reclaimed_bss >= list_length * 9 / 10,
          "at least 90%% of the list's %d nodes reclaimed after clearing the .bss slot, %zu were",
          list_length, reclaimed_bss);
    CHECK(reclaimed_data >= list_length * 9 / 10,
          "at least 90%% of the list's %d nodes reclaimed after clearing the .data slot, %zu were",
          list_length, reclaimed_data);

    hidden_table_destroy(hidden_bss_nodes, list_length);
    hidden_table_destroy(hidden_data_nodes, list_length);
    return check_finish();
}
