/*
 * marking.c — mark throughput: how long a forced full collection takes when
 * a large graph of small objects is live, against the memory system's floor.
 *
 * Usage: marking graph LIVE_MIB [COLLECTIONS]   (a collector build)
 *        marking floor LIVE_MIB                 (any build; no allocator used)
 *
 * graph: builds LIVE_MIB worth of 32-byte nodes (LIVE_MIB * 2^20 / 32
 *   nodes), held from one global root: node i points to node i + 1, so all
 *   are reachable, and to two nodes chosen at random. Collects once
 *   untimed, then times COLLECTIONS (default 3) forced full collections
 *   and checks the graph afterwards. Closing line: bench_report.h's
 *   fields, then
 *     shape=graph live_mib= nodes= collections_timed= median_ms= min_ms=
 *     cpu_ms= ns_per_node= mb_per_s= mark_stack_overflows=
 *   cpu_ms is the median CPU time of a collection, all threads (so it
 *   counts helpers' spinning, and it is the steadier figure on a busy
 *   machine with one marker).
 *   mb_per_s is LIVE_MIB / median (so the same figure for every collector,
 *   although bdwgc spends 48 bytes on a 32-byte request).
 *
 * floor: the random-read floor over the same node count. One thread reads
 *   one word of every 32-byte slot of a LIVE_MIB mapping in random order,
 *   following 8 independent chains at a time (each slot holds the index of
 *   the next slot of its chain), so up to 8 misses are in flight, as a
 *   marker with a prefetch queue could have. Done twice: on 4 KiB pages, and
 *   on a 2 MiB-aligned mapping given MADV_HUGEPAGE before it is touched.
 *   Closing line:
 *     shape=floor live_mib= nodes= ns_per_node_4k= ns_per_node_huge=
 *     huge_kib=   (AnonHugePages of the huge mapping, from smaps_rollup)
 *
 * Build with -DSWIFTGC or -DBDWGC (floor also builds with -DMALLOC);
 * marking.sh runs it.
 */
#include "bench_allocator.h"
#include "bench_report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(SWIFTGC)
#define collect_now() gc_collect()
static uint64_t mark_stack_overflows(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.mark_stack_overflows;
}
#elif defined(BDWGC)
#define collect_now() GC_gcollect()
static uint64_t mark_stack_overflows(void) { return 0; } /* bdwgc does not count them */
#endif

/* 32 bytes: three links and a value. */
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
        fprintf(stderr, "marking: FAILED: mmap of %zu bytes\n", bytes);
        exit(1);
    }
    return memory;
}

#if !defined(MALLOC)
/* CPU seconds this process has used, all threads, user and system. */
static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
}

static int compare_doubles(const void *left, const void *right) {
    double a = *(const double *)left, b = *(const double *)right;
    return (a > b) - (a < b);
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

/* Walks the chain; true if every node is there and its links point at nodes. */
static int graph_is_intact(size_t count) {
    size_t seen = 0;
    for (const struct node *node = live_root; node; node = node->link[0], seen++) {
        if (node->value != seen || node->link[1]->value >= count || node->link[2]->value >= count) return 0;
    }
    return seen == count;
}

static void run_graph(size_t live_mib, int timed) {
    size_t count = live_mib * ((size_t)1 << 20) / sizeof(struct node);
    double started = monotonic_seconds();
    build_graph(count);
    collect_now();
    uint64_t overflows_before = mark_stack_overflows();
    double *durations = map_or_die(2 * (size_t)timed * sizeof *durations);
    double *cpu_durations = durations + timed;
    for (int round = 0; round < timed; round++) {
        double before = monotonic_seconds(), cpu_before = cpu_seconds();
        collect_now();
        durations[round] = monotonic_seconds() - before;
        cpu_durations[round] = cpu_seconds() - cpu_before;
    }
    uint64_t overflows = mark_stack_overflows() - overflows_before;
    if (!graph_is_intact(count)) {
        fprintf(stderr, "marking: FAILED: the graph came back damaged\n");
        exit(1);
    }
    qsort(durations, (size_t)timed, sizeof *durations, compare_doubles);
    qsort(cpu_durations, (size_t)timed, sizeof *durations, compare_doubles);
    double median = durations[timed / 2];
    char extra[360];
    snprintf(extra, sizeof extra,
             " shape=graph live_mib=%zu nodes=%zu collections_timed=%d median_ms=%.1f min_ms=%.1f"
             " cpu_ms=%.1f ns_per_node=%.1f mb_per_s=%.1f mark_stack_overflows=%" PRIu64,
             live_mib, count, timed, median * 1e3, durations[0] * 1e3, cpu_durations[timed / 2] * 1e3,
             median * 1e9 / (double)count,
             (double)live_mib / median, overflows / (uint64_t)timed);
    print_closing_line(monotonic_seconds() - started, extra);
}
#endif

/* One pass of 8 interleaved chains over `count` 32-byte slots; ns per slot. */
static double random_read_pass(uint64_t *slots, size_t count) {
    enum { streams = 8, stride = 4 }; /* 4 words = one 32-byte slot */
    /* A random order of the slots, then each slot holds the next slot of its
     * chain: order[k] -> order[k + streams]. */
    uint32_t *order = map_or_die(count * sizeof *order);
    for (size_t position = 0; position < count; position++) order[position] = (uint32_t)position;
    uint64_t random_state = 9;
    for (size_t position = count - 1; position > 0; position--) {
        size_t other = random_next(&random_state) % (position + 1);
        uint32_t saved = order[position];
        order[position] = order[other];
        order[other] = saved;
    }
    for (size_t position = 0; position < count; position++) {
        size_t next = position + streams;
        slots[(size_t)order[position] * stride] = next < count ? order[next] : order[position % streams];
    }
    uint64_t cursor[streams];
    for (int stream = 0; stream < streams; stream++) cursor[stream] = order[stream];
    munmap(order, count * sizeof *order);
    size_t steps = count / streams;
    double before = monotonic_seconds();
    for (size_t step = 0; step < steps; step++) {
        for (int stream = 0; stream < streams; stream++) cursor[stream] = slots[cursor[stream] * stride];
    }
    double elapsed = monotonic_seconds() - before;
    uint64_t sum = 0;
    for (int stream = 0; stream < streams; stream++) sum += cursor[stream];
    if (sum == UINT64_MAX) printf("unlikely\n"); /* keeps the loop */
    return elapsed * 1e9 / (double)(steps * streams);
}

/* AnonHugePages of the whole process, in KiB. */
static long anonymous_huge_kib(void) {
    FILE *file = fopen("/proc/self/smaps_rollup", "r");
    if (!file) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, file)) {
        if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) break;
    }
    fclose(file);
    return kib;
}

static void run_floor(size_t live_mib) {
    size_t count = live_mib * ((size_t)1 << 20) / sizeof(struct node);
    size_t bytes = count * sizeof(struct node);
    double started = monotonic_seconds();

    uint64_t *small_pages = map_or_die(bytes);
    madvise(small_pages, bytes, MADV_NOHUGEPAGE);
    double small_ns = random_read_pass(small_pages, count);
    munmap(small_pages, bytes);

    size_t huge = (size_t)2 << 20;
    char *reserved = map_or_die(bytes + huge);
    uint64_t *huge_pages = (uint64_t *)(((uintptr_t)reserved + huge - 1) & ~(uintptr_t)(huge - 1));
    madvise(huge_pages, bytes, MADV_HUGEPAGE);
    double huge_ns = random_read_pass(huge_pages, count);
    long huge_kib = anonymous_huge_kib();
    munmap(reserved, bytes + huge);

    char extra[200];
    snprintf(extra, sizeof extra, " shape=floor live_mib=%zu nodes=%zu ns_per_node_4k=%.1f ns_per_node_huge=%.1f huge_kib=%ld",
             live_mib, count, small_ns, huge_ns, huge_kib);
    print_closing_line(monotonic_seconds() - started, extra);
}

int main(int argc, char **argv) {
    long live_mib = argc >= 3 ? strtol(argv[2], NULL, 10) : 0;
    int timed = argc >= 4 ? (int)strtol(argv[3], NULL, 10) : 3;
    if (argc < 3 || live_mib <= 0 || live_mib > 65536 || timed <= 0 || timed > 100) {
        fprintf(stderr, "usage: marking graph|floor LIVE_MIB [COLLECTIONS]\n");
        return 2;
    }
    allocator_start();
    if (strcmp(argv[1], "floor") == 0) {
        run_floor((size_t)live_mib);
        return 0;
    }
#if !defined(MALLOC)
    if (strcmp(argv[1], "graph") == 0) {
        run_graph((size_t)live_mib, timed);
        return 0;
    }
#endif
    fprintf(stderr, "marking: unknown shape '%s'\n", argv[1]);
    return 2;
}
