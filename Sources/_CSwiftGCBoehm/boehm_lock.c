/*
 * bdwgc's allocation lock and what is done under it
 * (include/boehm/gc/gc_hooks.h): GC_alloc_lock is SwiftGC's heap lock, so
 * no collection, sweep or allocation slow path runs while a program holds
 * it. As with bdwgc, the holder must not allocate (the lock is not
 * recursive); GC_base, GC_size and GC_is_marked take no lock and may be
 * called. Compiled only into libswiftgc.so.
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "_CSwiftGCBoehm.h"

#include <stdint.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))

BOEHM_EXPORT void GC_alloc_lock(void) { swiftgc_heap_lock(); }
BOEHM_EXPORT void GC_alloc_unlock(void) { swiftgc_heap_unlock(); }

BOEHM_EXPORT void *GC_call_with_alloc_lock(GC_fn_type fn, void *data) {
    swiftgc_heap_lock();
    void *result = fn(data);
    swiftgc_heap_unlock();
    return result;
}

/* The walk's sizes are gc_size's; bdwgc's callers compare them with
 * GC_size, which counts the whole slot. */
struct enumeration {
    GC_reachable_object_proc proc;
    void *data;
};
static void visit_object(void *object, size_t bytes, void *data) {
    (void)bytes;
    struct enumeration *enumeration = data;
    enumeration->proc(object, GC_size(object), enumeration->data);
}

BOEHM_EXPORT void GC_enumerate_reachable_objects_inner(GC_reachable_object_proc proc, void *data) {
    struct enumeration enumeration = { proc, data };
    if (proc) swiftgc_heap_for_each_object(visit_object, &enumeration);
}

/* bdwgc's size map gives, for a request of i bytes, the bytes its object
 * gets; SwiftGC's size classes answer the same question. */
BOEHM_EXPORT size_t GC_get_size_map_at(int i) {
    if (i < 0) return (size_t)-1;
    size_t bytes = swiftgc_heap_usable_bytes_for_request((size_t)i);
    return bytes == (size_t)-1 ? bytes : (bytes + 15) & ~(size_t)15; /* as GC_size */
}
