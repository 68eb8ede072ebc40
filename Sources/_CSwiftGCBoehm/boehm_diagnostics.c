/*
 * The rest of libgc.so.1's exported GC_* functions that SwiftGC can give a
 * sensible meaning (include/boehm/gc/gc_hooks.h): heap dumps as one
 * summary line each, out-of-memory abort, checked pointer arithmetic
 * without the check, and filters SwiftGC accepts without effect. README's
 * "Differences from bdwgc" says which. Compiled only into libswiftgc.so.
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "../../include/boehm/gc/gc_mark.h"

#include <stdio.h>
#include <stdlib.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))

/* SwiftGC's debugging allocation adds no header. */
BOEHM_EXPORT size_t GC_debug_header_size = 0;

BOEHM_EXPORT void GC_abort_on_oom(void) {
    GC_on_abort("swiftgc: out of memory");
    abort();
}

/* ---- Dumps: the heap summary GC_dump prints ---- */
BOEHM_EXPORT void GC_dump_named(const char *name) {
    if (name) fprintf(stderr, "swiftgc: heap dump %s\n", name);
    GC_dump();
}
BOEHM_EXPORT void GC_dump_regions(void) { GC_dump(); }
BOEHM_EXPORT void GC_dump_finalization(void) {
    fprintf(stderr, "swiftgc: %zu finalizers ready to run\n", gc_pending_finalizers());
}
/* SwiftGC's free slots are bits in span bitmaps, not lists. */
BOEHM_EXPORT void GC_print_free_list(int kind, size_t granules) {
    fprintf(stderr, "swiftgc: no free list for kind %d, %zu granules: free slots are bitmap bits\n", kind, granules);
}

/* ---- Checked pointer arithmetic, unchecked ---- */
BOEHM_EXPORT void *GC_pre_incr(void **pointer, ptrdiff_t bytes) {
    *pointer = (char *)*pointer + bytes;
    return *pointer;
}
BOEHM_EXPORT void *GC_post_incr(void **pointer, ptrdiff_t bytes) {
    void *before = *pointer;
    *pointer = (char *)before + bytes;
    return before;
}

/* ---- Accepted without effect ---- */
/* GC_exclude_static_roots (boehm.c) excludes nothing, so nothing to clear. */
BOEHM_EXPORT void GC_clear_exclusion_table(void) {}
/* Every library's data segments are scanned; there is no temporary-root
 * table to ask. */
BOEHM_EXPORT int GC_is_tmp_root(void *pointer) {
    (void)pointer;
    return 0;
}
static GC_has_static_roots_func static_roots_filter;
BOEHM_EXPORT void GC_register_has_static_roots_callback(GC_has_static_roots_func filter) { static_roots_filter = filter; }
/* No debug printing of objects calls it. */
BOEHM_EXPORT void GC_register_describe_type_fn(int kind, GC_describe_type_fn describe) {
    (void)kind;
    (void)describe;
}
