/*
 * test_no_malloc — the collector never calls malloc at run time.
 *
 * `make check-no-malloc` proves statically that libswiftgc.so references no
 * malloc-family function. This test checks the run-time half: the program
 * defines malloc, free and the rest of the family itself (so they take
 * precedence over libc's for every caller in the process, the library
 * included) and counts calls while it works the collector hard.
 *
 * What is asserted, precisely: after the collector is initialised and this
 * thread is registered (the first gc_malloc and gc_collect), allocation of
 * every kind, realloc, free, root registration, finalizers, weak links,
 * statistics and collections call no malloc-family function, from any code:
 * the collector's or libc's on its behalf. Initialisation itself is not
 * covered: it asks libc about the main thread's stack
 * (pthread_getattr_np), which may allocate inside libc. Nor is the start of
 * the marking helper threads, once per process: pthread_create allocates
 * the new thread's TLS vector inside libc. The test asks for a helper
 * (SWIFTGC_MARKERS=2) and lets it start before the window, so the
 * collections counted are parallel ones.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "swiftgc.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);

static volatile int is_counting;
static volatile long counted_calls;

static void count_call(void) {
    if (is_counting) counted_calls += 1;
}

void *malloc(size_t size) { count_call(); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { count_call(); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { count_call(); return __libc_realloc(pointer, size); }
void free(void *pointer) { count_call(); __libc_free(pointer); }
void *memalign(size_t alignment, size_t size) { count_call(); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { count_call(); return __libc_memalign(alignment, size); }
int posix_memalign(void **out, size_t alignment, size_t size) {
    count_call();
    void *block = __libc_memalign(alignment, size);
    if (block == NULL) return ENOMEM;
    *out = block;
    return 0;
}

static int finalized_count;
static void count_finalization(void *object, void *data) {
    (void)object;
    (void)data;
    finalized_count += 1;
}

struct node {
    struct node *next;
    uintptr_t value;
};

static void *root_slots[64];

int main(void) {
    /* Initialisation and the helper's start, outside the counted window:
     * the first collection asks for the helper, gc_collect starts it as it
     * returns. */
    setenv("SWIFTGC_MARKERS", "2", 1);
    void *first = gc_malloc(16);
    gc_collect();
    gc_collect();
    CHECK(first != NULL, "the first allocation to succeed");
    printf("counting malloc calls while the collector works\n");
    fflush(stdout);

    is_counting = 1;
    struct node *list = NULL;
    int list_length = 0;
    void *weak_target = gc_malloc(32);
    static void *weak_link;
    gc_register_weak_link(&weak_link, weak_target);
    weak_target = NULL;
    gc_add_roots(root_slots, root_slots + 64);
    for (int round = 0; round < 200000; round++) {
        size_t size = (size_t)(round * 7919 % 3000) + 1;
        switch (round % 7) {
        case 0: {
            struct node *node = gc_malloc(sizeof *node);
            node->next = list;
            node->value = (uintptr_t)round;
            list = node;
            list_length += 1;
            break;
        }
        case 1: memset(gc_malloc_atomic(size), 1, size); break;
        case 2: root_slots[round % 64] = gc_calloc(2, size); break;
        case 3: root_slots[round % 64] = gc_realloc(root_slots[round % 64], size * 2); break;
        case 4: gc_free(gc_malloc(size)); break;
        case 5: if (round % 997 == 5) gc_register_finalizer(gc_malloc(64), count_finalization, NULL); break;
        default: if (round % 50000 == 6) (void)gc_malloc(300000); break;
        }
        if (round % 20000 == 19999) gc_collect();
    }
    struct gc_stats stats;
    gc_get_stats(&stats);
    gc_collect();
    gc_run_finalizers();
    gc_remove_roots(root_slots, root_slots + 64);
    gc_collect();
    long calls = counted_calls;
    is_counting = 0;

    int intact = 1;
    int length = 0;
    for (struct node *node = list; node != NULL; node = node->next) length += 1;
    intact = length == list_length;
    /* The counter sees libc's own calls too: fopen allocates its FILE. */
    is_counting = 1;
    FILE *file = fopen("/proc/self/maps", "r");
    if (file != NULL) fclose(file);
    long libc_calls = counted_calls - calls;
    is_counting = 0;
    CHECK(libc_calls > 0, "fopen inside libc to be counted (the interposition works)");
    CHECK(calls == 0, "no malloc-family call while allocating and collecting, got %ld", calls);
    CHECK(intact, "the list of %d nodes to survive, found %d", list_length, length);
    CHECK(stats.collections >= 10, "at least 10 collections in the window, got %llu",
          (unsigned long long)stats.collections);
    CHECK(finalized_count > 0, "some finalizers to have run in the window");
    return check_finish();
}
