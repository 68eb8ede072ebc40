/*
 * test_boehm_disclaim — gc_disclaim.h: a finalized object's closure is
 * called with the object and its data once the object is unreachable, and
 * the object is reclaimed afterwards; a kind's disclaim procedure is asked
 * about each unreachable object of the kind, with mark bits valid (the
 * object reads as unmarked), and keeps it when it answers nonzero.
 */
#include <stdint.h>
#include <stdio.h>

#include "boehm/gc/gc_disclaim.h"
#include "boehm/gc/gc_mark.h"
#include "check.h"
#include "garbage.h"

enum { object_count = 300, object_size = 48 };

static uintptr_t *hidden; /* the objects' addresses, hidden */

/* ---- Finalized objects ---- */
static int closure_calls, closure_bad_arguments;
static const char closure_data[] = "closure data";

static void closure_procedure(void *object, void *data) {
    closure_calls += 1;
    int is_known = 0;
    for (size_t index = 0; index < object_count; index++) {
        if (reveal_address(hidden, index) == object) is_known = 1;
    }
    if (!is_known || data != closure_data || GC_base(object) != (char *)object - sizeof(GC_word)) {
        closure_bad_arguments += 1;
    }
}
static const struct GC_finalizer_closure closure = { closure_procedure, (void *)closure_data };

__attribute__((noinline)) static void make_finalized_garbage(void) {
    for (size_t index = 0; index < object_count; index++) {
        char *object = GC_finalized_malloc(object_size, &closure);
        CHECK(object != NULL && GC_size(GC_base(object)) >= object_size + sizeof(GC_word),
              "GC_finalized_malloc's object has a hidden word before it");
        memset(object, 0x11, object_size);
        hide_address(hidden, index, object);
    }
}

/* ---- A kind with a disclaim procedure ---- */
static int disclaim_calls, disclaimed_while_marked;
static int keeps_objects = 1;

static int disclaim(void *object) {
    disclaim_calls += 1;
    if (GC_is_marked(object)) disclaimed_while_marked += 1;
    return keeps_objects;
}

__attribute__((noinline)) static void make_kind_garbage(unsigned kind) {
    for (size_t index = 0; index < object_count; index++) {
        void *object = GC_generic_malloc(object_size, (int)kind);
        fill_from_seed(object, object_size, index + 1);
        hide_address(hidden, index, object);
    }
}

int main(void) {
    GC_INIT();
    GC_init_finalized_malloc();
    hidden = hidden_table_create(object_count);

    make_finalized_garbage();
    collect_with_clean_stack();
    GC_invoke_finalizers();
    CHECK(closure_calls >= object_count * 9 / 10, "the closure runs for each unreachable finalized object (%d of %d)",
          closure_calls, object_count);
    CHECK(closure_bad_arguments == 0, "the closure gets the object GC_finalized_malloc returned and its data (%d not)",
          closure_bad_arguments);
    collect_with_clean_stack();
    size_t reclaimed = count_reclaimed(hidden, object_count);
    CHECK(reclaimed >= object_count * 9 / 10, "finalized objects are reclaimed after their closure ran (%zu of %d)",
          reclaimed, object_count);

    unsigned kind = GC_new_kind(GC_new_free_list(), GC_DS_LENGTH, 1, 1);
    GC_register_disclaim_proc((int)kind, disclaim, 1);
    make_kind_garbage(kind);
    collect_with_clean_stack();
    collect_with_clean_stack();
    CHECK(disclaim_calls >= 2 * object_count * 9 / 10,
          "the procedure is asked about each unreachable object at each collection while it keeps them (%d calls)",
          disclaim_calls);
    CHECK(disclaimed_while_marked == 0, "GC_is_marked says unmarked for the object being disclaimed (%d marked)",
          disclaimed_while_marked);
    reclaimed = count_reclaimed(hidden, object_count);
    CHECK(reclaimed == 0, "objects the procedure keeps survive (%zu reclaimed)", reclaimed);
    keeps_objects = 0;
    collect_with_clean_stack();
    reclaimed = count_reclaimed(hidden, object_count);
    CHECK(reclaimed >= object_count * 9 / 10, "once the procedure answers 0, the objects are reclaimed (%zu of %d)",
          reclaimed, object_count);
    return check_finish();
}
