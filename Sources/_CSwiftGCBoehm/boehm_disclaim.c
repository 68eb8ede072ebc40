/*
 * bdwgc's disclaim procedures and finalized allocation
 * (include/boehm/gc/gc_disclaim.h), built on SwiftGC's finalizer table.
 * Compiled only into libswiftgc.so.
 *
 * An object of a kind with a disclaim procedure is registered, when it is
 * allocated, with the placeholder finalizer `disclaimed_by_procedure`: the
 * collector then tells the collection hooks about it when it finds it
 * unreachable (swiftgc_finalizer_found_unreachable), and the hook asks the
 * procedure there, world stopped and mark bits valid. Nonzero keeps the
 * object registered and alive; zero drops the registration, and the sweep
 * that follows reclaims it. With mark_from_all the registration is
 * topological, so the collector first marks what each unreachable object
 * points to (bdwgc's "mark unconditionally"); without it, unordered.
 *
 * A finalized object (GC_finalized_malloc) is a plain object whose first
 * word holds its closure, tagged with 1:
 *
 *     [ closure | 1 ][ the caller's size bytes ... ]
 *     ^ GC_base       ^ what GC_finalized_malloc returns
 *
 * registered with the real finalizer `run_finalizer_closure`, which calls
 * the closure after the collection, with the world running.
 *
 * `disclaim_procedures` is written by GC_register_disclaim_proc (release)
 * and read by allocating threads and by the collector (acquire).
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "../../include/boehm/gc/gc_disclaim.h"
#include "../../include/boehm/gc/gc_mark.h"
#include "_CSwiftGCBoehm.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))
#define KIND_CAPACITY 64
#define CLOSURE_TAG ((GC_word)1)

struct disclaim_procedure {
    GC_disclaim_proc procedure;
    int marks_from_all;
};
static struct disclaim_procedure disclaim_procedures[KIND_CAPACITY];

/* Never called: its address marks a registration as a disclaim object. */
static void disclaimed_by_procedure(void *object, void *data) {
    (void)object;
    (void)data;
}

BOEHM_EXPORT void GC_register_disclaim_proc(int kind, GC_disclaim_proc procedure, int mark_from_all) {
    if (kind < 0 || kind >= KIND_CAPACITY || procedure == NULL) {
        fprintf(stderr, "swiftgc: GC_register_disclaim_proc(%d): no such kind, or no procedure; ignored\n", kind);
        return;
    }
    __atomic_store_n(&disclaim_procedures[kind].marks_from_all, mark_from_all != 0, __ATOMIC_RELAXED);
    __atomic_store_n(&disclaim_procedures[kind].procedure, procedure, __ATOMIC_RELEASE);
}

static GC_disclaim_proc procedure_of_kind(int kind) {
    if (kind < 0 || kind >= KIND_CAPACITY) return NULL;
    return __atomic_load_n(&disclaim_procedures[kind].procedure, __ATOMIC_ACQUIRE);
}

/* From GC_generic_malloc and GC_generic_malloc_many (boehm_marking.c). */
void swiftgc_boehm_register_disclaim(void *object, int kind) {
    if (object == NULL || procedure_of_kind(kind) == NULL) return;
    int order = disclaim_procedures[kind].marks_from_all ? gc_order_topological : gc_order_unordered;
    gc_register_finalizer_with_order(object, disclaimed_by_procedure, (void *)(uintptr_t)kind, order, NULL, NULL);
}

/* ---- Finalized allocation ---- */
static void run_finalizer_closure(void *object, void *data) {
    (void)data;
    GC_word header = *(GC_word *)object;
    if ((header & CLOSURE_TAG) == 0) return;
    const struct GC_finalizer_closure *closure = (const struct GC_finalizer_closure *)(header & ~CLOSURE_TAG);
    closure->proc((GC_word *)object + 1, closure->cd);
}

/* Nothing to prepare: interior pointers always keep objects alive. */
BOEHM_EXPORT void GC_init_finalized_malloc(void) {}

BOEHM_EXPORT void *GC_finalized_malloc(size_t size, const struct GC_finalizer_closure *fc) {
    if (size + sizeof(GC_word) < size) return GC_malloc(SIZE_MAX);
    GC_word *object = GC_malloc(size + sizeof(GC_word));
    if (object == NULL) return NULL;
    *object = (GC_word)fc | CLOSURE_TAG;
    gc_register_finalizer_with_order(object, run_finalizer_closure, NULL, gc_order_topological, NULL, NULL);
    return object + 1;
}

/* ---- The collection hook ---- */
/* With the world stopped and the heap lock held (boehm_variables.c). */
/* The decision for a disclaim object, or -1 for any other registration. */
int swiftgc_boehm_disclaim_decision(const void *object, const void *function, const void *data) {
    if (function == (const void *)run_finalizer_closure) return swiftgc_finalizer_queue;
    if (function != (const void *)disclaimed_by_procedure) return -1;
    GC_disclaim_proc procedure = procedure_of_kind((int)(uintptr_t)data);
    if (procedure == NULL) return swiftgc_finalizer_drop;
    return procedure((void *)object) ? swiftgc_finalizer_keep : swiftgc_finalizer_drop;
}
