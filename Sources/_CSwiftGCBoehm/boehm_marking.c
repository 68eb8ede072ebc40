/*
 * The bdwgc layer's gc_mark.h functions (include/boehm/gc/gc_mark.h): object
 * kinds, mark procedures, GC_mark_and_push and mark bits. Thin forwarders
 * onto the collector's kind table (Collector/Marking/ObjectKinds.swift and
 * MarkProcedures.swift). Compiled only into libswiftgc.so.
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "../../include/boehm/gc/gc_mark.h"
#include "_CSwiftGCBoehm.h"

#include <stdint.h>
#include <string.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))

/* From boehm.c: GC_oom_fn's handling of a failed allocation. */
void *swiftgc_boehm_out_of_memory(void *result, size_t size);
/* From boehm_variables.c: GC_all_interior_pointers. */
extern int GC_all_interior_pointers;

/* ---- Kinds and procedures ---- */
/* SwiftGC keeps its own free lists; bdwgc's free list array is a token.
 * Uncollectable, so a program that keeps it only in collected memory
 * cannot lose it. */
BOEHM_EXPORT void **GC_new_free_list_inner(void) { return gc_malloc_uncollectable(sizeof(void *)); }
BOEHM_EXPORT void **GC_new_free_list(void) { return GC_new_free_list_inner(); }

BOEHM_EXPORT unsigned GC_new_kind_inner(void **free_list, GC_word descriptor, int add_size, int clear) {
    (void)free_list;
    return (unsigned)swiftgc_kinds_new_kind(descriptor, add_size, clear);
}
BOEHM_EXPORT unsigned GC_new_kind(void **free_list, GC_word descriptor, int add_size, int clear) {
    return GC_new_kind_inner(free_list, descriptor, add_size, clear);
}
BOEHM_EXPORT unsigned GC_new_proc_inner(GC_mark_proc procedure) {
    return (unsigned)swiftgc_kinds_new_procedure(procedure);
}
BOEHM_EXPORT unsigned GC_new_proc(GC_mark_proc procedure) { return GC_new_proc_inner(procedure); }

/* ---- Allocation by kind ---- */
/* Objects of a kind with a disclaim procedure are registered for it
 * (boehm_disclaim.c). */
BOEHM_EXPORT void *GC_generic_malloc(size_t size, int kind) {
    void *object = swiftgc_kinds_allocate(size, kind);
    swiftgc_boehm_register_disclaim(object, kind);
    return swiftgc_boehm_out_of_memory(object, size);
}
BOEHM_EXPORT void *GC_generic_malloc_ignore_off_page(size_t size, int kind) { return GC_generic_malloc(size, kind); }
BOEHM_EXPORT void *GC_generic_or_special_malloc(size_t size, int kind) { return GC_generic_malloc(size, kind); }
BOEHM_EXPORT void *GC_generic_malloc_uncollectable(size_t size, int kind) {
    (void)kind;
    return GC_malloc_uncollectable(size);
}

/* About a page of objects per call, as bdwgc. With GC_all_interior_pointers
 * off, pointers past an object's end need not keep it, so each object gets
 * exactly size bytes (one less than requested plus SwiftGC's padding byte):
 * Guile's 16-byte pairs stay in the 16-byte class. */
BOEHM_EXPORT void GC_generic_malloc_many(size_t size, int kind, void **result) {
    if (result == NULL) return;
    if (size < sizeof(void *)) size = sizeof(void *);
    size_t request = GC_all_interior_pointers || kind > GC_I_NORMAL ? size : size - 1;
    size_t count = size >= 4096 ? 1 : 4096 / size;
    void *list = NULL;
    for (size_t index = 0; index < count; index++) {
        void **object = swiftgc_kinds_allocate(request, kind);
        if (object == NULL) break;
        swiftgc_boehm_register_disclaim(object, kind);
        *object = list;
        list = object;
    }
    *result = swiftgc_boehm_out_of_memory(list, size);
}

/* The size is GC_size's (the whole slot). */
BOEHM_EXPORT int GC_get_kind_and_size(const void *pointer, size_t *size) {
    size_t bytes = 0;
    int kind = swiftgc_kinds_kind_and_size(pointer, &bytes);
    if (size) *size = GC_size(pointer);
    return kind;
}

/* ---- Marking ---- */
BOEHM_EXPORT struct GC_ms_entry *GC_mark_and_push(void *object, struct GC_ms_entry *top,
                                                  struct GC_ms_entry *limit, void **source) {
    (void)source;
    return swiftgc_kinds_mark_and_push(object, top, limit);
}
BOEHM_EXPORT int GC_is_marked(const void *pointer) { return swiftgc_kinds_is_marked(pointer); }
BOEHM_EXPORT void GC_set_mark_bit(const void *pointer) { swiftgc_kinds_set_mark_bit(pointer, 1); }
BOEHM_EXPORT void GC_clear_mark_bit(const void *pointer) { swiftgc_kinds_set_mark_bit(pointer, 0); }

/* ---- Other roots ---- */
/* Does nothing; the default GC_get_push_other_roots returns, so that a
 * program chaining to the previous callback can always call it (bdwgc's
 * default pushes the thread stacks, which SwiftGC marks anyway). */
static void push_no_other_roots(void) {}
/* Exported as bdwgc exports it: older runtimes assign the variable instead
 * of calling GC_set_push_other_roots, and under LD_PRELOAD their
 * assignment must land here. Read at each collection (boehm_variables.c). */
BOEHM_EXPORT GC_push_other_roots_proc GC_push_other_roots = push_no_other_roots;

BOEHM_EXPORT void GC_set_push_other_roots(GC_push_other_roots_proc procedure) { GC_push_other_roots = procedure; }
BOEHM_EXPORT GC_push_other_roots_proc GC_get_push_other_roots(void) { return GC_push_other_roots; }

/* All three scan the range at once while the collector marks roots (from
 * the push-other-roots callback); there are no dirty bits, so
 * GC_push_conditional pushes everything. Called at any other time they do
 * nothing. */
BOEHM_EXPORT void GC_push_all(void *bottom, void *top) { swiftgc_roots_push_range(bottom, top); }
BOEHM_EXPORT void GC_push_all_eager(void *bottom, void *top) { swiftgc_roots_push_range(bottom, top); }
BOEHM_EXPORT void GC_push_conditional(void *bottom, void *top, int all) {
    (void)all;
    swiftgc_roots_push_range(bottom, top);
}
/* The finalizer and weak-link tables are marked by the collector itself. */
BOEHM_EXPORT void GC_push_finalizer_structures(void) {}

BOEHM_EXPORT size_t GC_get_debug_header_size(void) { return 0; }
BOEHM_EXPORT void *GC_clear_stack(void *argument) { return argument; }

