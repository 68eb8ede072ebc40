/*
 * bdwgc's exported variables (GC_dont_gc, GC_free_space_divisor, GC_oom_fn,
 * ...), which programs written for bdwgc set directly, and the collection
 * hooks (collection_hooks.h) through which they act on SwiftGC's collections:
 * registered when the library loads, consulted when a collection is about to
 * start and when the collector paces collections. The GC_set_* functions of
 * boehm.c write the same variables.
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "../../include/boehm/gc/gc_mark.h"
#include "_CSwiftGCBoehm.h"
#include <stdint.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))

/* Honoured: see gc.h for what each does on SwiftGC. */
BOEHM_EXPORT int GC_dont_gc;
BOEHM_EXPORT int GC_all_interior_pointers = 1;
BOEHM_EXPORT int GC_java_finalization = 1;
BOEHM_EXPORT int GC_finalize_on_demand;
BOEHM_EXPORT GC_finalizer_notifier_proc GC_finalizer_notifier;
BOEHM_EXPORT GC_word GC_free_space_divisor = SWIFTGC_BOEHM_DEFAULT_FREE_SPACE_DIVISOR;
BOEHM_EXPORT GC_oom_func GC_oom_fn;
BOEHM_EXPORT void *GC_least_plausible_heap_addr = (void *)0;
BOEHM_EXPORT void *GC_greatest_plausible_heap_addr = (void *)~(uintptr_t)0;
/* Collections that have marked, as GC_get_gc_no; bumped once the roots
 * are marked, after the push-other-roots callback (as bdwgc). */
BOEHM_EXPORT GC_word GC_gc_no;
/* Accepted, without effect. */
BOEHM_EXPORT int GC_no_dls;
BOEHM_EXPORT GC_word GC_max_retries;
BOEHM_EXPORT int GC_dont_expand;
BOEHM_EXPORT int GC_full_freq = 19;
BOEHM_EXPORT GC_word GC_non_gc_bytes;
BOEHM_EXPORT int GC_print_stats;
BOEHM_EXPORT int GC_use_entire_heap;
BOEHM_EXPORT int GC_find_leak;
BOEHM_EXPORT int GC_dont_precollect;
BOEHM_EXPORT unsigned long GC_time_limit = 15;
BOEHM_EXPORT int GC_parallel;
BOEHM_EXPORT char *GC_stackbottom;

/* The values last given to the core, so that only a program's direct
 * writes to the variables are passed on (the native gc_set_* functions
 * may have set the core's copies since). Written by boehm.c's setters too. */
int swiftgc_boehm_synced_finalize_on_demand;
GC_finalizer_notifier_proc swiftgc_boehm_synced_finalizer_notifier;

/* From boehm.c. */
extern GC_start_callback_proc swiftgc_boehm_start_callback;

/* 0 when GC_dont_gc forbids collecting; otherwise passes on the program's
 * writes to the finalization variables, publishes the heap's bounds, calls
 * the start callback and returns 1. */
static int collection_may_start(uintptr_t least_plausible, uintptr_t greatest_plausible) {
    if (GC_dont_gc) return 0;
    /* Written directly by the program, or through GC_set_*: the core keeps
     * its own copies, which take no lock to set. */
    if (GC_finalize_on_demand != swiftgc_boehm_synced_finalize_on_demand) {
        swiftgc_boehm_synced_finalize_on_demand = GC_finalize_on_demand;
        gc_set_finalize_on_demand(GC_finalize_on_demand);
    }
    if (GC_finalizer_notifier != swiftgc_boehm_synced_finalizer_notifier) {
        swiftgc_boehm_synced_finalizer_notifier = GC_finalizer_notifier;
        gc_set_finalizer_notifier(GC_finalizer_notifier);
    }
    /* Both just outside the heap's reservation: these words are in our
     * data segment, which is scanned, and must not look like pointers to
     * objects. (The top of the used heap would not do: the next span to be
     * handed out starts there, and the object at its start was retained.) */
    GC_least_plausible_heap_addr = (void *)least_plausible;
    GC_greatest_plausible_heap_addr = (void *)greatest_plausible;
    if (swiftgc_boehm_start_callback) swiftgc_boehm_start_callback();
    return 1;
}

/* GC_free_space_divisor if a program changed it, else 0 (pacing follows
 * SWIFTGC_HEAP_GROWTH). */
static uintptr_t free_space_divisor(void) {
    GC_word divisor = GC_free_space_divisor;
    return divisor == SWIFTGC_BOEHM_DEFAULT_FREE_SPACE_DIVISOR ? 0 : divisor;
}

/* From boehm_marking.c. */
extern GC_push_other_roots_proc swiftgc_boehm_push_other_roots_proc;

/* Calls the GC_set_push_other_roots callback, whose GC_push_all calls reach
 * swiftgc_roots_push_range, then sets GC_gc_no to collections_completed + 1
 * (bdwgc counts a collection once it has marked, after that callback). */
static void push_other_roots(uint64_t collections_completed) {
    GC_gc_no = (GC_word)collections_completed;
    GC_push_other_roots_proc procedure = swiftgc_boehm_push_other_roots_proc;
    if (procedure) procedure();
    GC_gc_no = (GC_word)collections_completed + 1;
}

static const swiftgc_collection_hooks hooks = {
    .collection_may_start = collection_may_start,
    .free_space_divisor = free_space_divisor,
    .push_other_roots = push_other_roots,
};

/* At load, before the program's constructors (which run after those of the
 * libraries they depend on); GC_init registers again, for a program that
 * reaches this layer through LD_PRELOAD from a library initialised first. */
__attribute__((constructor)) void swiftgc_boehm_register_hooks(void) { swiftgc_register_collection_hooks(&hooks); }

