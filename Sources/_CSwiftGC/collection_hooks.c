/* The collection hooks of collection_hooks.h. */
#include "collection_hooks.h"

#include <stddef.h>

/* Written by the front end's constructor (and again, with the same value,
 * by its initialisation call); read by the collector at each collection and
 * when it computes the budget between collections, possibly on another
 * thread. Release and acquire make the hooks' own data, written before
 * registering, visible to a thread that sees the pointer. */
static const swiftgc_collection_hooks *registered_hooks;

void swiftgc_register_collection_hooks(const swiftgc_collection_hooks *hooks) {
    __atomic_store_n(&registered_hooks, hooks, __ATOMIC_RELEASE);
}

static const swiftgc_collection_hooks *hooks(void) { return __atomic_load_n(&registered_hooks, __ATOMIC_ACQUIRE); }

int swiftgc_collection_may_start(uintptr_t least_plausible, uintptr_t greatest_plausible) {
    const swiftgc_collection_hooks *registered = hooks();
    return registered == NULL ? 1 : registered->collection_may_start(least_plausible, greatest_plausible);
}

uintptr_t swiftgc_free_space_divisor(void) {
    const swiftgc_collection_hooks *registered = hooks();
    return registered == NULL ? 0 : registered->free_space_divisor();
}

void swiftgc_push_other_roots(uint64_t collections_completed) {
    const swiftgc_collection_hooks *registered = hooks();
    if (registered != NULL) registered->push_other_roots(collections_completed);
}
