/*
 * gc/gc_disclaim.h — bdwgc 8.2's disclaim procedures and finalized
 * allocation on SwiftGC (Sources/_CSwiftGCBoehm/boehm_disclaim.c).
 *
 * A disclaim procedure is asked about each object of its kind that a
 * collection finds unreachable; SwiftGC asks while the world is stopped,
 * with the allocation lock held and mark bits valid, so the procedure may
 * call GC_is_marked and must not allocate, block, or print. A finalized
 * object's closure is called later, as a finalizer, with the world
 * running. README.md, "Differences from bdwgc", has the details.
 */
#ifndef SWIFTGC_BOEHM_GC_DISCLAIM_H
#define SWIFTGC_BOEHM_GC_DISCLAIM_H

#include "gc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Prepares GC_finalized_malloc; thread-safe, and calling it again is harmless. */
void GC_init_finalized_malloc(void);

/* Nonzero keeps the object (and registers it again for the next
 * collection); 0 lets this collection reclaim it. */
typedef int (*GC_disclaim_proc)(void *object);

/* Asks proc about each unreachable object of kind allocated from now on.
 * With mark_from_all nonzero, what such an object points to survives the
 * collection that disclaims it, so long chains take several collections. */
void GC_register_disclaim_proc(int kind, GC_disclaim_proc proc, int mark_from_all);

/* The closure GC_finalized_malloc calls: proc(object, cd). */
struct GC_finalizer_closure {
    GC_finalization_proc proc;
    void *cd;
};

/* size bytes, zeroed, after a hidden first word that holds fc (tagged with
 * 1): GC_base of the result is one word before it, and GC_size is a word
 * more than size asks. Once the object is unreachable, fc->proc runs (as
 * a finalizer), then a later collection reclaims the object; what it
 * points to, fc's closure included, stays alive until then. */
void *GC_finalized_malloc(size_t size, const struct GC_finalizer_closure *fc);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_BOEHM_GC_DISCLAIM_H */
