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

#endif /* SWIFTGC_C_BOEHM_H */
