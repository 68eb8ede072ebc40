/*
 * test_typed_objects — words a type descriptor marks as non-pointers never
 * retain anything; words it marks as pointers do.
 *
 * Each container is typed {pointer, non-pointer} repeated (gc_calloc_typed)
 * or described by a long bitmap (gc_malloc_typed, 100 words). Targets
 * stored in pointer words must survive; targets whose only reference is in
 * a non-pointer word must be reclaimed.
 */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "garbage.h"
#include "swiftgc.h"

enum { pair_count = 100, long_words = 100 };

struct pair {
    void *pointer;
    uintptr_t number;
};

__attribute__((noinline)) static void fill_pairs(struct pair *pairs, uintptr_t *hidden_kept, uintptr_t *hidden_dropped) {
    for (size_t index = 0; index < pair_count; index++) {
        pairs[index].pointer = gc_malloc(32);
        void *unreferenced = gc_malloc(32);
        pairs[index].number = (uintptr_t)unreferenced;
        fill_from_seed(pairs[index].pointer, 32, index);
        hide_address(hidden_kept, index, pairs[index].pointer);
        hide_address(hidden_dropped, index, unreferenced);
    }
}

/* Even words are pointers, odd words are not. */
__attribute__((noinline)) static void fill_long(void **words, uintptr_t *hidden_kept, uintptr_t *hidden_dropped) {
    for (size_t index = 0; index < long_words; index++) {
        words[index] = gc_malloc(24);
        if (index % 2 == 0) hide_address(hidden_kept, index / 2, words[index]);
        else hide_address(hidden_dropped, index / 2, words[index]);
    }
}

static size_t count_alive(const uintptr_t *hidden, size_t count) { return count - count_reclaimed(hidden, count); }

int main(void) {
    uintptr_t *hidden_kept = hidden_table_create(pair_count);
    uintptr_t *hidden_dropped = hidden_table_create(pair_count);

    uintptr_t pair_bitmap = 1; /* word 0 is a pointer, word 1 is not */
    gc_descriptor pair_descriptor = gc_make_descriptor(&pair_bitmap, 2);
    struct pair *volatile pairs = gc_calloc_typed(pair_count, sizeof(struct pair), pair_descriptor);
    CHECK(pairs != NULL && gc_size(pairs) >= pair_count * sizeof(struct pair), "a typed array to be allocated");
    fill_pairs(pairs, hidden_kept, hidden_dropped);
    collect_with_clean_stack();
    size_t kept = count_alive(hidden_kept, pair_count);
    size_t dropped = count_reclaimed(hidden_dropped, pair_count);
    CHECK(kept == pair_count, "all %d objects in pointer words of a typed array to survive, %zu did", pair_count, kept);
    CHECK(dropped >= pair_count * 9 / 10,
          "at least 90%% of %d objects referenced only from non-pointer words to be reclaimed, %zu were",
          pair_count, dropped);
    printf("typed array: %zu of %d pointer targets kept, %zu of %d number targets reclaimed\n", kept, pair_count,
           dropped, pair_count);
    size_t intact = 0;
    for (size_t index = 0; index < pair_count; index++) {
        unsigned char expected[32];
        fill_from_seed(expected, 32, index);
        intact += memcmp(pairs[index].pointer, expected, 32) == 0;
    }
    CHECK(intact == pair_count, "targets of pointer words to be unchanged, %zu of %d were", intact, pair_count);

    /* A long bitmap (stored out of line): even words only. */
    uintptr_t long_bitmap[2] = {0x5555555555555555u, 0x5555555555555555u};
    gc_descriptor long_descriptor = gc_make_descriptor(long_bitmap, long_words);
    void **volatile words = gc_malloc_typed(long_words * sizeof(void *), long_descriptor);
    fill_long(words, hidden_kept, hidden_dropped);
    for (int round = 0; round < 3; round++) {
        allocate_garbage(1 << 20);
        collect_with_clean_stack();
    }
    kept = count_alive(hidden_kept, long_words / 2);
    dropped = count_reclaimed(hidden_dropped, long_words / 2);
    CHECK(kept == long_words / 2, "all %d targets of even words to survive, %zu did", long_words / 2, kept);
    CHECK(dropped >= long_words / 2 * 9 / 10, "at least 90%% of %d targets of odd words to be reclaimed, %zu were",
          long_words / 2, dropped);

    /* No pointer bits: the object is atomic. All bits: scanned everywhere. */
    uintptr_t none = 0, all = ~(uintptr_t)0;
    void *plain = gc_malloc_typed(64, gc_make_descriptor(&none, 8));
    void **volatile full = gc_malloc_typed(64, gc_make_descriptor(&all, 8));
    CHECK(plain != NULL && full != NULL, "typed objects with empty and full bitmaps to be allocated");
    full[7] = gc_malloc(16);
    hide_address(hidden_kept, 0, full[7]);
    collect_with_clean_stack();
    CHECK(count_alive(hidden_kept, 1) == 1, "a pointer in the last word of a fully typed object to retain its target");
    CHECK(gc_malloc_typed((size_t)-1, pair_descriptor) == NULL, "an impossible typed size to return NULL");
    CHECK(gc_calloc_typed((size_t)1 << 40, (size_t)1 << 40, pair_descriptor) == NULL, "an overflowing typed calloc to return NULL");

    hidden_table_destroy(hidden_kept, pair_count);
    hidden_table_destroy(hidden_dropped, pair_count);
    return check_finish();
}
