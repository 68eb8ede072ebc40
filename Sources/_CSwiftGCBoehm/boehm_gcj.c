/*
 * bdwgc's gcj-style allocation (include/boehm/gc/gc_gcj.h): one object kind
 * whose descriptor is indirect and per-object, so the marker finds each
 * object's real descriptor in the second word of the record its first word
 * points to (MarkProcedures.swift reads that encoding). Compiled only into
 * libswiftgc.so.
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "../../include/boehm/gc/gc_gcj.h"
#include "../../include/boehm/gc/gc_mark.h"

#include <pthread.h>
#include <stdio.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))

/* Where the descriptor sits in the type record: its second word. */
#define DESCRIPTOR_OFFSET ((GC_signed_word)sizeof(GC_word))

/* Written once, by prepare_kind under kind_once. */
BOEHM_EXPORT int GC_gcj_kind;
BOEHM_EXPORT int GC_gcj_debug_kind;
static pthread_once_t kind_once = PTHREAD_ONCE_INIT;
static GC_mark_proc pending_procedure;
static int pending_procedure_index;

static void prepare_kind(void) {
    if (pending_procedure != NULL) {
        unsigned index = GC_new_proc(pending_procedure);
        if ((int)index != pending_procedure_index) {
            fprintf(stderr, "swiftgc: GC_init_gcj_malloc: mark procedure got index %u, not %d\n", index,
                    pending_procedure_index);
        }
    }
    /* Negative: indirect through the first word, less bdwgc's bias. */
    GC_word descriptor = (GC_word)(-DESCRIPTOR_OFFSET - GC_INDIR_PER_OBJ_BIAS) | GC_DS_PER_OBJECT;
    GC_gcj_kind = (int)GC_new_kind(GC_new_free_list(), descriptor, 0, 1);
    GC_gcj_debug_kind = GC_gcj_kind;
}

BOEHM_EXPORT void GC_init_gcj_malloc(int mp_index, void *mark_procedure) {
    pending_procedure = (GC_mark_proc)mark_procedure;
    pending_procedure_index = mp_index;
    pthread_once(&kind_once, prepare_kind);
}

BOEHM_EXPORT void *GC_gcj_malloc(size_t size, void *vtable) {
    pthread_once(&kind_once, prepare_kind);
    void **object = GC_generic_malloc(size, GC_gcj_kind);
    if (object) *object = vtable;
    return object;
}
BOEHM_EXPORT void *GC_gcj_malloc_ignore_off_page(size_t size, void *vtable) { return GC_gcj_malloc(size, vtable); }
BOEHM_EXPORT void *GC_debug_gcj_malloc(size_t size, void *vtable, const char *file, int line) {
    (void)file;
    (void)line;
    return GC_gcj_malloc(size, vtable);
}
