/*
 * bench_allocator.h — the allocator one benchmark variant is built for.
 *
 * Every benchmark is a single source compiled once per allocator. Exactly one
 * of these macros picks the allocator (run.sh passes it):
 *
 *   -DSWIFTGC   gc_malloc and gc_malloc_atomic from libswiftgc; nothing is
 *               freed, the collector reclaims dropped objects.
 *   -DBDWGC     GC_MALLOC and GC_MALLOC_ATOMIC from bdwgc (libgc), after
 *               GC_INIT(); nothing is freed.
 *   -DMALLOC    malloc and free. MALLOC_LIBRARY names the library whose malloc
 *               is linked in: glibc (the default), jemalloc or mimalloc.
 *               allocator_start() checks that malloc really comes from it, so
 *               a link order mistake cannot silently measure glibc twice.
 *
 * The benchmarks call only the functions below, so this file is the one place
 * where the allocators differ. Code that walks a tree just to free it asks
 * allocator_frees_explicitly first; it is a constant, so the walk compiles
 * away in the collector variants.
 */
#ifndef BENCH_ALLOCATOR_H
#define BENCH_ALLOCATOR_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(SWIFTGC) + defined(BDWGC) + defined(MALLOC) != 1
#error "define exactly one of SWIFTGC, BDWGC or MALLOC"
#endif

#if defined(SWIFTGC)
#include "swiftgc.h"
#elif defined(BDWGC)
#define GC_THREADS /* gc.h then routes pthread_create through GC_pthread_create */
#include <pthread.h>
#include <gc.h>
#else
#include <dlfcn.h>
#include <string.h>
#endif

/* Stops the benchmark with a message naming what ran out. */
static void allocation_failed(size_t size) {
    fprintf(stderr, "benchmark: FAILED: allocation of %zu bytes returned NULL\n", size);
    exit(1);
}

#if defined(SWIFTGC)

static const char *const allocator_name = "swiftgc";
static const bool allocator_frees_explicitly = false;

static void allocator_start(void) {}

/* Memory that may hold pointers to other allocated objects. */
static inline void *allocate_object(size_t size) {
    void *object = gc_malloc(size);
    if (object == NULL) allocation_failed(size);
    return object;
}

/* Memory that never holds pointers (arrays of numbers). */
static inline void *allocate_pointer_free(size_t size) {
    void *object = gc_malloc_atomic(size);
    if (object == NULL) allocation_failed(size);
    return object;
}

static inline void release_object(void *object) { (void)object; }

/* Collector counters for the closing line; false if there is no collector. */
static bool allocator_collector_counters(uint64_t *collections, uint64_t *heap_bytes) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    *collections = stats.collections;
    *heap_bytes = stats.peak_heap_size;
    return true;
}

#elif defined(BDWGC)

static const char *const allocator_name = "bdwgc";
static const bool allocator_frees_explicitly = false;

/* GC_INIT must run from the main program, before the first allocation. */
#define allocator_start() GC_INIT()

static inline void *allocate_object(size_t size) {
    void *object = GC_MALLOC(size);
    if (object == NULL) allocation_failed(size);
    return object;
}

static inline void *allocate_pointer_free(size_t size) {
    void *object = GC_MALLOC_ATOMIC(size);
    if (object == NULL) allocation_failed(size);
    return object;
}

static inline void release_object(void *object) { (void)object; }

/* bdwgc never shrinks its heap size, so the current size is the peak. */
static bool allocator_collector_counters(uint64_t *collections, uint64_t *heap_bytes) {
    *collections = GC_get_gc_no();
    *heap_bytes = GC_get_heap_size();
    return true;
}

#else /* MALLOC */

#ifndef MALLOC_LIBRARY
#define MALLOC_LIBRARY glibc
#endif
#define ALLOCATOR_STRING_OF(name) #name
#define ALLOCATOR_STRING(name) ALLOCATOR_STRING_OF(name)

static const char *const allocator_name = ALLOCATOR_STRING(MALLOC_LIBRARY);
static const bool allocator_frees_explicitly = true;

/* Fails loudly unless the malloc this program calls is defined in the shared
 * object named by MALLOC_LIBRARY (libc.so for glibc, lib<name> otherwise). */
static void allocator_start(void) {
    char expected_file[64];
    if (strcmp(allocator_name, "glibc") == 0)
        snprintf(expected_file, sizeof expected_file, "/libc.so");
    else
        snprintf(expected_file, sizeof expected_file, "/lib%s", allocator_name);

    void *(*volatile malloc_in_use)(size_t) = malloc;
    Dl_info info = {0};
    if (dladdr((void *)malloc_in_use, &info) == 0 || info.dli_fname == NULL ||
        strstr(info.dli_fname, expected_file) == NULL) {
        fprintf(stderr, "benchmark: FAILED: expected malloc from %s, found it in %s\n",
                expected_file + 1, info.dli_fname != NULL ? info.dli_fname : "(unknown)");
        exit(1);
    }
}

static inline void *allocate_object(size_t size) {
    void *object = malloc(size);
    if (object == NULL) allocation_failed(size);
    return object;
}

static inline void *allocate_pointer_free(size_t size) { return allocate_object(size); }

static inline void release_object(void *object) { free(object); }

static bool allocator_collector_counters(uint64_t *collections, uint64_t *heap_bytes) {
    *collections = 0;
    *heap_bytes = 0;
    return false;
}

#endif

#endif /* BENCH_ALLOCATOR_H */
