/*
 * demo.c — a garbage-collected C program that never calls free.
 *
 * It keeps one long-lived binary tree of about 2 MiB, and in a loop builds
 * short-lived trees and lists, uses them, and simply forgets them. In total
 * it allocates over a hundred times more than it keeps, yet the heap stays
 * small, because SwiftGC finds the forgotten objects and reuses their memory.
 * Every 100 rounds it prints what gc_get_stats reports.
 *
 * Build: cc -Iinclude c-examples/demo.c -Lbuild/lib -lswiftgc -o demo
 */
#include <stdio.h>
#include <sys/resource.h>

#include "swiftgc.h"

struct tree_node {
    struct tree_node *left;
    struct tree_node *right;
    long value;
};

struct list_node {
    struct list_node *next;
    long value;
};

/* A complete tree of the given depth. Nothing here says who frees it. */
static struct tree_node *build_tree(int depth, long value) {
    struct tree_node *node = gc_malloc(sizeof *node);
    node->value = value;
    if (depth > 0) {
        node->left = build_tree(depth - 1, 2 * value);
        node->right = build_tree(depth - 1, 2 * value + 1);
    }
    return node;
}

static long sum_tree(const struct tree_node *node) {
    if (node == NULL) return 0;
    return node->value + sum_tree(node->left) + sum_tree(node->right);
}

static struct list_node *build_list(int length) {
    struct list_node *head = NULL;
    for (int index = 0; index < length; index++) {
        struct list_node *node = gc_malloc(sizeof *node);
        node->value = index;
        node->next = head;
        head = node;
    }
    return head;
}

static long list_length(const struct list_node *node) {
    long length = 0;
    for (; node != NULL; node = node->next) length += 1;
    return length;
}

static double mebibytes(unsigned long long bytes) { return (double)bytes / (1 << 20); }

static long peak_resident_kib(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

static void print_row(int round) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    printf("%6d %10.1f %10.1f %12llu %8.1f %8.1f %9.1f\n", round, mebibytes(stats.total_bytes_allocated),
           mebibytes(stats.total_bytes_reclaimed), (unsigned long long)stats.collections,
           mebibytes(stats.heap_size), mebibytes(stats.bytes_in_use), peak_resident_kib() / 1024.0);
}

int main(void) {
    const int rounds = 1000;
    const int long_lived_depth = 15;   /* 65,535 nodes: about 2 MiB that stays live */
    const int short_lived_depth = 12;  /* 8,191 nodes, dropped every round */

    struct tree_node *long_lived = build_tree(long_lived_depth, 1);
    long long_lived_sum = sum_tree(long_lived);

    printf("%6s %10s %10s %12s %8s %8s %9s\n", "round", "allocated", "reclaimed", "collections", "heap",
           "in use", "peak RSS");
    printf("%6s %10s %10s %12s %8s %8s %9s\n", "", "MiB", "MiB", "", "MiB", "MiB", "MiB");
    for (int round = 1; round <= rounds; round++) {
        /* Build, use, forget: no free anywhere. */
        struct tree_node *temporary_tree = build_tree(short_lived_depth, round);
        struct list_node *temporary_list = build_list(1000);
        if (sum_tree(temporary_tree) <= 0 || list_length(temporary_list) != 1000) {
            printf("a temporary structure came back wrong\n");
            return 1;
        }
        if (round % 100 == 0) print_row(round);
    }

    struct gc_stats stats;
    gc_get_stats(&stats);
    int long_lived_intact = sum_tree(long_lived) == long_lived_sum;
    printf("\nallocated %.0f MiB in total while keeping about 2 MiB live;\n", mebibytes(stats.total_bytes_allocated));
    printf("%llu collections reclaimed %.0f MiB; the heap peaked at %.1f MiB; longest pause %.2f ms\n",
           (unsigned long long)stats.collections, mebibytes(stats.total_bytes_reclaimed),
           mebibytes(stats.peak_heap_size), stats.max_pause_ns / 1e6);
    printf("the long-lived tree is %s\n", long_lived_intact ? "intact" : "DAMAGED");
    return long_lived_intact ? 0 : 1;
}
