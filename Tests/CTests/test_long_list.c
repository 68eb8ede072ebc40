/*
 * test_long_list — marking deep and wide structures neither overflows
 * anything nor loses objects, with the normal mark stack and with one so
 * small that it must overflow and recover.
 *
 * A singly linked list of 10,000,000 nodes of 16 bytes, rooted only from a
 * local, and a tree of 500,000 nodes with 8 children each survive
 * collections with garbage in between; every node is checked.
 *
 * The program then runs itself again in a child with
 *     SWIFTGC_MARK_STACK_LIMIT=64
 * in the environment (the collector reads it at its first call) and the
 * argument "limited-mark-stack". The child repeats the checks and also
 * expects gc_get_stats to count mark stack overflows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "garbage.h"
#include "process.h"
#include "swiftgc.h"

enum { list_length = 10000000, tree_node_count = 500000, tree_fan_out = 8 };

struct list_node {
    struct list_node *next;
    uint64_t value;
};

struct tree_node {
    uint64_t index;
    uint64_t check;          /* derived from index, to spot reused memory */
    struct tree_node *children[tree_fan_out];
};

static uint64_t value_for(uint64_t index) { return index * 0x9e3779b97f4a7c15u ^ 0x1234; }

__attribute__((noinline)) static struct list_node *build_list(void) {
    struct list_node *head = NULL;
    for (uint64_t index = list_length; index-- > 0;) {
        struct list_node *node = gc_malloc(sizeof *node);
        if (node == NULL) return NULL;
        node->next = head;
        node->value = value_for(index);
        head = node;
    }
    return head;
}

/* Walks the list, stopping at the first node that is wrong, so damage is
 * reported rather than followed into a crash. Returns how many were right. */
static uint64_t count_correct_list_nodes(const struct list_node *head) {
    uint64_t index = 0;
    for (const struct list_node *node = head; node != NULL; node = node->next, index++) {
        if (gc_base(node) != node || node->value != value_for(index)) break;
    }
    return index;
}

/* Node i has children 8i+1 .. 8i+8, as in an implicit heap. */
__attribute__((noinline)) static struct tree_node *build_tree(uint64_t index) {
    struct tree_node *node = gc_malloc(sizeof *node);
    if (node == NULL) return NULL;
    node->index = index;
    node->check = value_for(index);
    for (uint64_t child = 0; child < tree_fan_out; child++) {
        uint64_t child_index = index * tree_fan_out + 1 + child;
        if (child_index < tree_node_count) node->children[child] = build_tree(child_index);
    }
    return node;
}

/* Counts nodes that are present and correct; a wrong node's subtree is not entered. */
static uint64_t count_correct_tree_nodes(const struct tree_node *node, uint64_t index) {
    if (node == NULL || gc_base(node) != node || node->index != index || node->check != value_for(index)) return 0;
    uint64_t correct = 1;
    for (uint64_t child = 0; child < tree_fan_out; child++) {
        uint64_t child_index = index * tree_fan_out + 1 + child;
        if (child_index < tree_node_count) correct += count_correct_tree_nodes(node->children[child], child_index);
    }
    return correct;
}

static void collect_with_garbage_between(void) {
    collect_with_clean_stack();
    allocate_garbage(32 << 20);
    collect_with_clean_stack();
}

/* The list lives only in this frame, so it is garbage once the check returns. */
__attribute__((noinline)) static void check_list(const char *run) {
    struct list_node *head = build_list();
    CHECK(head != NULL, "[%s] building a list of %d nodes to succeed", run, list_length);
    collect_with_garbage_between();
    struct gc_stats stats;
    gc_get_stats(&stats);
    CHECK(stats.bytes_in_use >= (uint64_t)list_length * 16,
          "[%s] bytes_in_use after collecting with a %d-node list live to be at least %llu, was %llu",
          run, list_length, (unsigned long long)list_length * 16, (unsigned long long)stats.bytes_in_use);
    uint64_t correct = count_correct_list_nodes(head);
    CHECK(correct == list_length, "[%s] all %d list nodes intact after collections, first wrong at index %llu",
          run, list_length, (unsigned long long)correct);
}

__attribute__((noinline)) static void check_tree(const char *run) {
    struct tree_node *root = build_tree(0);
    collect_with_garbage_between();
    uint64_t correct = count_correct_tree_nodes(root, 0);
    CHECK(correct == tree_node_count, "[%s] all %d tree nodes intact after collections, %llu were",
          run, tree_node_count, (unsigned long long)correct);
}

static void check_structures(const char *run) {
    check_list(run);
    check_tree(run);
    printf("[%s] list of %d and tree of %d nodes verified\n", run, list_length, tree_node_count);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "limited-mark-stack") == 0) {
        const char *limit = getenv("SWIFTGC_MARK_STACK_LIMIT");
        CHECK(limit != NULL && strcmp(limit, "64") == 0, "the child to run with SWIFTGC_MARK_STACK_LIMIT=64");
        check_structures("mark stack limited to 64");
        struct gc_stats stats;
        gc_get_stats(&stats);
        CHECK(stats.mark_stack_overflows > 0,
              "mark_stack_overflows > 0 when marking a wide tree with a 64-entry mark stack, was %llu",
              (unsigned long long)stats.mark_stack_overflows);
        return check_finish();
    }

    check_structures("default mark stack");
    int status = run_self_in_child("limited-mark-stack", "SWIFTGC_MARK_STACK_LIMIT", "64");
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
          "the run with SWIFTGC_MARK_STACK_LIMIT=64 to exit with status 0, wait status was 0x%x", status);
    return check_finish();
}
