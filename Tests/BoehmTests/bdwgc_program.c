/*
 * bdwgc_program — a program written only against bdwgc's API (gc.h), used
 * three ways by `make boehm-tests`:
 *   1. compiled with SwiftGC's compatibility headers and linked with
 *      -lswiftgc;
 *   2. compiled with Debian's gc.h and linked with -lgc, run on bdwgc: the
 *      reference output;
 *   3. the same binary run with LD_PRELOAD=libswiftgc.so: its output must be
 *      identical to the reference, and it must really run on SwiftGC.
 * Each line it prints is deterministic on any correct collector (counts are
 * turned into yes/no against generous thresholds, since stray stack words
 * may keep a few objects alive). Which collector ran goes to stderr.
 */
#define GC_THREADS 1
#include <gc.h>
/* GC_gc_no is deprecated in bdwgc's header, but programs still read it. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <gc/gc_mark.h>
#include <gc/gc_typed.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct node {
    struct node *next;
    long value;
};

enum { object_count = 200 };
static int finalized[object_count];
static long finalized_sequence;
static long finalized_at[2 * object_count];

static void count_finalized(void *object, void *data) {
    (void)object;
    finalized[(intptr_t)data] += 1;
}

static void record_order(void *object, void *data) {
    (void)object;
    finalized_at[(intptr_t)data] = ++finalized_sequence;
}

static const char *yes_no(int condition) { return condition ? "yes" : "no"; }

__attribute__((noinline)) static void scrub_stack(void) {
    char buffer[64 * 1024];
    memset(buffer, 0, sizeof buffer);
    __asm__ volatile("" : : "r"(buffer) : "memory");
}

__attribute__((noinline)) static void collect(void) {
    scrub_stack();
    GC_gcollect();
}

__attribute__((noinline)) static struct node *make_list(long count) {
    struct node *head = NULL;
    for (long index = 0; index < count; index++) {
        struct node *node = GC_NEW(struct node);
        node->value = index;
        node->next = head;
        head = node;
    }
    return head;
}

static long sum_list(const struct node *node) {
    long sum = 0;
    for (; node; node = node->next) sum += node->value;
    return sum;
}

__attribute__((noinline)) static void make_finalizable(void) {
    for (intptr_t index = 0; index < object_count; index++) {
        GC_REGISTER_FINALIZER(GC_MALLOC(24), count_finalized, (void *)index, NULL, NULL);
    }
}

__attribute__((noinline)) static void make_pairs(void) {
    for (intptr_t index = 0; index < object_count; index++) {
        void **first = GC_MALLOC(16);
        void **second = GC_MALLOC(16);
        first[0] = second;
        GC_REGISTER_FINALIZER(first, record_order, (void *)index, NULL, NULL);
        GC_REGISTER_FINALIZER(second, record_order, (void *)(object_count + index), NULL, NULL);
    }
}

__attribute__((noinline)) static void link_targets(void **links, void **keep) {
    for (int index = 0; index < object_count; index++) {
        void *target = GC_MALLOC(32);
        links[index] = target;
        GC_GENERAL_REGISTER_DISAPPEARING_LINK(&links[index], target);
        if (index % 2 == 0) keep[index / 2] = target;
    }
}

struct typed_pair {
    void *pointer;
    GC_word number;
};

/* Pointer words keep their targets; number words hold the only copies of
 * other objects' addresses. Weak links in atomic memory tell which died
 * (bdwgc's GC_base answers for free slots too, so it cannot tell). */
__attribute__((noinline)) static void fill_typed(struct typed_pair *pairs, void **links) {
    for (int index = 0; index < object_count; index++) {
        pairs[index].pointer = GC_MALLOC(32);
        void *unreferenced = GC_MALLOC(32);
        pairs[index].number = (GC_word)unreferenced;
        links[2 * index] = pairs[index].pointer;
        links[2 * index + 1] = unreferenced;
        GC_GENERAL_REGISTER_DISAPPEARING_LINK(&links[2 * index], pairs[index].pointer);
        GC_GENERAL_REGISTER_DISAPPEARING_LINK(&links[2 * index + 1], unreferenced);
    }
}

/* An area neither collector scans by itself (anonymous mmap): objects
 * referenced only from it live exactly while the push-other-roots callback
 * pushes it. */
static void **other_roots_area;
static int pushes_other_roots;
static int other_roots_calls;
static GC_word gc_no_in_callback;
static GC_push_other_roots_proc previous_push_other_roots;
/* Exported by libgc.so.1 and by libswiftgc.so; bdwgc's headers do not
 * declare it. */
extern GC_push_other_roots_proc GC_push_other_roots;

static void push_other_roots(void) {
    other_roots_calls += 1;
    gc_no_in_callback = GC_gc_no;
    if (pushes_other_roots) GC_push_all(other_roots_area, other_roots_area + object_count);
    if (previous_push_other_roots) previous_push_other_roots();
}

/* Links (in atomic memory) to objects referenced only from the area. */
static void fill_other_roots_area(void **links) {
    for (int index = 0; index < object_count; index++) {
        other_roots_area[index] = GC_MALLOC(24);
        links[index] = other_roots_area[index];
        GC_GENERAL_REGISTER_DISAPPEARING_LINK(&links[index], other_roots_area[index]);
    }
}

static int count_live_links(void **links) {
    int live = 0;
    for (int index = 0; index < object_count; index++) live += links[index] != NULL;
    return live;
}

static void *thread_body(void *argument) {
    struct node *list = make_list((long)(intptr_t)argument);
    collect();
    return (void *)(intptr_t)sum_list(list);
}

int main(void) {
    GC_INIT();
    printf("init called: %s\n", yes_no(GC_is_init_called()));

    struct node *list = make_list(10000);
    for (int round = 0; round < 3; round++) {
        for (int garbage = 0; garbage < 20000; garbage++) (void)GC_MALLOC(48);
        collect();
    }
    printf("list sum after collections: %ld\n", sum_list(list));

    char *text = GC_MALLOC_ATOMIC(6);
    memcpy(text, "hello", 6);
    text = GC_REALLOC(text, 4096);
    strcat(text, ", world");
    char *copy = GC_STRDUP(text);
    printf("strings: %s / %s\n", copy, GC_strndup(copy, 5));
    printf("base of interior pointer: %s\n", yes_no(GC_base(copy + 3) == copy));
    printf("size covers request: %s\n", yes_no(GC_size(copy) >= strlen(copy) + 1));
    printf("heap pointer: %s, stack pointer: %s\n", yes_no(GC_is_heap_ptr(copy)),
           yes_no(GC_is_heap_ptr(&list)));
    GC_FREE(GC_MALLOC(100));

    GC_word before = GC_get_gc_no();
    collect();
    printf("collection counted: %s\n", yes_no(GC_get_gc_no() > before));
    printf("heap size positive: %s\n", yes_no(GC_get_heap_size() > 0));

    GC_hidden_pointer hidden = GC_HIDE_POINTER(list);
    printf("hide/reveal round trip: %s\n", yes_no(GC_REVEAL_POINTER(hidden) == (void *)list));

    make_finalizable();
    for (int round = 0; round < 3; round++) collect();
    int total = 0, most = 0;
    for (int index = 0; index < object_count; index++) {
        total += finalized[index];
        if (finalized[index] > most) most = finalized[index];
    }
    printf("most finalizers ran: %s, none twice: %s\n", yes_no(total >= object_count * 8 / 10), yes_no(most <= 1));

    make_pairs();
    for (int round = 0; round < 4; round++) collect();
    int wrong = 0, complete = 0;
    for (int index = 0; index < object_count; index++) {
        long first = finalized_at[index], second = finalized_at[object_count + index];
        if (second && (!first || first > second)) wrong += 1;
        if (first && second) complete += 1;
    }
    printf("finalization order respected: %s, most pairs done: %s\n", yes_no(wrong == 0),
           yes_no(complete >= object_count * 8 / 10));

    void **links = GC_MALLOC_ATOMIC(object_count * sizeof(void *));
    void **keep = GC_MALLOC(object_count / 2 * sizeof(void *));
    link_targets(links, keep);
    for (int round = 0; round < 2; round++) collect();
    int kept = 0, cleared = 0;
    for (int index = 0; index < object_count; index++) {
        if (index % 2 == 0) kept += links[index] == keep[index / 2];
        else cleared += links[index] == NULL;
    }
    printf("links to live objects kept: %s, links to dead objects mostly cleared: %s\n",
           yes_no(kept == object_count / 2), yes_no(cleared >= object_count / 2 * 8 / 10));

    GC_word bitmap[GC_BITMAP_SIZE(struct typed_pair)] = {0};
    GC_set_bit(bitmap, GC_WORD_OFFSET(struct typed_pair, pointer));
    GC_descr descriptor = GC_make_descriptor(bitmap, GC_WORD_LEN(struct typed_pair));
    struct typed_pair *typed = GC_calloc_explicitly_typed(object_count, sizeof *typed, descriptor);
    void **typed_links = GC_MALLOC_ATOMIC(2 * object_count * sizeof(void *));
    fill_typed(typed, typed_links);
    for (int round = 0; round < 2; round++) collect();
    int pointers_alive = 0, numbers_reclaimed = 0;
    for (int index = 0; index < object_count; index++) {
        pointers_alive += typed_links[2 * index] == typed[index].pointer;
        numbers_reclaimed += typed_links[2 * index + 1] == NULL;
    }
    printf("typed: pointer words keep targets: %s, number words mostly do not: %s\n",
           yes_no(pointers_alive == object_count), yes_no(numbers_reclaimed >= object_count * 8 / 10));

    other_roots_area = mmap(NULL, object_count * sizeof(void *), PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    void **other_links = GC_MALLOC_ATOMIC(object_count * sizeof(void *));
    previous_push_other_roots = GC_get_push_other_roots();
    GC_set_push_other_roots(push_other_roots);
    pushes_other_roots = 1;
    fill_other_roots_area(other_links);
    for (int round = 0; round < 2; round++) collect();
    int pushed_alive = count_live_links(other_links);
    printf("push-other-roots callback ran: %s, GC_gc_no in it not yet counted: %s, pushed objects kept: %s\n",
           yes_no(other_roots_calls >= 2), yes_no(gc_no_in_callback + 1 == GC_get_gc_no()),
           yes_no(pushed_alive == object_count));
    pushes_other_roots = 0;
    for (int round = 0; round < 2; round++) collect();
    printf("objects no longer pushed mostly reclaimed: %s, GC_gc_no == GC_get_gc_no(): %s\n",
           yes_no(count_live_links(other_links) <= object_count / 5), yes_no(GC_gc_no == GC_get_gc_no()));
    GC_set_push_other_roots(previous_push_other_roots);

    /* The older form: assigning the variable (a runtime linked with libgc
     * does this; under LD_PRELOAD the assignment must reach SwiftGC). */
    pushes_other_roots = 1;
    other_roots_calls = 0;
    fill_other_roots_area(other_links);
    GC_push_other_roots = push_other_roots;
    for (int round = 0; round < 2; round++) collect();
    printf("assigned GC_push_other_roots ran: %s, pushed objects kept: %s\n", yes_no(other_roots_calls >= 2),
           yes_no(count_live_links(other_links) == object_count));
    GC_push_other_roots = previous_push_other_roots;

    pthread_t thread;
    void *result = NULL;
    pthread_create(&thread, NULL, thread_body, (void *)(intptr_t)5000);
    pthread_join(thread, &result);
    printf("thread list sum: %ld\n", (long)(intptr_t)result);
    printf("list still intact: %ld\n", sum_list(list));

    int on_swiftgc = dlsym(RTLD_DEFAULT, "gc_get_stats") != NULL;
    fprintf(stderr, "collector: %s\n", on_swiftgc ? "SwiftGC" : "bdwgc");
    const char *expected = getenv("EXPECT_COLLECTOR");
    if (expected && strcmp(expected, on_swiftgc ? "swiftgc" : "bdwgc") != 0) {
        fprintf(stderr, "expected to run on %s\n", expected);
        return 1;
    }
    return 0;
}
