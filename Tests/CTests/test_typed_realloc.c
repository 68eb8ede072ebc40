/*
 * test_typed_realloc — gc_realloc of a typed object (found by fuzz_api).
 *
 * A typed object keeps its type descriptor in a trailer at the end of its
 * slot. gc_realloc used to keep a typed object in place when it fitted, or
 * move it to a new typed object of exactly the requested size; either way
 * the caller's bytes could cover the trailer, and the next collection read
 * them as a descriptor (a record address) and crashed. Here every requested
 * byte is written with 0x41, which as a descriptor is a wild address.
 * gc_size of a typed object used to include the trailer too.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "swiftgc.h"

/* Volatile: nothing reads these, and the compiler would drop the stores
 * (the objects then lived only by luck, in a stale register). */
static void *volatile slots[4];

/* A typed object whose word 0 points to a new target and whose other
 * words, up to gc_size, hold 0x80...0; only a complement of the target's
 * address is left outside it. */
__attribute__((noinline)) static void *fill_to_size(size_t size, gc_descriptor descriptor, uintptr_t *hidden_target,
                                                    size_t *usable) {
    void *target = gc_malloc(32);
    memset(target, 0x5a, 32);
    uintptr_t *object = gc_malloc_typed(size, descriptor);
    *usable = gc_size(object);
    for (size_t word = 1; word < *usable / sizeof(uintptr_t); word++) object[word] = (uintptr_t)1 << 63;
    object[0] = (uintptr_t)target;
    *hidden_target = ~(uintptr_t)target;
    return object;
}

int main(void) {
    uintptr_t bitmap = 1; /* only word 0 is a pointer */
    gc_descriptor descriptor = gc_make_descriptor(&bitmap, 2);
    const size_t sizes[] = { 48, 1000, 60000 };
    for (size_t index = 0; index < 3; index++) {
        size_t size = sizes[index];
        void *target = gc_malloc(32);
        char *object = gc_malloc_typed(size, descriptor);
        /* Grow into the slot's spare bytes (in place), then past them (moved). */
        size_t slot_bytes = gc_size(object);
        object = gc_realloc(object, slot_bytes);
        CHECK(object != NULL, "gc_realloc of a typed object to its slot size (%zu) to succeed", slot_bytes);
        memset(object + 8, 0x41, slot_bytes - 8);
        *(void **)object = target;
        slots[0] = object;
        gc_collect();
        char *grown = gc_realloc(object, slot_bytes + 100);
        CHECK(grown != NULL && *(void **)grown == target, "the grown object to keep its pointer");
        memset(grown + 8, 0x41, slot_bytes + 92);
        slots[0] = grown;
        gc_collect();
        CHECK(gc_base(target) == target, "the object word 0 points to to survive (size %zu)", size);
        int intact = 1;
        for (size_t byte = 8; byte < slot_bytes + 100; byte++) intact &= grown[byte] == 0x41;
        CHECK(intact, "the reallocated bytes to be intact (size %zu)", size);
    }

    /* gc_size promises bytes the caller may write: none of them may be the
     * trailer. Words of 0x80...0 read as a descriptor say "no pointers", so
     * a trailer inside gc_size would let the target be reclaimed. */
    for (size_t index = 0; index < 3; index++) {
        uintptr_t hidden_target = 0;
        size_t usable = 0;
        slots[1] = fill_to_size(sizes[index], descriptor, &hidden_target, &usable);
        CHECK(usable >= sizes[index], "gc_size of a typed object to cover its request (%zu of %zu)", usable,
              sizes[index]);
        gc_collect();
        gc_collect();
        void *target = (void *)~hidden_target;
        CHECK(gc_base(target) == target && ((unsigned char *)target)[31] == 0x5a,
              "writing gc_size bytes of a typed object to leave its descriptor intact (size %zu)", sizes[index]);
    }
    return check_finish();
}
