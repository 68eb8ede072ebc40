/*
 * _CSwiftGCBoehm: the bdwgc compatibility layer (GC_* functions of
 * include/boehm/gc/gc.h), a C front end above the collector, linked into
 * libswiftgc.so only. It goes through the public gc_* API wherever it can;
 * this header lists what else it calls, each item with where it is defined.
 * None of these names is exported from the library; they resolve inside it.
 *
 * The layer cannot include _CSwiftGC.h, which includes swiftgc.h with the
 * types only; the shim's declarations below are repeated from it.
 */
#ifndef SWIFTGC_C_BOEHM_H
#define SWIFTGC_C_BOEHM_H

#include "../../../include/boehm/gc/gc_mark.h"
#include "../../_CSwiftGC/include/collection_hooks.h"

#include <stddef.h>
#include <stdint.h>

/* The shim (_CSwiftGC.h): the calling thread's record (NULL if it is not
 * registered) and the highest address of its stack. */
extern __thread void *swiftgc_thread_record_slot __attribute__((tls_model("initial-exec")));
void *swiftgc_current_stack_base(void);

/* Exports/KindExports.swift: object kinds, mark procedures and marking, for
 * gc_mark.h, and the scan of a range pushed by the push-other-roots callback. */
int swiftgc_kinds_new_kind(uintptr_t descriptor, int adds_object_size, int clears_new_objects);
int swiftgc_kinds_new_procedure(GC_mark_proc procedure);
void *swiftgc_kinds_allocate(size_t size, int kind);
int swiftgc_kinds_kind_and_size(const void *pointer, size_t *size);
struct GC_ms_entry *swiftgc_kinds_mark_and_push(void *object, struct GC_ms_entry *top, struct GC_ms_entry *limit);
int swiftgc_kinds_is_marked(const void *pointer);
void swiftgc_kinds_set_mark_bit(const void *pointer, int is_marked);
void swiftgc_roots_push_range(const void *low, const void *high);

/* Exports/HeapAccessExports.swift: the heap lock (GC_alloc_lock; no
 * collection runs while it is held, and its holder must not allocate), a
 * walk of the allocated objects with the lock held, and the usable size of
 * a request (SIZE_MAX above the size classes). */
void swiftgc_heap_lock(void);
void swiftgc_heap_unlock(void);
void swiftgc_heap_for_each_object(void (*visitor)(void *object, size_t bytes, void *data), void *data);
size_t swiftgc_heap_usable_bytes_for_request(size_t bytes);

/* The layer's own files, for one another. */
/* boehm_events.c: the collection hooks' event and finalizer entries. */
void swiftgc_boehm_collection_started(void);
void swiftgc_boehm_marking_started(void);
void swiftgc_boehm_collection_event(int event, uintptr_t argument);
int swiftgc_boehm_finalizer_found_unreachable(const void *object, const void *function, const void *data);
/* boehm_disclaim.c: disclaim registration at allocation, and the decision
 * for an unreachable disclaim object (-1 for other objects). */
void swiftgc_boehm_register_disclaim(void *object, int kind);
int swiftgc_boehm_disclaim_decision(const void *object, const void *function, const void *data);
/* boehm_toggle_references.c: run the toggle-ref callback (collection
 * start, lock held, world running) and push the strong ones (marking). */
void swiftgc_boehm_update_toggle_references(void);
void swiftgc_boehm_push_toggle_references(void);
/* boehm_accounting.c: GC_free's and GC_incr_bytes_*'s counters. */
void swiftgc_boehm_count_explicit_free(size_t bytes);
void swiftgc_boehm_reset_byte_counters(void);
size_t swiftgc_boehm_bytes_allocated_outside(void);

#endif /* SWIFTGC_C_BOEHM_H */
