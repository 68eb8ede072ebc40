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
    /* Called with the heap lock held at each step of a collection or stop
     * that the collector reports (swiftgc_event below): argument is the
     * thread (pthread_t) for the thread events, the heap's committed bytes
     * for the end of a collection, else 0. It must not allocate. */
    void (*collection_event)(int event, uintptr_t argument);
    /* Called with the world stopped, the heap lock held and mark bits
     * valid, for each finalizable object found unreachable (reachable from
     * no other finalizable object), with its finalizer and data. Returns a
     * swiftgc_finalizer_decision. */
    int (*finalizer_found_unreachable)(const void *object, const void *function, const void *data);
} swiftgc_collection_hooks;

/* The steps reported through collection_event. Their numbers are bdwgc's
 * GC_EventType, so the bdwgc layer passes them on unchanged. Only these
 * are reported: the start of a collection (START) is the bdwgc layer's
 * own collection_may_start. */
enum swiftgc_event {
    swiftgc_event_end = 5,                /* the world runs again; sweeping is done or lazy */
    swiftgc_event_pre_stop_world = 6,     /* before the suspend signals are sent */
    swiftgc_event_post_stop_world = 7,    /* every other registered thread has stopped */
    swiftgc_event_pre_start_world = 8,    /* before the stopped threads are released */
    swiftgc_event_post_start_world = 9,   /* after the restart signals are sent */
    swiftgc_event_thread_suspended = 10,  /* the suspend signal went to one thread */
    swiftgc_event_thread_unsuspended = 11 /* the restart signal went to one thread */
};

/* Registers hooks, which must stay valid for the life of the process;
 * every member must be set. Registering the same hooks again is harmless,
 * so a front end may also register from its initialisation call, in case
 * another library's constructor calls it before its own constructor ran. */
void swiftgc_register_collection_hooks(const swiftgc_collection_hooks *hooks);

/* What the collector calls. Without hooks: 1, 0, nothing, nothing and
 * swiftgc_finalizer_queue. */
int swiftgc_collection_may_start(uintptr_t least_plausible, uintptr_t greatest_plausible);
uintptr_t swiftgc_free_space_divisor(void);
void swiftgc_push_other_roots(uint64_t collections_completed);
void swiftgc_collection_event(int event, uintptr_t argument);
int swiftgc_finalizer_found_unreachable(const void *object, const void *function, const void *data);

/* What becomes of a finalizable object found unreachable. */
enum swiftgc_finalizer_decision {
    swiftgc_finalizer_queue = 0, /* queue its finalizer; it and what it reaches survive this collection */
    swiftgc_finalizer_keep = 1,  /* it stays registered and survives, unfinalized */
    swiftgc_finalizer_drop = 2   /* its registration is dropped and this sweep reclaims it */
};

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_C_COLLECTION_HOOKS_H */
