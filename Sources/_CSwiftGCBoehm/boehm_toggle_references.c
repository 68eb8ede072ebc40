/*
 * bdwgc's toggle-refs (include/boehm/gc/gc_hooks.h): objects a runtime
 * shares with a peer (a reference-counted object system, say) that stay
 * alive while the peer holds them strongly and may go once it holds them
 * weakly. Compiled only into libswiftgc.so.
 *
 * The table is chunks of entries in pointer-free collected memory, each
 * kept alive by `chunks` (in the data segment, scanned) but not scanning
 * what it holds:
 *
 *     chunks[c] -> [ entry 0 | entry 1 | ... | entry 127 ]
 *     entry:      { object (a weak link clears it when the object dies), state }
 *
 * A collection asks the toggle-ref callback about each entry as it starts
 * (update_toggle_references: DROP empties the entry, STRONG or WEAK sets
 * its state), then pushes the strong entries as roots while it marks
 * (push_toggle_references). A weak entry's object is reachable only through
 * the weak link, which the collector clears if nothing else reaches it.
 *
 * Concurrency: entries and `chunk_count` are read and written only with
 * the heap lock held (the collection hooks run with it; GC_toggleref_add
 * takes it), except the weak-link registration, which takes the lock
 * itself and is made while the entry is `claimed` and so ignored.
 */
#define SWIFTGC_BOEHM_IMPLEMENTATION 1
#include "../../include/boehm/gc/gc.h"
#include "_CSwiftGCBoehm.h"

#include <string.h>

#define BOEHM_EXPORT __attribute__((visibility("default")))

enum entry_state { entry_free, entry_claimed, entry_strong, entry_weak };

struct toggle_reference {
    void *object;
    int state;
};

#define ENTRIES_PER_CHUNK 128
#define CHUNK_CAPACITY 1024

static struct toggle_reference *chunks[CHUNK_CAPACITY];
static int chunk_count;
static GC_toggleref_func toggle_callback;

BOEHM_EXPORT void GC_set_toggleref_func(GC_toggleref_func callback) {
    __atomic_store_n(&toggle_callback, callback, __ATOMIC_RELEASE);
}
BOEHM_EXPORT GC_toggleref_func GC_get_toggleref_func(void) { return __atomic_load_n(&toggle_callback, __ATOMIC_ACQUIRE); }

/* A free entry, now claimed, or NULL. The caller holds the heap lock. */
static struct toggle_reference *claim_free_entry(void) {
    for (int chunk = 0; chunk < chunk_count; chunk++) {
        for (int index = 0; index < ENTRIES_PER_CHUNK; index++) {
            struct toggle_reference *entry = &chunks[chunk][index];
            if (entry->state == entry_free) {
                entry->state = entry_claimed;
                return entry;
            }
        }
    }
    return NULL;
}

BOEHM_EXPORT int GC_toggleref_add(void *object, int is_strong) {
    if (object == NULL || GC_get_toggleref_func() == NULL) return GC_SUCCESS;
    swiftgc_heap_lock();
    struct toggle_reference *entry = claim_free_entry();
    swiftgc_heap_unlock();
    if (entry == NULL) {
        /* Allocated without the lock, then published under it. */
        struct toggle_reference *chunk = gc_malloc_atomic(ENTRIES_PER_CHUNK * sizeof *chunk);
        if (chunk == NULL) return GC_NO_MEMORY;
        memset(chunk, 0, ENTRIES_PER_CHUNK * sizeof *chunk);
        swiftgc_heap_lock();
        if (chunk_count < CHUNK_CAPACITY) chunks[chunk_count++] = chunk;
        entry = claim_free_entry();
        swiftgc_heap_unlock();
        if (entry == NULL) return GC_NO_MEMORY;
    }
    /* An entry used before may still have its old object's link. */
    gc_unregister_weak_link(&entry->object);
    entry->object = object;
    if (gc_register_weak_link(&entry->object, object) != SWIFTGC_SUCCESS) {
        swiftgc_heap_lock();
        entry->object = NULL;
        entry->state = entry_free;
        swiftgc_heap_unlock();
        return GC_NO_MEMORY;
    }
    swiftgc_heap_lock();
    entry->state = is_strong ? entry_strong : entry_weak;
    swiftgc_heap_unlock();
    return GC_SUCCESS;
}

/* At the start of a collection, heap lock held, world running. */
void swiftgc_boehm_update_toggle_references(void) {
    GC_toggleref_func callback = GC_get_toggleref_func();
    if (callback == NULL) return;
    for (int chunk = 0; chunk < chunk_count; chunk++) {
        for (int index = 0; index < ENTRIES_PER_CHUNK; index++) {
            struct toggle_reference *entry = &chunks[chunk][index];
            if (entry->state != entry_strong && entry->state != entry_weak) continue;
            if (entry->object == NULL) {
                entry->state = entry_free; /* collected while weak */
                continue;
            }
            switch (callback(entry->object)) {
            case GC_TOGGLE_REF_STRONG: entry->state = entry_strong; break;
            case GC_TOGGLE_REF_WEAK: entry->state = entry_weak; break;
            default:
                entry->object = NULL;
                entry->state = entry_free;
                break;
            }
        }
    }
}

/* While the roots are marked, world stopped, heap lock held. */
void swiftgc_boehm_push_toggle_references(void) {
    for (int chunk = 0; chunk < chunk_count; chunk++) {
        for (int index = 0; index < ENTRIES_PER_CHUNK; index++) {
            struct toggle_reference *entry = &chunks[chunk][index];
            if (entry->state == entry_strong && entry->object != NULL) {
                swiftgc_roots_push_range(&entry->object, &entry->object + 1);
            }
        }
    }
}
