/*
 * cargo.h — live objects that can tell whether they were lost: for tests
 * that move pointers around while collections run.
 *
 * A cargo is a short linked list of collected nodes. Every word of a node
 * derives from its tag, which names the cargo (an owner, a cargo number, a
 * generation that grows each time the cargo is rebuilt) and the node's
 * position; the tag also decides the node's size, now and then that of a
 * large object. cargo_fault walks a list and asks gc_base and gc_size about
 * each node before reading it: a reclaimed node is no longer a live object,
 * a reused one has lost its pattern. So a lost cargo is reported, not
 * followed into a crash.
 *
 *   node: | next | tag | pattern_word(tag, 0) | pattern_word(tag, 1) | ...
 *         0      8     16                     up to cargo_node_size(tag)
 */
#ifndef SWIFTGC_TESTS_CARGO_H
#define SWIFTGC_TESTS_CARGO_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "garbage.h"
#include "swiftgc.h"

struct cargo_node {
    struct cargo_node *next;
    uint64_t tag;
    uint64_t words[];
};

/* owner < 256, cargo < 256, index < 256; the generation keeps 40 bits. */
static inline uint64_t cargo_tag(unsigned owner, unsigned cargo, uint64_t generation, unsigned index) {
    return (uint64_t)owner << 56 | (uint64_t)cargo << 48 | (generation & 0xffffffffffu) << 8 | index;
}

static inline uint64_t cargo_pattern_word(uint64_t tag, size_t word) {
    uint64_t state = tag * 0x100000001b3u + word;
    return random_next(&state);
}

/* Mostly small nodes; in about one cargo in 40, node 2 is a large object. */
static inline size_t cargo_node_size(uint64_t tag) {
    static const size_t sizes[] = { 32, 48, 64, 96, 256, 1024 };
    uint64_t mixed = cargo_pattern_word(tag, 1u << 20);
    if ((tag & 0xff) == 2 && mixed % 40 == 0) return 40000;
    return sizes[mixed % (sizeof sizes / sizeof sizes[0])];
}

/* Allocates the cargo's nodes, last first, and returns its head. */
__attribute__((noinline, unused)) static struct cargo_node *cargo_build(unsigned owner, unsigned cargo,
                                                                       uint64_t generation, unsigned nodes) {
    struct cargo_node *head = NULL;
    for (unsigned index = nodes; index-- > 0;) {
        uint64_t tag = cargo_tag(owner, cargo, generation, index);
        size_t size = cargo_node_size(tag);
        struct cargo_node *node = gc_malloc(size);
        if (node == NULL) abort();
        node->tag = tag;
        for (size_t word = 0; word < (size - sizeof *node) / 8; word++) {
            node->words[word] = cargo_pattern_word(tag, word);
        }
        node->next = head;
        head = node;
    }
    return head;
}

static inline int cargo_node_is_intact(const struct cargo_node *node, uint64_t tag) {
    if (node->tag != tag) return 0;
    for (size_t word = 0; word < (cargo_node_size(tag) - sizeof *node) / 8; word++) {
        if (node->words[word] != cargo_pattern_word(tag, word)) return 0;
    }
    return 1;
}

/* NULL if the cargo starting at head is whole and intact; otherwise what is
 * wrong, with the position and address of the node concerned. */
__attribute__((unused)) static const char *cargo_fault(const struct cargo_node *head, unsigned owner, unsigned cargo,
                                                       uint64_t generation, unsigned nodes, unsigned *faulty_index,
                                                       const struct cargo_node **faulty_node) {
    const struct cargo_node *node = head;
    const char *fault = NULL;
    unsigned index = 0;
    for (; index < nodes && fault == NULL; index++) {
        uint64_t tag = cargo_tag(owner, cargo, generation, index);
        if (node == NULL) {
            fault = "ends the list early";
        } else if (gc_base(node) != node || gc_size(node) < cargo_node_size(tag)) {
            /* The node came from a checked link, so it lies in the heap and can be read. */
            fault = cargo_node_is_intact(node, tag)
                ? "is not a live object for gc_base or gc_size (contents intact: reclaimed, not yet reused)"
                : "is no longer a live object (reclaimed)";
        } else if (!cargo_node_is_intact(node, tag)) {
            fault = "has lost its tag or pattern (reclaimed and reused)";
        }
        if (fault == NULL) node = node->next;
    }
    if (fault != NULL) index -= 1;
    else if (node != NULL) fault = "follows the last node (the list is too long)";
    *faulty_index = index;
    *faulty_node = node;
    return fault;
}

#endif
