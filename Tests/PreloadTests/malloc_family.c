/* Every function the preload library replaces, run under
 * LD_PRELOAD=libswiftgc-preload.so: results, alignment, usable sizes, and
 * that each block really comes from SwiftGC (gc_base, found with dlsym,
 * recognises it). Passes in every SWIFTGC_MODE. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../CTests/check.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static void *(*gc_base_function)(const void *);

/* gc_base finds the block's start; for alignments beyond a page the block
 * handed out lies inside a bigger one, so it need only be inside one. */
static int is_ours(void *block) { return block != NULL && gc_base_function(block) != NULL; }

static int is_zero(const unsigned char *bytes, size_t count) {
    for (size_t index = 0; index < count; index++) if (bytes[index]) return 0;
    return 1;
}

static void check_malloc_and_usable_size(void) {
    for (size_t size = 0; size <= 70000; size = size < 64 ? size + 1 : size * 3 / 2) {
        unsigned char *block = malloc(size);
        CHECK(block && gc_base_function(block) == block, "malloc(%zu) returns the start of a SwiftGC block", size);
        CHECK(((uintptr_t)block & 15) == 0, "malloc(%zu) is 16-byte aligned", size);
        size_t usable = malloc_usable_size(block);
        CHECK(usable >= size && usable >= 1, "malloc_usable_size(malloc(%zu)) = %zu is at least the request", size, usable);
        memset(block, 0xA5, usable);
        free(block);
    }
    void *a = malloc(0), *b = malloc(0);
    CHECK(a && b && a != b, "malloc(0) returns distinct non-NULL blocks");
    free(a); free(b);
    CHECK(malloc_usable_size(NULL) == 0, "malloc_usable_size(NULL) is 0");
    errno = 0;
    CHECK(malloc(SIZE_MAX - 4096) == NULL && errno == ENOMEM, "an impossible malloc returns NULL with ENOMEM");
    free(NULL);
}

static void check_calloc(void) {
    for (size_t count = 1; count < 100000; count *= 7) {
        unsigned char *block = calloc(count, 3);
        CHECK(is_ours(block) && is_zero(block, count * 3), "calloc(%zu, 3) is ours and zeroed", count);
        memset(block, 0xFF, count * 3);
        free(block);
        block = calloc(count, 3);   /* likely reuses the dirty block */
        CHECK(block && is_zero(block, count * 3), "calloc(%zu, 3) after a free is zeroed", count);
        free(block);
    }
    errno = 0;
    CHECK(calloc(SIZE_MAX / 2, 3) == NULL && errno == ENOMEM, "calloc overflow returns NULL with ENOMEM");
}

static void check_realloc(void) {
    unsigned char *block = realloc(NULL, 10);
    CHECK(is_ours(block), "realloc(NULL, 10) allocates");
    for (int index = 0; index < 10; index++) block[index] = (unsigned char)index;
    size_t sizes[] = {100, 5000, 50000, 300000, 40, 3000000, 20};
    for (size_t step = 0; step < sizeof sizes / sizeof sizes[0]; step++) {
        block = realloc(block, sizes[step]);
        CHECK(is_ours(block) && malloc_usable_size(block) >= sizes[step], "realloc to %zu is ours and big enough", sizes[step]);
        int intact = 1;
        for (int index = 0; index < 10; index++) intact &= block[index] == (unsigned char)index;
        CHECK(intact, "realloc to %zu keeps the first bytes", sizes[step]);
    }
    errno = 0;
    CHECK(realloc(block, SIZE_MAX - 100) == NULL && errno == ENOMEM, "an impossible realloc fails with ENOMEM");
    CHECK(block[3] == 3, "a failed realloc leaves the block alone");
    CHECK(realloc(block, 0) == NULL, "realloc(p, 0) frees and returns NULL, as glibc");

    block = reallocarray(NULL, 100, 8);
    CHECK(is_ours(block) && malloc_usable_size(block) >= 800, "reallocarray(NULL, 100, 8) allocates 800 bytes");
    block[799] = 7;
    block = reallocarray(block, 1000, 8);
    CHECK(is_ours(block) && block[799] == 7, "reallocarray grows and keeps contents");
    errno = 0;
    CHECK(reallocarray(block, SIZE_MAX / 4, 8) == NULL && errno == ENOMEM, "reallocarray overflow fails with ENOMEM");
    free(block);
}

static void check_alignment(void) {
    size_t sizes[] = {1, 24, 100, 4096, 40000, 1 << 20};
    for (size_t alignment = 1; alignment <= (4u << 20); alignment *= 2) {
        for (size_t index = 0; index < sizeof sizes / sizeof sizes[0]; index++) {
            size_t size = sizes[index];
            void *block = NULL;
            if (alignment >= sizeof(void *)) {
                int result = posix_memalign(&block, alignment, size);
                CHECK(result == 0 && is_ours(block), "posix_memalign(%zu, %zu) succeeds with our block", alignment, size);
                CHECK(((uintptr_t)block & (alignment - 1)) == 0, "posix_memalign(%zu, %zu) = %p is aligned", alignment, size, block);
                CHECK(malloc_usable_size(block) >= size, "posix_memalign(%zu, %zu) block is big enough", alignment, size);
                memset(block, 1, size);
                free(block);
            }
            block = aligned_alloc(alignment, size);
            CHECK(is_ours(block) && ((uintptr_t)block & (alignment - 1)) == 0, "aligned_alloc(%zu, %zu) = %p is ours and aligned", alignment, size, block);
            memset(block, 2, size);
            free(block);
            block = memalign(alignment, size);
            CHECK(is_ours(block) && ((uintptr_t)block & (alignment - 1)) == 0, "memalign(%zu, %zu) = %p is ours and aligned", alignment, size, block);
            block = realloc(block, size * 2);
            CHECK(is_ours(block), "realloc of a memalign block works");
            free(block);
        }
    }
    void *unused = (void *)1;
    CHECK(posix_memalign(&unused, 24, 10) == EINVAL && unused == (void *)1, "posix_memalign with alignment 24 is EINVAL and leaves *result");
    CHECK(posix_memalign(&unused, 4, 10) == EINVAL, "posix_memalign with alignment 4 (below pointer size) is EINVAL");
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *block = valloc(100);
    CHECK(is_ours(block) && ((uintptr_t)block & (page - 1)) == 0, "valloc is page-aligned and ours");
    free(block);
    block = pvalloc(100);
    CHECK(is_ours(block) && ((uintptr_t)block & (page - 1)) == 0 && malloc_usable_size(block) >= page,
          "pvalloc(100) is page-aligned and covers a whole page");
    free(block);
}

static void check_libc_names(void) {
    void *block = __libc_malloc(50);
    CHECK(is_ours(block), "__libc_malloc is ours");
    block = __libc_realloc(block, 5000);
    CHECK(is_ours(block), "__libc_realloc is ours");
    __libc_free(block);
    block = __libc_calloc(10, 10);
    CHECK(is_ours(block) && is_zero(block, 100), "__libc_calloc is ours and zeroed");
    free(block);
    block = __libc_memalign(256, 10);
    CHECK(is_ours(block) && ((uintptr_t)block & 255) == 0, "__libc_memalign is ours and aligned");
    free(block);
    char *copy = strdup("inside libc");
    CHECK(is_ours(copy), "libc's own allocations (strdup) are ours");
    free(copy);
}

int main(void) {
    gc_base_function = (void *(*)(const void *))dlsym(RTLD_DEFAULT, "gc_base");
    CHECK(gc_base_function != NULL, "gc_base is exported: the program runs with libswiftgc-preload.so preloaded");
    if (gc_base_function == NULL) return check_finish();
    check_malloc_and_usable_size();
    check_calloc();
    check_realloc();
    check_alignment();
    check_libc_names();
    return check_finish();
}
