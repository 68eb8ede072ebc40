/*
 * _CSwiftGCPreload: the C parts of libswiftgc-preload.so. The malloc family
 * (malloc.c): the names are reserved in C, so they are defined here and each
 * forwards to a Swift function of GCCore (Exports/MallocExports.swift), where
 * the logic is. The leak check's stack capture (leak_check.c), which the
 * collector calls; it is declared in _CSwiftGC.h.
 */
#ifndef SWIFTGC_C_PRELOAD_H
#define SWIFTGC_C_PRELOAD_H

#include <stddef.h>

void *swiftgc_malloc(size_t size);
void swiftgc_free(void *pointer);
void *swiftgc_calloc(size_t count, size_t size);
void *swiftgc_realloc(void *pointer, size_t size);
void *swiftgc_reallocarray(void *pointer, size_t count, size_t size);
int swiftgc_posix_memalign(void **result, size_t alignment, size_t size);
void *swiftgc_aligned_alloc(size_t alignment, size_t size);
void *swiftgc_memalign(size_t alignment, size_t size);
void *swiftgc_valloc(size_t size);
void *swiftgc_pvalloc(size_t size);
size_t swiftgc_malloc_usable_size(void *pointer);

#endif /* SWIFTGC_C_PRELOAD_H */
