/*
 * test_checksums — a large random object graph keeps every byte through 200
 * collections with garbage and mutation in between.
 *
 * About 100,000 graph nodes form a tree (node i's children are 3i+1..3i+3)
 * plus one random cross edge each, which makes cycles; only the root is held
 * by a local. Every node owns a data block of random size from 16 bytes to
 * 64 KiB, some scanned and some atomic, filled from the node's index and the
 * seed and guarded by a checksum. Each round replaces some data blocks (the
 * old ones become garbage), allocates other garbage, and collects. The whole
 * graph is verified every 50 rounds.
 *
 * The seed is printed; pass it as the only argument to repeat a run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum {
    node_count = 100000,
    children_per_node = 3,
    collection_rounds = 200,
    replacements_per_round = 200,
    verify_every = 50,
};

struct graph_node {
    uint64_t index;
    uint64_t cross_target_index;
    uint64_t data_seed;
    uint64_t data_size;
    uint64_t data_checksum;
    unsigned char *data;
    struct graph_node *children[children_per_node];
    struct graph_node *cross_edge;
};

static uint64_t run_seed;

/* Mostly small blocks, some medium, a few up to 64 KiB. */
static size_t random_data_size(uint64_t *random_state) {
    uint64_t choice = random_next(random_state) % 100;
    if (choice < 90) return random_between(random_state, 16, 256);
    if (choice < 99) return random_between(random_state, 257, 4096);
    return random_between(random_state, 4097, 65536);
}

/* Gives node a fresh data block; a previous one becomes garbage. */
static void replace_data(struct graph_node *node, uint64_t generation, uint64_t *random_state) {
    size_t size = random_data_size(random_state);
    int is_atomic = random_next(random_state) % 2;
    unsigned char *data = is_atomic ? gc_malloc_atomic(size) : gc_malloc(size);
    node->data_seed = run_seed ^ (node->index << 24) ^ generation;
    fill_from_seed(data, size, node->data_seed);
    node->data_size = size;
    node->data_checksum = checksum_of(data, size);
    node->data = data;
}

/* Builds the graph; nodes are attached to their parent as soon as they exist,
 * so the root alone keeps everything reachable. The table of hidden node
 * addresses lets the test pick random nodes without holding real pointers. */
__attribute__((noinline)) static struct graph_node *build_graph(uintptr_t *hidden_nodes, uint64_t *random_state) {
    struct graph_node *root = NULL;
    for (uint64_t index = 0; index < node_count; index++) {
        struct graph_node *node = gc_malloc(sizeof *node);
        node->index = index;
        replace_data(node, 0, random_state);
        hide_address(hidden_nodes, index, node);
        if (index == 0) {
            root = node;
        } else {
            struct graph_node *parent = reveal_address(hidden_nodes, (index - 1) / children_per_node);
            parent->children[(index - 1) % children_per_node] = node;
        }
    }
    for (uint64_t index = 0; index < node_count; index++) {
        struct graph_node *node = reveal_address(hidden_nodes, index);
        node->cross_target_index = random_between(random_state, 0, node_count - 1);
        node->cross_edge = reveal_address(hidden_nodes, node->cross_target_index);
    }
    return root;
}

/* Counts correct nodes under node; a wrong node's subtree is not entered. */
static uint64_t count_correct_nodes(const struct graph_node *node, uint64_t index) {
    if (node == NULL || gc_base(node) != node || node->index != index) return 0;
    int is_correct = gc_base(node->data) == node->data
        && checksum_of(node->data, node->data_size) == node->data_checksum
        && node->cross_edge != NULL && gc_base(node->cross_edge) == node->cross_edge
        && node->cross_edge->index == node->cross_target_index;
    if (is_correct) {
        /* Recompute from the seed too, so a checksum overwritten along with the data is caught. */
        unsigned char *expected = malloc(node->data_size);
        fill_from_seed(expected, node->data_size, node->data_seed);
        is_correct = memcmp(expected, node->data, node->data_size) == 0;
        free(expected);
    }
    uint64_t correct = is_correct ? 1 : 0;
    for (uint64_t child = 0; child < children_per_node; child++) {
        uint64_t child_index = index * children_per_node + 1 + child;
        if (child_index < node_count) correct += count_correct_nodes(node->children[child], child_index);
    }
    return correct;
}

int main(int argc, char **argv) {
    run_seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    printf("seed %llu (repeat with: test_checksums %llu)\n",
           (unsigned long long)run_seed, (unsigned long long)run_seed);
    uint64_t random_state = run_seed;
    uintptr_t *hidden_nodes = hidden_table_create(node_count);
    struct graph_node *root = build_graph(hidden_nodes, &random_state);

    for (int round = 1; round <= collection_rounds; round++) {
        for (int replacement = 0; replacement < replacements_per_round; replacement++) {
            size_t index = random_between(&random_state, 0, node_count - 1);
            replace_data(reveal_address(hidden_nodes, index), (uint64_t)round, &random_state);
        }
        allocate_garbage(1 << 20);
        collect_with_clean_stack();
        if (round % verify_every == 0) {
            uint64_t correct = count_correct_nodes(root, 0);
            CHECK(correct == node_count, "all %d nodes and their data intact after %d collections, %llu were "
                  "(seed %llu)", node_count, round, (unsigned long long)correct, (unsigned long long)run_seed);
        }
    }

    struct gc_stats stats;
    gc_get_stats(&stats);
    printf("%llu collections, %llu MiB allocated, %llu MiB in use after the last one\n",
           (unsigned long long)stats.collections, (unsigned long long)(stats.total_bytes_allocated >> 20),
           (unsigned long long)(stats.bytes_in_use >> 20));
    hidden_table_destroy(hidden_nodes, node_count);
    return check_finish();
}
