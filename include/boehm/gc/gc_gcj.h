/*
 * gc/gc_gcj.h — bdwgc 8.2's allocation for gcj-style objects on SwiftGC
 * (Sources/_CSwiftGCBoehm/boehm_gcj.c). Each object's first word points to
 * its type's record (a "vtable"), whose second word is the object's mark
 * descriptor in gc_mark.h's encoding:
 *
 *     object:  [ vtable | fields ... ]
 *     vtable:  [ anything | mark descriptor | ... ]
 *
 * The collector reads the descriptor through the first word at each
 * collection; an object whose first word is still 0 is not scanned.
 */
#ifndef SWIFTGC_BOEHM_GC_GCJ_H
#define SWIFTGC_BOEHM_GC_GCJ_H

#include "gc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Prepares the gcj kind; calling it again is harmless. A non-NULL
 * mark_procedure (a GC_mark_proc) becomes mark procedure mp_index if that
 * is the next free index, for descriptors made with GC_MAKE_PROC. */
void GC_init_gcj_malloc(int mp_index, void *mark_procedure);
/* size bytes, zeroed, whose first word is set to vtable. */
void *GC_gcj_malloc(size_t size, void *vtable);
void *GC_gcj_malloc_ignore_off_page(size_t size, void *vtable);
void *GC_debug_gcj_malloc(size_t size, void *vtable, const char *file, int line);
/* The kind of gcj objects (both are the same kind on SwiftGC). */
extern int GC_gcj_kind;
extern int GC_gcj_debug_kind;

#ifdef GC_DEBUG
#define GC_GCJ_MALLOC(size, vtable) GC_debug_gcj_malloc(size, vtable, __FILE__, __LINE__)
#define GC_GCJ_MALLOC_IGNORE_OFF_PAGE(size, vtable) GC_debug_gcj_malloc(size, vtable, __FILE__, __LINE__)
#else
#define GC_GCJ_MALLOC(size, vtable) GC_gcj_malloc(size, vtable)
#define GC_GCJ_MALLOC_IGNORE_OFF_PAGE(size, vtable) GC_gcj_malloc_ignore_off_page(size, vtable)
#endif

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_BOEHM_GC_GCJ_H */
