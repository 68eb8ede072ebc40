/*
 * bdwgc's debugging allocation API (GC_debug_*, used by the GC_MALLOC family
 * when a program defines GC_DEBUG). SwiftGC's debug objects are the plain
 * objects, with no header or guard words: every function forwards. The
 * functions that receive the caller's file and line check their pointer
 * argument first, so a misuse message names the call site.
 * Compiled only into libswiftgc.so.
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"

#include <stdio.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))

/* Reports a pointer that is not the start of a SwiftGC object, with the
 * call site; returns whether the pointer is fine (NULL is). */
static int is_object_start(const char *function, const void *object, const char *file, int line) {
    if (object == NULL || gc_base((void *)object) == object) return 1;
    fprintf(stderr, "swiftgc: %s(%p) called at %s:%d: pointer is not the start of an object allocated by swiftgc\n",
            function, object, file ? file : "?", line);
    return 0;
}

BOEHM_EXPORT void *GC_debug_malloc(size_t size, const char *file, int line) {
    (void)file, (void)line;
    return GC_malloc(size);
}
BOEHM_EXPORT void *GC_debug_malloc_atomic(size_t size, const char *file, int line) {
    (void)file, (void)line;
    return GC_malloc_atomic(size);
}
BOEHM_EXPORT void *GC_debug_malloc_uncollectable(size_t size, const char *file, int line) {
    (void)file, (void)line;
    return GC_malloc_uncollectable(size);
}
BOEHM_EXPORT void *GC_debug_malloc_atomic_uncollectable(size_t size, const char *file, int line) {
    (void)file, (void)line;
    return GC_malloc_atomic_uncollectable(size);
}
BOEHM_EXPORT void *GC_debug_malloc_ignore_off_page(size_t size, const char *file, int line) {
    (void)file, (void)line;
    return GC_malloc_ignore_off_page(size);
}
BOEHM_EXPORT void *GC_debug_malloc_atomic_ignore_off_page(size_t size, const char *file, int line) {
    (void)file, (void)line;
    return GC_malloc_atomic_ignore_off_page(size);
}
BOEHM_EXPORT void *GC_debug_malloc_stubborn(size_t size, const char *file, int line) {
    (void)file, (void)line;
    return GC_malloc(size);
}
BOEHM_EXPORT void *GC_debug_realloc(void *object, size_t size, const char *file, int line) {
    if (!is_object_start("GC_debug_realloc", object, file, line)) return NULL;
    return GC_realloc(object, size);
}
BOEHM_EXPORT void GC_debug_free(void *object) { GC_free(object); }
BOEHM_EXPORT char *GC_debug_strdup(const char *string, const char *file, int line) {
    (void)file, (void)line;
    return GC_strdup(string);
}
BOEHM_EXPORT char *GC_debug_strndup(const char *string, size_t size, const char *file, int line) {
    (void)file, (void)line;
    return GC_strndup(string, size);
}
BOEHM_EXPORT void *GC_debug_malloc_replacement(size_t size) { return GC_malloc(size); }
BOEHM_EXPORT void *GC_debug_realloc_replacement(void *object, size_t size) { return GC_realloc(object, size); }

/* SwiftGC has no incremental mode, so nothing needs to know about stores. */
BOEHM_EXPORT void GC_change_stubborn(const void *object) { (void)object; }
BOEHM_EXPORT void GC_end_stubborn_change(const void *object) { (void)object; }
BOEHM_EXPORT void GC_ptr_store_and_dirty(void *slot, const void *value) { *(const void **)slot = value; }
BOEHM_EXPORT void GC_debug_change_stubborn(const void *object) { (void)object; }
BOEHM_EXPORT void GC_debug_end_stubborn_change(const void *object) { (void)object; }
BOEHM_EXPORT void GC_debug_ptr_store_and_dirty(void *slot, const void *value) { *(const void **)slot = value; }
BOEHM_EXPORT void GC_debug_register_displacement(size_t offset) { GC_register_displacement(offset); }

BOEHM_EXPORT void GC_debug_register_finalizer(void *object, GC_finalization_proc fn, void *data,
                                              GC_finalization_proc *previous_fn, void **previous_data) {
    GC_register_finalizer(object, fn, data, previous_fn, previous_data);
}
BOEHM_EXPORT void GC_debug_register_finalizer_ignore_self(void *object, GC_finalization_proc fn, void *data,
                                                          GC_finalization_proc *previous_fn, void **previous_data) {
    GC_register_finalizer_ignore_self(object, fn, data, previous_fn, previous_data);
}
BOEHM_EXPORT void GC_debug_register_finalizer_no_order(void *object, GC_finalization_proc fn, void *data,
                                                       GC_finalization_proc *previous_fn, void **previous_data) {
    GC_register_finalizer_no_order(object, fn, data, previous_fn, previous_data);
}
BOEHM_EXPORT void GC_debug_register_finalizer_unreachable(void *object, GC_finalization_proc fn, void *data,
                                                          GC_finalization_proc *previous_fn, void **previous_data) {
    GC_register_finalizer_unreachable(object, fn, data, previous_fn, previous_data);
}

