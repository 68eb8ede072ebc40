/*
 * test_stack_roots — objects reachable only from the current thread's stack
 * frames and registers survive collections.
 *
 * A recursion several frames deep allocates, at each level, two linked lists
 * and keeps the only pointer to each head in a local: one volatile, so it
 * lives in the frame's memory, and one ordinary, which the compiler is free
 * to keep in a callee-saved register. The deepest frame allocates heavily and
 * collects many times; on the way back up every frame checks its lists node
 * by node against checksums.
 *
 * A second part keeps a list head in a local that a tight allocating loop
 * uses on every iteration, so it stays in a register across gc_malloc calls
 * and the collections they trigger.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum {
    frame_depth = 6,
    list_length = 1000,
    collection_rounds = 50,
    garbage_per_round = 4 << 20,
    register_loop_iterations = 2000000,
};

struct list_node {
    struct list_node *next;
    uint64_t index;
    uint64_t checksum;      /* of payload */
    unsigned char payload[40];
};

static uint64_t seed_for(int depth, int which) {
    return 0x5eed0000u + (uint64_t)depth * 16 + (uint64_t)which;
}

/* Builds the list from its tail, so node i holds index i counting from the head. */
__attribute__((noinline)) static struct list_node *build_list(uint64_t seed) {
    struct list_node *head = NULL;
    for (uint64_t index = list_length; index-- > 0;) {
        struct list_node *node = gc_malloc(sizeof *node);
        node->next = head;
        node->index = index;
        fill_from_seed(node->payload, sizeof node->payload, seed ^ (index << 20));
        node->checksum = checksum_of(node->payload, sizeof node->payload);
        head = node;
    }
    return head;
}

/* Counts nodes that are missing, out of order, or changed. It stops at a node
 * that is not a live object, so a lost list is reported, not followed into a crash. */
static size_t count_damaged_nodes(const struct list_node *head, uint64_t seed) {
    size_t damaged = 0;
    uint64_t expected_index = 0;
    const struct list_node *node = head;
    for (; node != NULL && expected_index < list_length; node = node->next, expected_index++) {
        if (gc_base(node) != node) break;
        unsigned char expected_payload[sizeof node->payload];
        fill_from_seed(expected_payload, sizeof expected_payload, seed ^ (expected_index << 20));
        if (node->index != expected_index
            || node->checksum != checksum_of(expected_payload, sizeof expected_payload)
            || memcmp(node->payload, expected_payload, sizeof expected_payload) != 0) {
            damaged += 1;
        }
    }
    damaged += list_length - expected_index;
    if (node != NULL && expected_index == list_length) damaged += 1; /* the list should have ended here */
    return damaged;
}

__attribute__((noinline)) static void hold_in_frames(int depth) {
    struct list_node *volatile held_in_memory = build_list(seed_for(depth, 0));
    struct list_node *held_anywhere = build_list(seed_for(depth, 1));

    if (depth < frame_depth) {
        hold_in_frames(depth + 1);
    } else {
        struct gc_stats before, after;
        gc_get_stats(&before);
        for (int round = 0; round < collection_rounds; round++) {
            allocate_garbage(garbage_per_round);
            gc_collect();
        }
        gc_get_stats(&after);
        CHECK(after.collections >= before.collections + collection_rounds,
              "at least %d collections while the frames were held, saw %llu",
              collection_rounds, (unsigned long long)(after.collections - before.collections));
    }

    size_t damaged_in_memory = count_damaged_nodes(held_in_memory, seed_for(depth, 0));
    size_t damaged_anywhere = count_damaged_nodes(held_anywhere, seed_for(depth, 1));
    CHECK(damaged_in_memory == 0,
          "the list held by a volatile local %d frames deep to be intact, %zu of %d nodes damaged",
          depth, damaged_in_memory, list_length);
    CHECK(damaged_anywhere == 0,
          "the list held by an ordinary local %d frames deep to be intact, %zu of %d nodes damaged",
          depth, damaged_anywhere, list_length);
}

__attribute__((noinline)) static void hold_in_register(void) {
    struct list_node *head = build_list(seed_for(99, 0));
    uint64_t index_sum = 0;
    for (int iteration = 0; iteration < register_loop_iterations; iteration++) {
        unsigned char *garbage = gc_malloc(16 + (size_t)(iteration % 256));
        garbage[0] = (unsigned char)iteration;
        /* Using head on every iteration keeps it in a register across calls. */
        index_sum += head->index + head->next->index;
        if (iteration % 200000 == 0) gc_collect();
    }
    CHECK(index_sum == (uint64_t)register_loop_iterations,
          "the head and second node to keep indices 0 and 1 throughout the loop, index sum %llu",
          (unsigned long long)index_sum);
    size_t damaged = count_damaged_nodes(head, seed_for(99, 0));
    CHECK(damaged == 0,
          "the list held in a register-resident local to be intact, %zu of %d nodes damaged",
          damaged, list_length);
}

int main(void) {
    hold_in_frames(1);
    hold_in_register();
    struct gc_stats stats;
    gc_get_stats(&stats);
    CHECK(stats.total_bytes_reclaimed > 0, "collections to reclaim the garbage, reclaimed %llu bytes",
          (unsigned long long)stats.total_bytes_reclaimed);
    return check_finish();
}
