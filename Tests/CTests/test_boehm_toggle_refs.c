/*
 * test_boehm_toggle_refs — bdwgc's toggle-refs are honoured: an object the
 * callback calls STRONG survives with no other reference, one it calls WEAK
 * is reclaimed once nothing else reaches it, and one it calls DROP is
 * forgotten (the callback is not asked about it again, and it is not kept).
 */
#include <stdint.h>
#include <stdio.h>

#include "boehm/gc/gc.h"
#include "check.h"
#include "garbage.h"

enum { object_count = 200, object_size = 64 };

static uintptr_t *hidden;               /* the objects' addresses, hidden */
static GC_ToggleRefStatus answer = GC_TOGGLE_REF_STRONG;
static int callback_calls;
static int asked_about_unknown_object;

static GC_ToggleRefStatus decide(void *object) {
    callback_calls += 1;
    int is_known = 0;
    for (size_t index = 0; index < object_count; index++) {
        if (reveal_address(hidden, index) == object) is_known = 1;
    }
    if (!is_known) asked_about_unknown_object = 1;
    return answer;
}

/* Registers object_count objects, referenced from nowhere afterwards. */
__attribute__((noinline)) static void register_objects(int is_strong) {
    for (size_t index = 0; index < object_count; index++) {
        void *object = GC_MALLOC(object_size);
        fill_from_seed(object, object_size, index + 1);
        hide_address(hidden, index, object);
        CHECK(GC_toggleref_add(object, is_strong) == GC_SUCCESS, "GC_toggleref_add succeeds");
    }
}

static size_t count_intact(void) {
    size_t intact = 0;
    for (size_t index = 0; index < object_count; index++) {
        void *object = reveal_address(hidden, index);
        if (GC_base(object) != object) continue;
        unsigned char expected[object_size];
        fill_from_seed(expected, object_size, index + 1);
        if (memcmp(object, expected, object_size) == 0) intact += 1;
    }
    return intact;
}

int main(void) {
    GC_INIT();
    hidden = hidden_table_create(object_count);
    CHECK(GC_get_toggleref_func() == NULL, "no toggle-ref callback is set at first");
    GC_set_toggleref_func(decide);
    CHECK(GC_get_toggleref_func() == decide, "GC_get_toggleref_func returns the callback set");

    /* STRONG: kept across collections, and the callback is asked each time. */
    register_objects(1);
    for (int round = 0; round < 3; round++) {
        collect_with_clean_stack();
        allocate_garbage(1 << 20);
    }
    collect_with_clean_stack();
    CHECK(callback_calls >= 4 * object_count, "the callback is asked about every object at every collection (%d calls)",
          callback_calls);
    CHECK(count_intact() == object_count, "objects the callback holds STRONG survive intact (%zu of %d)",
          count_intact(), object_count);
    CHECK(!asked_about_unknown_object, "the callback is asked only about registered objects");

    /* WEAK: reclaimed, since nothing else reaches them. */
    answer = GC_TOGGLE_REF_WEAK;
    collect_with_clean_stack();
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden, object_count);
    CHECK(reclaimed >= object_count * 9 / 10, "objects the callback holds WEAK are reclaimed (%zu of %d)", reclaimed,
          object_count);

    /* DROP: forgotten at once, and never kept. */
    answer = GC_TOGGLE_REF_DROP;
    register_objects(1);
    collect_with_clean_stack();
    int calls_after_drop = callback_calls;
    collect_with_clean_stack();
    CHECK(callback_calls == calls_after_drop, "dropped objects are not asked about again (%d more calls)",
          callback_calls - calls_after_drop);
    reclaimed = count_reclaimed(hidden, object_count);
    CHECK(reclaimed >= object_count * 9 / 10, "dropped objects are reclaimed (%zu of %d)", reclaimed, object_count);
    return check_finish();
}
