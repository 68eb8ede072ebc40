/*
 * binarytrees.c — the Benchmarks Game "binary-trees" workload, single-threaded,
 * written for SwiftGC from the game's description.
 *
 * With n = argv[1] (default 21, the game's figure; run.sh passes a smaller
 * one) and max = max(6, n):
 * 1. Build a stretch tree of depth max + 1, count its nodes, drop it.
 * 2. Build a long-lived tree of depth max, kept to the end.
 * 3. For depth d = 4, 6, ..., max, build 2^(max - d + 4) trees of depth d
 *    bottom-up, counting and dropping each one.
 * 4. Count the long-lived tree's nodes.
 *
 * Each step prints the game's line with the node count ("check"). Every count
 * is also compared with the size a complete tree must have, and a mismatch
 * stops the run. Nodes are two pointers and nothing else. Build with one of
 * -DSWIFTGC, -DBDWGC or -DMALLOC (see bench_allocator.h).
 */
#include "bench_allocator.h"
#include "bench_report.h"

#include <stdio.h>
#include <stdlib.h>

struct node {
    struct node *left;
    struct node *right;
};

enum { smallest_tree_depth = 4, default_depth = 21 };

/* Nodes in a complete tree of the given depth; depth 0 is a single leaf. */
static long tree_size(int depth) {
    return (1L << (depth + 1)) - 1;
}

static struct node *make_tree(int depth) {
    struct node *left = NULL;
    struct node *right = NULL;
    if (depth > 0) {
        left = make_tree(depth - 1);
        right = make_tree(depth - 1);
    }
    struct node *node = allocate_object(sizeof *node);
    node->left = left;
    node->right = right;
    return node;
}

static long count_nodes(const struct node *node) {
    if (node->left == NULL) return 1;
    return 1 + count_nodes(node->left) + count_nodes(node->right);
}

/* Forgets a tree: frees every node under malloc, nothing under a collector. */
static void drop_tree(struct node *node) {
    if (!allocator_frees_explicitly || node == NULL) return;
    drop_tree(node->left);
    drop_tree(node->right);
    release_object(node);
}

static void expect_count(const char *tree, long counted, long expected) {
    if (counted == expected) return;
    fprintf(stderr, "binarytrees: FAILED: %s has %ld nodes, expected %ld\n", tree, counted,
            expected);
    exit(1);
}

int main(int argc, char **argv) {
    double run_start = monotonic_seconds();
    allocator_start();

    int requested_depth = argc > 1 ? atoi(argv[1]) : default_depth;
    if (requested_depth < 0 || requested_depth > 30) {
        fprintf(stderr, "usage: %s [depth 0..30]\n", argv[0]);
        return 2;
    }
    int max_depth = requested_depth > smallest_tree_depth + 2 ? requested_depth
                                                              : smallest_tree_depth + 2;
    int stretch_depth = max_depth + 1;

    struct node *stretch_tree = make_tree(stretch_depth);
    long check = count_nodes(stretch_tree);
    drop_tree(stretch_tree);
    stretch_tree = NULL;
    printf("stretch tree of depth %d\t check: %ld\n", stretch_depth, check);
    expect_count("the stretch tree", check, tree_size(stretch_depth));

    struct node *long_lived_tree = make_tree(max_depth);

    for (int depth = smallest_tree_depth; depth <= max_depth; depth += 2) {
        long iterations = 1L << (max_depth - depth + smallest_tree_depth);
        check = 0;
        for (long iteration = 0; iteration < iterations; iteration++) {
            struct node *tree = make_tree(depth);
            check += count_nodes(tree);
            drop_tree(tree);
        }
        printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, check);
        expect_count("a batch of short-lived trees", check, iterations * tree_size(depth));
    }

    check = count_nodes(long_lived_tree);
    printf("long lived tree of depth %d\t check: %ld\n", max_depth, check);
    expect_count("the long-lived tree", check, tree_size(max_depth));
    drop_tree(long_lived_tree);

    print_closing_line(monotonic_seconds() - run_start, "");
    return 0;
}
