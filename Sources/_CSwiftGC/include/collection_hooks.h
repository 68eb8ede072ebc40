/*
 * Collection hooks: how a C front end above the collector takes part in its
 * collections without the collector naming it. The bdwgc layer
 * (libswiftgc.so only) registers them when the library loads, so that
 * bdwgc's variables and callbacks (GC_dont_gc, GC_free_space_divisor, the
 * start and push-other-roots callbacks) act on SwiftGC's collections. With
 * nothing registered (the Swift package, libswiftgc-preload.so) each call
 * below does what it says for that case.
 *
 * Self-contained (only <stdint.h>), so that the bdwgc layer can include it
 * without _CSwiftGC.h, whose copy of swiftgc.h has the types only.
 */
#ifndef SWIFTGC_C_COLLECTION_HOOKS_H
#define SWIFTGC_C_COLLECTION_HOOKS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct swiftgc_collection_hooks {
    /* Called with the heap lock held when a collection is about to start,
     * with plausible bounds of heap addresses: one byte below the heap's
     * reserved arena and the arena's end, neither ever inside an object
     * (the used top would be: the next span starts there). 0 cancels the
     * collection. */
    int (*collection_may_start)(uintptr_t least_plausible, uintptr_t greatest_plausible);
    /* 0, or the divisor that replaces SWIFTGC_HEAP_GROWTH in pacing: the
     * budget between collections becomes bytes in use / divisor. */
    uintptr_t (*free_space_divisor)(void);
    /* Called once the roots are marked, with the world stopped and the heap
     * lock held; it may push more roots through swiftgc_roots_push_range.
     * collections_completed does not count this collection yet. */
    void (*push_other_roots)(uint64_t collections_completed);
} swiftgc_collection_hooks;

/* Registers hooks, which must stay valid for the life of the process;
 * every member must be set. Registering the same hooks again is harmless,
 * so a front end may also register from its initialisation call, in case
 * another library's constructor calls it before its own constructor ran. */
void swiftgc_register_collection_hooks(const swiftgc_collection_hooks *hooks);

/* What the collector calls. Without hooks: 1, 0 and nothing. */
int swiftgc_collection_may_start(uintptr_t least_plausible, uintptr_t greatest_plausible);
uintptr_t swiftgc_free_space_divisor(void);
void swiftgc_push_other_roots(uint64_t collections_completed);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_C_COLLECTION_HOOKS_H */
