/*
 * gc/gc_typed.h — bdwgc's typed allocation on SwiftGC: objects scanned only
 * at the words a bitmap marks as pointers. Forwards to gc_make_descriptor,
 * gc_malloc_typed and gc_calloc_typed (swiftgc.h).
 */
#ifndef SWIFTGC_BOEHM_GC_TYPED_H
#define SWIFTGC_BOEHM_GC_TYPED_H

#include "gc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef GC_word GC_descr;

#define GC_WORDSZ (8 * sizeof(GC_word))
#define GC_get_bit(bm, index) (((bm)[(index) / GC_WORDSZ] >> ((index) % GC_WORDSZ)) & 1)
#define GC_set_bit(bm, index) ((bm)[(index) / GC_WORDSZ] |= (GC_word)1 << ((index) % GC_WORDSZ))
#define GC_WORD_OFFSET(t, f) (offsetof(t, f) / sizeof(GC_word))
#define GC_WORD_LEN(t) (sizeof(t) / sizeof(GC_word))
#define GC_BITMAP_SIZE(t) ((GC_WORD_LEN(t) + GC_WORDSZ - 1) / GC_WORDSZ)

/* Bit i of bitmap set: word i may hold a pointer. */
GC_descr GC_make_descriptor(const GC_word *bitmap, size_t word_count);
void *GC_malloc_explicitly_typed(size_t size, GC_descr descriptor);
void *GC_malloc_explicitly_typed_ignore_off_page(size_t size, GC_descr descriptor);
void *GC_calloc_explicitly_typed(size_t count, size_t element_size, GC_descr descriptor);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_BOEHM_GC_TYPED_H */
