/* The malloc family, each a one-line forward to GCCore. Compiled only into
 * libswiftgc-preload.so; libswiftgc.so keeps the system malloc. */
#include "_CSwiftGCPreload.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT void *malloc(size_t size) { return swiftgc_malloc(size); }
EXPORT void free(void *pointer) { swiftgc_free(pointer); }
EXPORT void *calloc(size_t count, size_t size) { return swiftgc_calloc(count, size); }
EXPORT void *realloc(void *pointer, size_t size) { return swiftgc_realloc(pointer, size); }
EXPORT void *reallocarray(void *pointer, size_t count, size_t size) { return swiftgc_reallocarray(pointer, count, size); }
EXPORT int posix_memalign(void **result, size_t alignment, size_t size) { return swiftgc_posix_memalign(result, alignment, size); }
EXPORT void *aligned_alloc(size_t alignment, size_t size) { return swiftgc_aligned_alloc(alignment, size); }
EXPORT void *memalign(size_t alignment, size_t size) { return swiftgc_memalign(alignment, size); }
EXPORT void *valloc(size_t size) { return swiftgc_valloc(size); }
EXPORT void *pvalloc(size_t size) { return swiftgc_pvalloc(size); }
EXPORT size_t malloc_usable_size(void *pointer) { return swiftgc_malloc_usable_size(pointer); }

/* glibc's own names for the same functions. */
EXPORT void *__libc_malloc(size_t size) { return swiftgc_malloc(size); }
EXPORT void __libc_free(void *pointer) { swiftgc_free(pointer); }
EXPORT void *__libc_calloc(size_t count, size_t size) { return swiftgc_calloc(count, size); }
EXPORT void *__libc_realloc(void *pointer, size_t size) { return swiftgc_realloc(pointer, size); }
EXPORT void *__libc_memalign(size_t alignment, size_t size) { return swiftgc_memalign(alignment, size); }
EXPORT void *__libc_valloc(size_t size) { return swiftgc_valloc(size); }
EXPORT void *__libc_pvalloc(size_t size) { return swiftgc_pvalloc(size); }
