/*
 * latency.c — how long a single allocation call can take while a large
 * structure stays live: the pause a collection inflicts on a thread that
 * only allocates. For the collectors only (SwiftGC and bdwgc).
 *
 * Usage: latency graph|tree LIVE_MIB ALLOCATION_MIB [incremental]
 *
 *  1. Builds LIVE_MIB of 32-byte nodes held from one global root: either a
 *     random graph (node i points to node i + 1, so that all are reachable,
 *     and to two nodes chosen at random) or a balanced binary tree (the
 *     deepest that fits). Then collects once, so that every variant starts
 *     the timed phase just after a collection.
 *  2. The timed phase: allocates ALLOCATION_MIB more in 32-byte nodes,
 *     linked into lists of 1 to 8 and dropped, and times every allocation
 *     call with clock_gettime(CLOCK_MONOTONIC) (two vDSO reads, about
 *     40 ns, are part of each figure). The durations go to an array from
 *     mmap (not the collected heap), touched beforehand.
 *  3. Checks the live structure (every node reachable and unchanged), and
 *     prints the closing line: bench_report.h's fields, then
 *       shape= live_mib= calls= max_ns= p999_ns= p99_ns= over_10ms=
 *       mb_per_s= phase_seconds= phase_peak_rss_kib= collections_in_phase=
 *       under_100us= under_1ms= under_10ms= under_100ms= under_1s= over_1s=
 *     phase_peak_rss_kib is the peak resident set during the timed phase
 *     (VmHWM after writing 5 to /proc/self/clear_refs), less the duration
 *     array; 0 if the kernel refused the reset.
 *
 * "incremental" calls GC_enable_incremental() after GC_INIT() (bdwgc only;
 * SwiftGC's variants are chosen with SWIFTGC_* variables). Build with
 * -DSWIFTGC or -DBDWGC, as run.sh does; latency.sh runs it.
 */
#include "bench_allocator.h"
#include "bench_report.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#if defined(MALLOC)
#error "latency.c needs a collector: build with -DSWIFTGC or -DBDWGC"
#endif

#if defined(SWIFTGC)
#define collect_now() gc_collect()
static uint64_t collection_count(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.collections;
}
#else
#define collect_now() GC_gcollect()
static uint64_t collection_count(void) { return GC_get_gc_no(); }
#endif

/* 32 bytes: a graph node uses three links, a tree node the first two. */
struct node {
    struct node *link[3];
    uint64_t value;
};

static struct node *volatile live_root;

static uint64_t random_next(uint64_t *state) {
    uint64_t mixed = (*state += 0x9e3779b97f4a7c15u);
    mixed = (mixed ^ (mixed >> 30)) * 0xbf58476d1ce4e5b9u;
    mixed = (mixed ^ (mixed >> 27)) * 0x94d049bb133111ebu;
    return mixed ^ (mixed >> 31);
}

static void *map_or_die(size_t bytes) {
    void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
        fprintf(stderr, "latency: FAILED: mmap of %zu bytes\n", bytes);
        exit(1);
    }
    return memory;
}

/* The chain keeps every node reachable while it is built; the index of
 * addresses, in unscanned memory, only serves to pick random targets. */
static void build_graph(size_t count) {
    struct node **index = map_or_die(count * sizeof *index);
    struct node *tail = NULL;
    for (size_t position = 0; position < count; position++) {
        struct node *node = allocate_object(sizeof *node);
        node->value = position;
        if (tail) tail->link[0] = node; else live_root = node;
        index[position] = tail = node;
    }
    uint64_t random_state = 42;
    for (size_t position = 0; position < count; position++) {
        index[position]->link[1] = index[random_next(&random_state) % count];
        index[position]->link[2] = index[random_next(&random_state) % count];
    }
    munmap(index, count * sizeof *index);
}

static struct node *build_tree(int depth, uint64_t *counter) {
    struct node *node = allocate_object(sizeof *node);
    node->value = (*counter)++;
    if (depth > 0) {
        node->link[0] = build_tree(depth - 1, counter);
        node->link[1] = build_tree(depth - 1, counter);
    }
    return node;
}

/* Walks the graph's chain (its random links are checked to point at nodes
 * of the chain's values) or the whole tree; returns the nodes seen. */
static size_t check_structure(int is_graph, size_t count) {
    size_t seen = 0;
    if (is_graph) {
        for (const struct node *node = live_root; node; node = node->link[0], seen++) {
            if (node->value != seen || node->link[1]->value >= count || node->link[2]->value >= count) return 0;
        }
        return seen;
    }
    const struct node *stack[64];
    int depth = 0;
    stack[depth++] = live_root;
    uint64_t sum = 0;
    while (depth > 0) {
        const struct node *node = stack[--depth];
        seen += 1;
        sum += node->value;
        if (node->link[0]) stack[depth++] = node->link[0];
        if (node->link[1]) stack[depth++] = node->link[1];
    }
    return sum == (uint64_t)seen * (seen - 1) / 2 ? seen : 0;
}

/* Resets the peak resident set (VmHWM); false if the kernel refuses. */
static int reset_peak_resident(void) {
    int descriptor = open("/proc/self/clear_refs", O_WRONLY);
    if (descriptor < 0) return 0;
    int written = write(descriptor, "5", 1) == 1;
    close(descriptor);
    return written;
}

static long resident_peak_kib(void) {
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    long kib = 0;
    while (status && fgets(line, sizeof line, status)) {
        if (strncmp(line, "VmHWM:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    }
    if (status) fclose(status);
    return kib;
}

/* The value of the given rank (0-based) among count durations: a count by
 * the top 16 bits, then by the low 16 bits within the bucket found. */
static uint32_t duration_at_rank(const uint32_t *durations, size_t count, size_t rank) {
    static size_t buckets[65536];
    memset(buckets, 0, sizeof buckets);
    for (size_t call = 0; call < count; call++) buckets[durations[call] >> 16] += 1;
    uint32_t high = 0;
    while (rank >= buckets[high]) rank -= buckets[high++];
    memset(buckets, 0, sizeof buckets);
    for (size_t call = 0; call < count; call++) {
        if (durations[call] >> 16 == high) buckets[durations[call] & 0xffff] += 1;
    }
    uint32_t low = 0;
    while (rank >= buckets[low]) rank -= buckets[low++];
    return high << 16 | low;
}

static uint64_t nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

int main(int argc, char **argv) {
    double start = monotonic_seconds();
    if (argc < 4 || (strcmp(argv[1], "graph") != 0 && strcmp(argv[1], "tree") != 0)) {
        fprintf(stderr, "usage: latency graph|tree LIVE_MIB ALLOCATION_MIB [incremental]\n");
        return 2;
    }
    int is_graph = strcmp(argv[1], "graph") == 0;
    size_t live_mib = strtoull(argv[2], NULL, 10), allocation_mib = strtoull(argv[3], NULL, 10);
    allocator_start();
#if defined(BDWGC)
    if (argc > 4 && strcmp(argv[4], "incremental") == 0) GC_enable_incremental();
#endif
    size_t live_bytes = live_mib << 20, node_count;
    if (is_graph) {
        node_count = live_bytes / sizeof(struct node);
        build_graph(node_count);
    } else {
        int depth = 0;
        /* The deepest complete tree that fits: 2^(depth+1) - 1 nodes. */
        while (((size_t)4 << depth) * sizeof(struct node) <= live_bytes) depth++;
        uint64_t counter = 0;
        live_root = build_tree(depth, &counter);
        node_count = counter;
    }
    collect_now();

    size_t calls = (allocation_mib << 20) / sizeof(struct node);
    uint32_t *durations = map_or_die(calls * sizeof *durations);
    memset(durations, 0, calls * sizeof *durations);
    int has_phase_peak = reset_peak_resident();
    uint64_t collections_before = collection_count(), longest = 0;
    uint64_t random_state = 7;
    struct node *list = NULL;
    unsigned list_length = 0, list_limit = 1;
    double phase_start = monotonic_seconds();
    for (size_t call = 0; call < calls; call++) {
        uint64_t before = nanoseconds();
        struct node *node = allocate_object(sizeof *node);
        uint64_t duration = nanoseconds() - before;
        durations[call] = duration > UINT32_MAX ? UINT32_MAX : (uint32_t)duration;
        if (duration > longest) longest = duration;
        node->link[0] = list;
        node->value = call;
        list = node;
        if (++list_length == list_limit) {
            list = NULL;
            list_length = 0;
            list_limit = 1 + (unsigned)(random_next(&random_state) % 8);
        }
    }
    double phase_seconds = monotonic_seconds() - phase_start;
    long phase_peak_kib = has_phase_peak ? resident_peak_kib() - (long)(calls * sizeof *durations / 1024) : 0;
    uint64_t collections_in_phase = collection_count() - collections_before;

    size_t seen = check_structure(is_graph, node_count);
    if (seen != node_count) {
        fprintf(stderr, "latency: FAILED: the live %s has %zu intact nodes, expected %zu\n", argv[1], seen, node_count);
        return 1;
    }
    static const uint64_t limits[] = { 100000, 1000000, 10000000, 100000000, 1000000000 };
    size_t histogram[6] = { 0 }, over_10ms = 0;
    for (size_t call = 0; call < calls; call++) {
        int bucket = 0;
        while (bucket < 5 && durations[call] >= limits[bucket]) bucket++;
        histogram[bucket] += 1;
        if (durations[call] > 10000000) over_10ms += 1;
    }
    uint32_t p999 = duration_at_rank(durations, calls, calls - 1 - calls / 1000);
    uint32_t p99 = duration_at_rank(durations, calls, calls - 1 - calls / 100);
    char fields[1024];
    snprintf(fields, sizeof fields,
             " shape=%s live_mib=%zu calls=%zu max_ns=%" PRIu64 " p999_ns=%u p99_ns=%u over_10ms=%zu"
             " mb_per_s=%.1f phase_seconds=%.3f phase_peak_rss_kib=%ld collections_in_phase=%" PRIu64
             " under_100us=%zu under_1ms=%zu under_10ms=%zu under_100ms=%zu under_1s=%zu over_1s=%zu",
             argv[1], live_mib, calls, longest, p999, p99, over_10ms,
             (double)(calls * sizeof(struct node)) / 1e6 / phase_seconds, phase_seconds, phase_peak_kib,
             collections_in_phase, histogram[0], histogram[1], histogram[2], histogram[3], histogram[4],
             histogram[5]);
    munmap(durations, calls * sizeof *durations);
    print_closing_line(monotonic_seconds() - start, fields);
    return 0;
}
