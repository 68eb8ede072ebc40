/*
 * gc/gc_mark.h — bdwgc's interface for language runtimes on SwiftGC: object
 * kinds with their own mark descriptors, mark procedures, and direct access
 * to mark bits. The numeric encodings match bdwgc 8.2, so code compiled
 * against bdwgc's header runs on SwiftGC through LD_PRELOAD.
 *
 * How SwiftGC runs it (docs/DESIGN.md, "Object kinds and mark procedures"):
 * objects of a kind made with GC_new_kind carry their kind in a hidden last
 * word; when marking reaches one, the kind's descriptor says what to scan.
 * A mark procedure is called with a small stack of bdwgc-format entries
 * (struct GC_ms_entry); GC_mark_and_push marks an object and adds it there,
 * and whatever the procedure leaves on that stack is moved onto SwiftGC's
 * own mark stack when it returns. Differences: README.md.
 */
#ifndef SWIFTGC_BOEHM_GC_MARK_H
#define SWIFTGC_BOEHM_GC_MARK_H

#include "gc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Mark descriptors ----------------------------------------------------
 * A descriptor is one word. Its two low bits (the tag) say how to read the
 * rest:
 *   GC_DS_LENGTH      the whole word is a length in bytes (a multiple of 4):
 *                     scan that many bytes from the object's start;
 *   GC_DS_BITMAP      the other 62 bits are a bitmap, most significant bit
 *                     first: bit 63 set means word 0 may hold a pointer,
 *                     bit 62 word 1, and so on;
 *   GC_DS_PROC        call mark procedure PROC with argument ENV, both
 *                     packed by GC_MAKE_PROC;
 *   GC_DS_PER_OBJECT  the real descriptor is inside the object, at byte
 *                     offset (descriptor & ~GC_DS_TAGS); or, when the
 *                     descriptor is negative, inside a type record whose
 *                     address is the object's first word, at
 *                     (first word) - (descriptor & ~GC_DS_TAGS) - GC_INDIR_PER_OBJ_BIAS. */
#define GC_DS_TAG_BITS 2
#define GC_DS_TAGS ((1 << GC_DS_TAG_BITS) - 1)
#define GC_DS_LENGTH 0
#define GC_DS_BITMAP 1
#define GC_DS_PROC 2
#define GC_DS_PER_OBJECT 3
#define GC_INDIR_PER_OBJ_BIAS 0x10

/* At most GC_MAX_MARK_PROCS mark procedures; an index fits in 6 bits. */
#define GC_LOG_MAX_MARK_PROCS 6
#define GC_MAX_MARK_PROCS (1 << GC_LOG_MAX_MARK_PROCS)
#define GC_RESERVED_MARK_PROCS 8
#define GC_GCJ_RESERVED_MARK_PROC_INDEX 0
#define GC_MAKE_PROC(proc_index, env) \
    (((((GC_word)(env) << GC_LOG_MAX_MARK_PROCS) | (proc_index)) << GC_DS_TAG_BITS) | GC_DS_PROC)

/* Entries dropped from a full mark stack in bdwgc; SwiftGC drops none (an
 * object that does not fit is rescanned later) but keeps the name. */
#define GC_MARK_STACK_DISCARDS 512
#define GC_PROC_BYTES 100

/* One mark stack entry: scan mse_start according to descriptor mse_descr. */
struct GC_ms_entry {
    void *mse_start;
    GC_word mse_descr;
};

/* A mark procedure: called with an object of its kind (addr), the top entry
 * of the stack it may push onto (mark_stack_ptr points at the last entry
 * filled; push at mark_stack_ptr + 1), the end of that stack, and the ENV of
 * its descriptor. Returns the new top. It runs while the world is stopped
 * and the heap lock is held: it must not allocate. It may be called on an
 * object that is zero because it was never initialised. */
typedef struct GC_ms_entry *(*GC_mark_proc)(GC_word *addr, struct GC_ms_entry *mark_stack_ptr,
                                           struct GC_ms_entry *mark_stack_limit, GC_word env);

/* The lowest and highest address a heap object can have. Updated at every
 * collection (and at start-up to the whole reserved arena). */
extern void *GC_least_plausible_heap_addr;
extern void *GC_greatest_plausible_heap_addr;

/* Marks the object containing obj (if it is a heap object not yet marked)
 * and pushes it, so its contents are scanned by its kind's descriptor.
 * Returns the new top. Only meaningful inside a mark procedure. */
struct GC_ms_entry *GC_mark_and_push(void *obj, struct GC_ms_entry *mark_stack_ptr,
                                     struct GC_ms_entry *mark_stack_limit, void **src);
#define GC_MARK_AND_PUSH(obj, msp, lim, src)                          \
    ((GC_word)(obj) >= (GC_word)GC_least_plausible_heap_addr &&       \
             (GC_word)(obj) <= (GC_word)GC_greatest_plausible_heap_addr \
         ? GC_mark_and_push(obj, msp, lim, src)                       \
         : (msp))

/* ---- Kinds ---------------------------------------------------------------
 * Predefined kinds, as in bdwgc. */
#define GC_I_PTRFREE 0
#define GC_I_NORMAL 1
#define GC_I_UNCOLLECTABLE 2
#define GC_I_AUNCOLLECTABLE 3

/* A free list for GC_new_kind. SwiftGC keeps its own free lists; the array
 * returned is only a token. */
void **GC_new_free_list(void);
void **GC_new_free_list_inner(void);
/* A new kind: objects are scanned by mark_descriptor_template, plus the
 * object's size in bytes when add_size_to_descriptor is 1 (so a template of
 * GC_DS_LENGTH with 1 scans the whole object); they are zeroed when
 * allocated if clear_new_objects is 1. Returns the kind's number, or
 * (unsigned)-1 when the kind table is full. */
unsigned GC_new_kind(void **free_list, GC_word mark_descriptor_template, int add_size_to_descriptor,
                     int clear_new_objects);
unsigned GC_new_kind_inner(void **free_list, GC_word mark_descriptor_template, int add_size_to_descriptor,
                           int clear_new_objects);
/* A mark procedure's index for GC_MAKE_PROC, or (unsigned)-1 when full. */
unsigned GC_new_proc(GC_mark_proc proc);
unsigned GC_new_proc_inner(GC_mark_proc proc);

/* Allocation of an object of kind knd. */
void *GC_generic_malloc(size_t lb, int knd);
void *GC_generic_malloc_ignore_off_page(size_t lb, int knd);
/* Uncollectable: scanned as a whole whatever its kind (retains more). */
void *GC_generic_malloc_uncollectable(size_t lb, int knd);
void *GC_generic_or_special_malloc(size_t lb, int knd);
void *GC_debug_generic_or_special_malloc(size_t lb, int knd, const char *file, int line);
/* Sets *result to a list of objects of kind knd and size lb linked through
 * their first word (GC_NEXT). */
void GC_generic_malloc_many(size_t lb, int knd, void **result);
/* The kind of the object at p (and its size in *psize if not NULL). */
int GC_get_kind_and_size(const void *p, size_t *psize);

/* ---- Mark bits -----------------------------------------------------------
 * During marking (in a mark procedure or the start callback's collection)
 * these act on the mark bit of the object containing p. Between
 * collections every mark bit is clear, so GC_is_marked reports whether p is
 * in an allocated object, and the setters do nothing. */
int GC_is_marked(const void *p);
void GC_clear_mark_bit(const void *p);
void GC_set_mark_bit(const void *p);

/* ---- Other roots -----------------------------------------------------------
 * A callback called at every collection while the roots are marked, with
 * the world stopped and the allocation lock held (it must not allocate).
 * It reports extra root ranges with GC_push_all. The default does nothing
 * and is never NULL, so a callback may always chain to the one it replaced. */
typedef void (*GC_push_other_roots_proc)(void);
void GC_set_push_other_roots(GC_push_other_roots_proc procedure);
GC_push_other_roots_proc GC_get_push_other_roots(void);
/* The same callback as a variable, which older programs assign directly
 * (NULL: none); called once the roots are marked at each collection. */
extern GC_push_other_roots_proc GC_push_other_roots;

/* Scan the words of [bottom, top) (bottom rounded up and top down to
 * pointer alignment) as roots. Only from the push-other-roots callback;
 * elsewhere they do nothing. SwiftGC scans at once in all three, and has
 * no dirty bits, so GC_push_conditional always pushes the whole range. */
void GC_push_all(void *bottom, void *top);
void GC_push_all_eager(void *bottom, void *top);
void GC_push_conditional(void *bottom, void *top, int all);
/* Does nothing: the collector marks its finalization tables itself. */
void GC_push_finalizer_structures(void);

/* The debugging header size: SwiftGC's debug objects have none. */
size_t GC_get_debug_header_size(void);
#define GC_USR_PTR_FROM_BASE(p) ((void *)(p))

/* Returns its argument; SwiftGC does not clear dead stack. */
void *GC_clear_stack(void *argument);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTGC_BOEHM_GC_MARK_H */
