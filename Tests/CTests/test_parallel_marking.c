/*
 * test_parallel_marking — marking with helper threads keeps everything
 * reachable and reclaims the rest, and the helpers really take part.
 *
 * The program runs itself again in a child with SWIFTGC_MARKERS=3 (two
 * helpers; this machine may have fewer cores, which only makes the threads
 * interleave more) and SWIFTGC_STATS=1. The child builds a binary tree of
 * 2^20 nodes and a list of 500,000, drops as many nodes again, and
 * collects: every reachable node must be intact, the dropped ones
 * reclaimed, and two helper threads running. The parent then reads the
 * child's statistics line: the helpers must have been handed work.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

struct node {
    struct node *left;
    struct node *right;
    uintptr_t value;
    uintptr_t check;
};

enum { tree_depth = 20, list_length = 500000, dropped_count = 500000 };

static struct node *make_tree(int depth, uintptr_t *next_value) {
    struct node *node = gc_malloc(sizeof *node);
    if (node == NULL) return NULL;
    node->value = (*next_value)++;
    node->check = ~node->value;
    if (depth > 0) {
        node->left = make_tree(depth - 1, next_value);
        node->right = make_tree(depth - 1, next_value);
    }
    return node;
}

/* Counts intact nodes; an explicit stack, as the tree is deep enough. */
static size_t count_intact_tree(struct node *root) {
    static struct node *pending[tree_depth * 2 + 8];
    size_t top = 0, intact = 0;
    pending[top++] = root;
    while (top > 0) {
        struct node *node = pending[--top];
        if (node == NULL) continue;
        if (node->check == ~node->value) intact++;
        pending[top++] = node->left;
        pending[top++] = node->right;
    }
    return intact;
}

static int count_threads(void) {
    DIR *tasks = opendir("/proc/self/task");
    if (tasks == NULL) return -1;
    int count = 0;
    for (struct dirent *entry = readdir(tasks); entry != NULL; entry = readdir(tasks)) {
        if (entry->d_name[0] != '.') count++;
    }
    closedir(tasks);
    return count;
}

__attribute__((noinline)) static void drop_nodes(uintptr_t *hidden) {
    for (size_t index = 0; index < dropped_count; index++) {
        struct node *node = gc_malloc(sizeof *node);
        node->value = index;
        hide_address(hidden, index, node);
    }
}

static int run_marking(void) {
    uintptr_t next_value = 0;
    struct node *volatile tree = make_tree(tree_depth - 1, &next_value);
    struct node *volatile list = NULL;
    for (uintptr_t index = 0; index < list_length; index++) {
        struct node *node = gc_malloc(sizeof *node);
        node->left = list;
        node->value = index;
        node->check = ~index;
        list = node;
    }
    uintptr_t *hidden = hidden_table_create(dropped_count);
    drop_nodes(hidden);
    for (int round = 0; round < 4; round++) gc_collect();

    size_t expected = ((size_t)1 << tree_depth) - 1;
    size_t intact = count_intact_tree(tree);
    CHECK(intact == expected, "every tree node survives parallel marking intact (%zu of %zu)", intact, expected);
    size_t listed = 0;
    for (struct node *node = list; node != NULL; node = node->left) listed += node->check == ~node->value;
    CHECK(listed == list_length, "every list node survives intact (%zu of %d)", listed, list_length);
    size_t reclaimed = count_reclaimed(hidden, dropped_count);
    CHECK(reclaimed >= dropped_count * 9 / 10, "dropped nodes are reclaimed (%zu of %d)", reclaimed, dropped_count);
    CHECK(count_threads() == 3, "two helper threads run beside the main thread (%d threads)", count_threads());
    hidden_table_destroy(hidden, dropped_count);
    return check_finish();
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "marking") == 0) return run_marking();

    setenv("SWIFTGC_STATS", "1", 1);
    /* Stop-the-world collections only: the thread count below is the
     * helpers', and a background collector would add one (the heap passes
     * SWIFTGC_CONCURRENT_HEAP). */
    setenv("SWIFTGC_CONCURRENT", "0", 1);
    struct stderr_capture capture;
    capture_stderr_begin(&capture);
    int status = run_self_in_child("marking", "SWIFTGC_MARKERS", "3");
    static char text[64 * 1024];
    capture_stderr_end(&capture, text, sizeof text);
    fputs(text, stderr);
    CHECK(status == 0, "the child's checks pass (status %d)", status);
    const char *helpers = strstr(text, "marking helpers 2 (");
    unsigned long long shared = helpers ? strtoull(helpers + strlen("marking helpers 2 ("), NULL, 10) : 0;
    CHECK(helpers != NULL && shared > 0, "the statistics show two helpers that were handed work (%llu entries)",
          shared);
    return check_finish();
}
