/*
 * test_boehm_kinds — bdwgc's object kinds and mark procedures (gc_mark.h):
 * a kind is scanned exactly as its descriptor says. Objects reachable only
 * through the words a descriptor or mark procedure covers survive; objects
 * reachable only through the words it skips are reclaimed. Also
 * GC_generic_malloc_many, mark bits, the plausible heap bounds, the start
 * callback, GC_dont_gc, GC_oom_fn and the GC_debug_* functions.
 */
#include <stdint.h>
#include <stdio.h>

#include "boehm/gc/gc_mark.h"
#include "check.h"
#include "garbage.h"

enum { holder_count = 300, chain_length = 20000 };

/* Holders are reachable from this data-segment array; their children only
 * through the holders. */
static void *volatile holders[holder_count]; /* volatile: only written */
static void *volatile chain_head; /* volatile: only written, the store must stay */

static int procedure_calls;
static int procedure_saw_marked;
static GC_word procedure_environment;

/* Pushes words 0 (a normal object) and 2 (an atomic object) of a holder,
 * never word 1. */
static struct GC_ms_entry *mark_selected(GC_word *object, struct GC_ms_entry *top, struct GC_ms_entry *limit,
                                         GC_word environment) {
    procedure_calls += 1;
    procedure_environment = environment;
    if (GC_is_marked(object)) procedure_saw_marked += 1;
    top = GC_MARK_AND_PUSH((void *)object[0], top, limit, (void **)&object[0]);
    top = GC_mark_and_push((void *)object[2], top, limit, (void **)&object[2]);
    return top;
}

/* A linked list of described objects: word 0 is the next node, pushed by
 * hand as a one-word GC_DS_LENGTH entry; word 1 is a payload it skips. */
static struct GC_ms_entry *mark_next(GC_word *object, struct GC_ms_entry *top, struct GC_ms_entry *limit,
                                     GC_word environment) {
    (void)environment;
    if (top + 1 >= limit) return GC_MARK_AND_PUSH((void *)object[0], top, limit, NULL);
    top += 1;
    top->mse_start = object;
    top->mse_descr = sizeof(void *) | GC_DS_LENGTH;
    return top;
}

/* Each child's first word: a value that looks like no pointer and tells it
 * from an object allocated later in the same memory (under SWIFTGC_STRESS,
 * children reclaimed early are reused by later ones). */
static uint64_t child_tag(size_t holder, size_t index) { return 0x5eed000000000000u | holder << 8 | index; }

/* Allocates holders of `kind` with four children each, remembering child
 * `index` of every holder in hidden[index][holder]. A holder's word 4, if
 * it has one, is set to `word4` before any child is stored. */
__attribute__((noinline)) static void fill_holders(unsigned kind, size_t words, GC_word word4, uintptr_t *hidden[4]) {
    for (size_t holder = 0; holder < holder_count; holder++) {
        void **object = GC_generic_malloc(words * sizeof(void *), (int)kind);
        if (object == NULL) abort();
        if (words > 4) object[4] = (void *)word4;
        for (size_t index = 0; index < 4; index++) {
            uint64_t *child = index == 2 ? GC_malloc_atomic(48) : GC_malloc(48);
            if (child == NULL) abort();
            child[0] = child_tag(holder, index);
            hide_address(hidden[index], holder, child);
            object[index] = child;
        }
        holders[holder] = object;
    }
}

/* Collects and returns, per child word, how many children were reclaimed
 * (no longer live, or live but another object). */
static void collect_and_count(uintptr_t *hidden[4], size_t reclaimed[4]) {
    collect_with_clean_stack();
    for (size_t index = 0; index < 4; index++) {
        reclaimed[index] = 0;
        for (size_t holder = 0; holder < holder_count; holder++) {
            uint64_t *child = reveal_address(hidden[index], holder);
            if (GC_base(child) != child || child[0] != child_tag(holder, index)) reclaimed[index] += 1;
        }
    }
}

static void check_kind(const char *name, unsigned kind, size_t words, const int is_kept[4]) {
    uintptr_t *hidden[4];
    for (size_t index = 0; index < 4; index++) hidden[index] = hidden_table_create(holder_count);
    fill_holders(kind, words, 0, hidden);
    size_t reclaimed[4];
    collect_and_count(hidden, reclaimed);
    for (size_t index = 0; index < 4; index++) {
        if (is_kept[index]) {
            CHECK(reclaimed[index] == 0, "%s: every child in word %zu survives (%zu of %d reclaimed)", name, index,
                  reclaimed[index], holder_count);
        } else {
            CHECK(reclaimed[index] >= holder_count * 9 / 10,
                  "%s: children only in skipped word %zu are reclaimed (%zu of %d)", name, index, reclaimed[index],
                  holder_count);
        }
    }
    for (size_t holder = 0; holder < holder_count; holder++) holders[holder] = NULL;
    for (size_t index = 0; index < 4; index++) hidden_table_destroy(hidden[index], holder_count);
}

__attribute__((noinline)) static void build_chain(unsigned kind, uintptr_t *hidden) {
    void **previous = NULL;
    for (size_t index = 0; index < chain_length; index++) {
        void **node = GC_generic_malloc(2 * sizeof(void *), (int)kind);
        if (node == NULL) abort();
        node[0] = previous;
        node[1] = GC_malloc(32); /* skipped by the descriptor */
        hide_address(hidden, index, node);
        previous = node;
    }
    chain_head = previous;
}

static void test_mark_procedure(void) {
    unsigned procedure = GC_new_proc(mark_selected);
    CHECK(procedure < GC_MAX_MARK_PROCS, "GC_new_proc returns an index below GC_MAX_MARK_PROCS (got %u)", procedure);
    unsigned kind = GC_new_kind(GC_new_free_list(), GC_MAKE_PROC(procedure, 42), 0, 1);
    CHECK(kind > GC_I_AUNCOLLECTABLE && kind != (unsigned)-1, "GC_new_kind returns a new kind (got %u)", kind);
    procedure_calls = 0;
    const int kept[4] = {1, 0, 1, 0};
    check_kind("mark procedure", kind, 4, kept);
    CHECK(procedure_calls >= holder_count, "the mark procedure ran for every holder (%d calls)", procedure_calls);
    CHECK(procedure_environment == 42, "the procedure receives GC_MAKE_PROC's env (got %lu)", procedure_environment);
    CHECK(procedure_saw_marked == procedure_calls, "GC_is_marked is true for the object being marked (%d of %d)",
          procedure_saw_marked, procedure_calls);
    void *object = GC_generic_malloc(24, (int)kind);
    size_t size = 0;
    CHECK(GC_get_kind_and_size(object, &size) == (int)kind && size >= 24,
          "GC_get_kind_and_size reports the kind and at least the size asked (%zu)", size);
}

static void test_chain_of_procedures(void) {
    unsigned kind = GC_new_kind(GC_new_free_list(), GC_MAKE_PROC(GC_new_proc(mark_next), 0), 0, 1);
    uintptr_t *hidden = hidden_table_create(chain_length);
    build_chain(kind, hidden);
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden, chain_length);
    CHECK(reclaimed == 0, "a %d-node list marked by a procedure survives whole (%zu reclaimed)", chain_length,
          reclaimed);
    chain_head = NULL;
    collect_with_clean_stack();
    reclaimed = count_reclaimed(hidden, chain_length);
    CHECK(reclaimed >= chain_length * 9 / 10, "the list is reclaimed once dropped (%zu of %d)", reclaimed,
          chain_length);
    hidden_table_destroy(hidden, chain_length);
}

static void test_descriptors(void) {
    /* Bitmap: most significant bit is word 0. Words 0 and 3 are pointers. */
    GC_word bitmap = ((GC_word)1 << 63) | ((GC_word)1 << 60) | GC_DS_BITMAP;
    const int bitmap_expected[4] = {1, 0, 0, 1};
    check_kind("GC_DS_BITMAP", GC_new_kind(GC_new_free_list(), bitmap, 0, 1), 4, bitmap_expected);

    /* Length without the size: only the first two words. */
    const int length_expected[4] = {1, 1, 0, 0};
    check_kind("GC_DS_LENGTH 16", GC_new_kind(GC_new_free_list(), 16 | GC_DS_LENGTH, 0, 1), 4, length_expected);

    /* Length plus the object's size: every word. */
    const int whole_expected[4] = {1, 1, 1, 1};
    check_kind("GC_DS_LENGTH + size", GC_new_kind(GC_new_free_list(), GC_DS_LENGTH, 1, 1), 4, whole_expected);
}

static void test_per_object_descriptor(void) {
    unsigned kind = GC_new_kind(GC_new_free_list(), (4 * sizeof(void *)) | GC_DS_PER_OBJECT, 0, 1);
    uintptr_t *hidden[4];
    for (size_t index = 0; index < 4; index++) hidden[index] = hidden_table_create(holder_count);
    /* Word 4 of each holder holds its descriptor: word 1 only. */
    fill_holders(kind, 5, ((GC_word)1 << 62) | GC_DS_BITMAP, hidden);
    size_t reclaimed[4];
    collect_and_count(hidden, reclaimed);
    CHECK(reclaimed[1] == 0, "GC_DS_PER_OBJECT: the word the object's own descriptor names survives (%zu)",
          reclaimed[1]);
    CHECK(reclaimed[0] >= holder_count * 9 / 10 && reclaimed[3] >= holder_count * 9 / 10,
          "GC_DS_PER_OBJECT: the other words are skipped (%zu and %zu of %d reclaimed)", reclaimed[0], reclaimed[3],
          holder_count);
    for (size_t holder = 0; holder < holder_count; holder++) holders[holder] = NULL;
    for (size_t index = 0; index < 4; index++) hidden_table_destroy(hidden[index], holder_count);
}

static size_t list_length(void *list, size_t size, int *are_distinct_and_sized) {
    size_t length = 0;
    *are_distinct_and_sized = 1;
    for (void *cursor = list; cursor != NULL; cursor = GC_NEXT(cursor)) {
        if (GC_base(cursor) != cursor || GC_size(cursor) + 1 < size) *are_distinct_and_sized = 0;
        length += 1;
    }
    return length;
}

static void test_malloc_many(void) {
    unsigned kind = GC_new_kind(GC_new_free_list(), GC_MAKE_PROC(GC_new_proc(mark_selected), 0), 0, 1);
    int kinds[3] = {GC_I_NORMAL, GC_I_PTRFREE, (int)kind};
    for (int index = 0; index < 3; index++) {
        void *list = NULL;
        GC_generic_malloc_many(48, kinds[index], &list);
        int is_good = 0;
        size_t length = list_length(list, 48, &is_good);
        CHECK(length > 1 && is_good, "GC_generic_malloc_many(48, kind %d) gives a list of objects (%zu)", kinds[index],
              length);
        CHECK(GC_get_kind_and_size(list, NULL) == kinds[index], "its objects are of kind %d (got %d)", kinds[index],
              GC_get_kind_and_size(list, NULL));
    }
    void *list = GC_malloc_many(32);
    int is_good = 0;
    CHECK(list_length(list, 32, &is_good) > 1 && is_good, "GC_malloc_many(32) gives a list of objects");
    /* Without interior pointers, objects of exactly 16 bytes fit 16-byte slots. */
    GC_set_all_interior_pointers(0);
    void *pairs = NULL;
    GC_generic_malloc_many(16, GC_I_NORMAL, &pairs);
    char *first = pairs, *second = GC_NEXT(pairs);
    CHECK(second != NULL && (first - second == 16 || second - first == 16),
          "with GC_all_interior_pointers off, 16-byte objects are 16 bytes apart (%p, %p)", (void *)first,
          (void *)second);
    GC_set_all_interior_pointers(1);
}

static int start_callbacks;
static void count_start(void) { start_callbacks += 1; }

static void *oom_sentinel(size_t size) {
    (void)size;
    return (void *)&start_callbacks;
}

static void test_variables_and_callbacks(void) {
    GC_set_start_callback(count_start);
    GC_word collections = GC_get_gc_no();
    GC_gcollect();
    CHECK(start_callbacks == 1, "the start callback runs once per collection (%d)", start_callbacks);
    char *object = GC_malloc(64);
    CHECK((char *)GC_least_plausible_heap_addr <= object && object <= (char *)GC_greatest_plausible_heap_addr,
          "heap objects lie between GC_least_ and GC_greatest_plausible_heap_addr");
    CHECK(GC_greatest_plausible_heap_addr != (void *)~(uintptr_t)0 && GC_base(GC_least_plausible_heap_addr) == NULL && GC_base(GC_greatest_plausible_heap_addr) == NULL, "the bounds are narrowed to the heap and point into no object");
    CHECK(GC_is_marked(object) == 1, "between collections GC_is_marked reports a live object as marked");

    GC_dont_gc = 1;
    GC_gcollect();
    CHECK(GC_get_gc_no() == collections + 1 && start_callbacks == 1, "GC_dont_gc = 1 prevents GC_gcollect");
    CHECK(GC_is_disabled(), "GC_is_disabled reports GC_dont_gc");
    GC_dont_gc = 0;
    GC_gcollect();
    CHECK(GC_get_gc_no() == collections + 2, "collections resume when GC_dont_gc is cleared");
    GC_set_start_callback(NULL);

    GC_oom_fn = oom_sentinel;
    CHECK(GC_malloc((size_t)1 << 62) == (void *)&start_callbacks, "a failed GC_malloc returns what GC_oom_fn returns");
    CHECK(GC_get_oom_fn() == oom_sentinel, "GC_get_oom_fn reads the variable");
    GC_oom_fn = NULL;

    GC_free_space_divisor = 5;
    CHECK(GC_get_free_space_divisor() == 5, "GC_get_free_space_divisor reads the variable");
    GC_free_space_divisor = SWIFTGC_BOEHM_DEFAULT_FREE_SPACE_DIVISOR;
}

static void test_debug_functions(void) {
    char *text = GC_debug_strdup("kinds", __FILE__, __LINE__);
    CHECK(text != NULL && strcmp(text, "kinds") == 0, "GC_debug_strdup copies");
    void *object = GC_debug_malloc(100, __FILE__, __LINE__);
    object = GC_debug_realloc(object, 200, __FILE__, __LINE__);
    CHECK(object != NULL && GC_size(object) >= 200, "GC_debug_realloc grows an object");
    CHECK(GC_debug_realloc((char *)object + 8, 300, __FILE__, __LINE__) == NULL,
          "GC_debug_realloc refuses an interior pointer (and says where it was called)");
    GC_debug_free(object);
    CHECK(GC_base(object) == NULL, "GC_debug_free frees");
}

int main(void) {
    GC_INIT();
    test_mark_procedure();
    test_chain_of_procedures();
    test_descriptors();
    test_per_object_descriptor();
    test_malloc_many();
    test_variables_and_callbacks();
    test_debug_functions();
    return check_finish();
}
