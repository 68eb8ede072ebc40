/*
 * gcbench.c — a GCBench-style binary-tree benchmark (after Ellis, Kovac and
 * Boehm), written for SwiftGC from the published description.
 *
 * 1. Build and drop a stretch tree of depth 18, so the heap grows to the size
 *    the rest of the run needs.
 * 2. Build a long-lived tree of depth 16 and an array of 500,000 doubles; they
 *    stay reachable to the end, so every collection has to mark them again.
 * 3. For depth d = 4, 6, ..., 16, build 2 * size(18) / size(d) short-lived
 *    trees of depth d top-down (allocate a node, then populate its children)
 *    and as many bottom-up (make the children, then their parent), dropping
 *    each as soon as it is built.
 * 4. Check that the long-lived tree and the array are intact.
 *
 * "Dropping" means forgetting the pointer for the collectors and freeing every
 * node for malloc. Build with one of -DSWIFTGC, -DBDWGC or -DMALLOC
 * (see bench_allocator.h).
 *
 * An optional argument N runs steps 2-4 in N client threads at once, each
 * with its own long-lived data, after the main thread's stretch tree (the
 * multi-threaded variant; bdwgc's threads are registered through
 * GC_pthread_create, which gc.h substitutes under GC_THREADS).
 */
#include "bench_allocator.h"
#include "bench_report.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* A tree node: two children and two integers, as in GCBench. Here i holds the
 * depth of the subtree the node roots and j its complement, so a check can
 * tell a node that was overwritten or reused from one that is intact. */
struct node {
    struct node *left;
    struct node *right;
    int i;
    int j;
};

enum {
    stretch_tree_depth = 18,
    long_lived_tree_depth = 16,
    long_lived_array_length = 500000,
    smallest_tree_depth = 4,
    largest_tree_depth = 16,
};

/* Nodes in a complete tree of the given depth; depth 0 is a single leaf. */
static long tree_size(int depth) {
    return (1L << (depth + 1)) - 1;
}

/* A childless node, every field written (malloc does not clear memory). */
static struct node *node_new(int depth) {
    struct node *node = allocate_object(sizeof *node);
    node->left = NULL;
    node->right = NULL;
    node->i = depth;
    node->j = ~depth;
    return node;
}

/* Top-down: gives the existing node its children, then fills them in. */
static void populate(struct node *node, int depth) {
    if (depth <= 0) return;
    node->left = node_new(depth - 1);
    node->right = node_new(depth - 1);
    populate(node->left, depth - 1);
    populate(node->right, depth - 1);
}

static struct node *make_tree_top_down(int depth) {
    struct node *root = node_new(depth);
    populate(root, depth);
    return root;
}

/* Bottom-up: makes both subtrees first, then the node that joins them. */
static struct node *make_tree_bottom_up(int depth) {
    if (depth <= 0) return node_new(0);
    struct node *left = make_tree_bottom_up(depth - 1);
    struct node *right = make_tree_bottom_up(depth - 1);
    struct node *node = node_new(depth);
    node->left = left;
    node->right = right;
    return node;
}

/* Forgets a tree: frees every node under malloc, nothing under a collector. */
static void drop_tree(struct node *node) {
    if (!allocator_frees_explicitly || node == NULL) return;
    drop_tree(node->left);
    drop_tree(node->right);
    release_object(node);
}

/* Counts the nodes of a tree that are intact for a tree of this depth: each
 * holds its own depth, leaves have no children and inner nodes have two.
 * Returns -1 at the first node that is not. */
static long count_intact_nodes(const struct node *node, int depth) {
    if (node == NULL || node->i != depth || node->j != ~depth) return -1;
    if (depth == 0) return node->left == NULL && node->right == NULL ? 1 : -1;
    long left = count_intact_nodes(node->left, depth - 1);
    long right = count_intact_nodes(node->right, depth - 1);
    if (left < 0 || right < 0) return -1;
    return 1 + left + right;
}

static double array_value(long index) {
    return 1.0 / (double)(index + 1);
}

static void fail(const char *what) {
    fprintf(stderr, "gcbench: FAILED: %s\n", what);
    exit(1);
}

static double milliseconds_since(double start) {
    return (monotonic_seconds() - start) * 1e3;
}

/* Steps 2-4: the long-lived data, the short-lived trees, the final check.
 * Prints per-depth times when it is the only client. */
static void *run_client(void *is_only_client) {
    double phase_start = monotonic_seconds();
    struct node *long_lived_tree = make_tree_top_down(long_lived_tree_depth);
    double *long_lived_array =
        allocate_pointer_free(long_lived_array_length * sizeof(double));
    for (long index = 0; index < long_lived_array_length; index++)
        long_lived_array[index] = array_value(index);
    if (is_only_client) printf("long-lived tree and array: %.1f ms\n", milliseconds_since(phase_start));

    for (int depth = smallest_tree_depth; depth <= largest_tree_depth; depth += 2) {
        long iterations = 2 * tree_size(stretch_tree_depth) / tree_size(depth);

        phase_start = monotonic_seconds();
        for (long iteration = 0; iteration < iterations; iteration++)
            drop_tree(make_tree_top_down(depth));
        double top_down_ms = milliseconds_since(phase_start);

        phase_start = monotonic_seconds();
        for (long iteration = 0; iteration < iterations; iteration++)
            drop_tree(make_tree_bottom_up(depth));
        double bottom_up_ms = milliseconds_since(phase_start);

        if (is_only_client)
            printf("depth %2d: %6ld trees, top-down %7.1f ms, bottom-up %7.1f ms\n",
                   depth, iterations, top_down_ms, bottom_up_ms);
    }

    if (count_intact_nodes(long_lived_tree, long_lived_tree_depth) !=
        tree_size(long_lived_tree_depth))
        fail("the long-lived tree lost or corrupted nodes");
    for (long index = 0; index < long_lived_array_length; index++)
        if (long_lived_array[index] != array_value(index))
            fail("the long-lived array was overwritten");

    drop_tree(long_lived_tree);
    release_object(long_lived_array);
    return NULL;
}

int main(int argc, char **argv) {
    double run_start = monotonic_seconds();
    allocator_start();
    int client_threads = argc > 1 ? atoi(argv[1]) : 0;
    if (client_threads < 0 || client_threads > 64) fail("the thread count must be 0..64");

    printf("gcbench (%s): stretch tree of depth %d, long-lived tree of depth %d "
           "and %d doubles, trees of depth %d..%d, %d client thread(s)\n",
           allocator_name, stretch_tree_depth, long_lived_tree_depth,
           long_lived_array_length, smallest_tree_depth, largest_tree_depth, client_threads);

    double phase_start = monotonic_seconds();
    struct node *stretch_tree = make_tree_bottom_up(stretch_tree_depth);
    drop_tree(stretch_tree);
    stretch_tree = NULL;
    printf("stretch tree of depth %d: %.1f ms\n", stretch_tree_depth,
           milliseconds_since(phase_start));

    if (client_threads == 0) {
        run_client((void *)1);
    } else {
        pthread_t threads[64];
        for (int index = 0; index < client_threads; index++)
            if (pthread_create(&threads[index], NULL, run_client, client_threads == 1 ? (void *)1 : NULL) != 0)
                fail("pthread_create");
        for (int index = 0; index < client_threads; index++) pthread_join(threads[index], NULL);
    }
    printf("long-lived trees and arrays intact\n");

    print_closing_line(monotonic_seconds() - run_start, "");
    return 0;
}
