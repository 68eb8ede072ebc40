/*
 * fuzz_api — libFuzzer target: the fuzz input is a sequence of calls to
 * libswiftgc.so (an instrumented build, see `make fuzz`), checked against a
 * shadow model like test_model's.
 *
 * Each operation is one byte (the operation) and a few argument bytes; a
 * missing byte reads as 0. Operations: allocate (scanned, atomic,
 * uncollectable, typed, calloc; 16 B to 64 KiB, some 40 KiB to 2 MiB) into a
 * root slot; link one object's first word to another's; copy and clear
 * slots; gc_realloc and gc_free of objects only one slot holds; register and
 * unregister a second root table; gc_collect and check; bad inputs:
 * impossible sizes, gc_realloc to SIZE_MAX, gc_free and gc_realloc of
 * interior, stack, libc and arbitrary pointers, double free, gc_base and
 * gc_size of arbitrary addresses.
 *
 * Every object holds its link in word 0 (atomic objects: 0), a unique id in
 * word 1 and payload bytes derived from the id. The model lives in libc
 * malloc memory, which the collector does not scan, so it retains nothing;
 * the objects reachable in the model are checked (gc_base, gc_size, id,
 * link, payload) at every gc_collect and at the end of each input.
 * SWIFTGC_VERIFY=1 is set, so every collection also checks the heap's
 * invariants. Misuse lines on stderr are expected; a failed check aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swiftgc.h"

enum {
    slot_count = 16,          /* slots of the always-registered root table */
    extra_slot_count = 8,     /* slots of the toggled root table */
    max_objects = 96,
    max_operations = 400,
};

enum kind { kind_scanned, kind_atomic, kind_uncollectable, kind_typed, kind_count };

struct model_object {
    uintptr_t address;        /* 0: unused entry */
    uint64_t id;
    enum kind kind;
    size_t size;
    int link;                 /* model index the first word points to, or -1 */
    int reachable;
};

struct fuzz_state {
    const uint8_t *input;
    size_t input_size;
    size_t cursor;
    struct model_object objects[max_objects];
    int slots[slot_count + extra_slot_count]; /* model indices, -1 when empty */
    void **table;             /* libc memory: slot_count words, always a root */
    void **extra_table;       /* libc memory: extra_slot_count words */
    int extra_registered;
    uint64_t next_id;
};

static struct fuzz_state *state;
static gc_descriptor link_only_descriptor;

#define FUZZ_CHECK(condition, ...) do { \
    if (!(condition)) { \
        fprintf(stderr, "fuzz_api: %s:%d: check failed: %s\n    expected: ", __FILE__, __LINE__, #condition); \
        fprintf(stderr, __VA_ARGS__); \
        fprintf(stderr, "\n"); \
        abort(); \
    } } while (0)

static unsigned next_byte(void) {
    return state->cursor < state->input_size ? state->input[state->cursor++] : 0;
}

static int input_left(void) { return state->cursor < state->input_size; }

static uint8_t payload_byte(uint64_t id, size_t offset) {
    return (uint8_t)((id * 0x9E3779B97F4A7C15ull + offset * 131) >> 24);
}

static void **slot_address(int slot) {
    return slot < slot_count ? &state->table[slot] : &state->extra_table[slot - slot_count];
}

/* ---- The model ------------------------------------------------------------- */

static void update_reachability(void) {
    for (int index = 0; index < max_objects; index++) state->objects[index].reachable = 0;
    int limit = slot_count + (state->extra_registered ? extra_slot_count : 0);
    for (int slot = 0; slot < limit; slot++) {
        int index = state->slots[slot];
        while (index >= 0 && !state->objects[index].reachable) {
            state->objects[index].reachable = 1;
            index = state->objects[index].link;
        }
    }
    for (int index = 0; index < max_objects; index++) {
        struct model_object *object = &state->objects[index];
        if (object->address == 0 || object->reachable) continue;
        /* Unreachable in the model: forget it (an uncollectable object is
         * freed, as its owner would). A slot of the unregistered table may
         * still name it; that slot is cleared. */
        if (object->kind == kind_uncollectable) gc_free((void *)object->address);
        object->address = 0;
        for (int slot = 0; slot < slot_count + extra_slot_count; slot++) {
            if (state->slots[slot] == index) {
                state->slots[slot] = -1;
                *slot_address(slot) = NULL;
            }
        }
        for (int other = 0; other < max_objects; other++)
            if (state->objects[other].link == index) state->objects[other].link = -1;
    }
}

/* Slots and links that lead to the object. */
static int reference_count(int index) {
    int count = 0;
    for (int slot = 0; slot < slot_count + extra_slot_count; slot++) count += state->slots[slot] == index;
    for (int other = 0; other < max_objects; other++)
        count += state->objects[other].address != 0 && state->objects[other].link == index;
    return count;
}

static void fill(struct model_object *object, size_t from) {
    uint8_t *bytes = (uint8_t *)object->address;
    if (from < 16) {
        ((uintptr_t *)bytes)[0] = object->link >= 0 ? state->objects[object->link].address : 0;
        ((uint64_t *)bytes)[1] = object->id;
        from = 16;
    }
    for (size_t offset = from; offset < object->size; offset++) bytes[offset] = payload_byte(object->id, offset);
}

static void check_object(int index) {
    struct model_object *object = &state->objects[index];
    void *address = (void *)object->address;
    FUZZ_CHECK(gc_base(address) == address, "gc_base of live object %p (id %llu) to be itself, got %p",
               address, (unsigned long long)object->id, gc_base(address));
    FUZZ_CHECK(gc_size(address) >= object->size, "gc_size of %p to be at least %zu, got %zu",
               address, object->size, gc_size(address));
    FUZZ_CHECK(((uint64_t *)address)[1] == object->id, "object %p to hold id %llu, found %llu",
               address, (unsigned long long)object->id, (unsigned long long)((uint64_t *)address)[1]);
    uintptr_t link = object->link >= 0 ? state->objects[object->link].address : 0;
    FUZZ_CHECK(((uintptr_t *)address)[0] == link, "object %p to link to %p, found %p",
               address, (void *)link, (void *)((uintptr_t *)address)[0]);
    const uint8_t *bytes = address;
    for (size_t offset = 16; offset < object->size; offset++) {
        FUZZ_CHECK(bytes[offset] == payload_byte(object->id, offset),
                   "byte %zu of object %p (id %llu, %zu bytes) to be intact", offset, address,
                   (unsigned long long)object->id, object->size);
    }
}

static void check_all(void) {
    update_reachability();
    for (int index = 0; index < max_objects; index++)
        if (state->objects[index].address != 0) check_object(index);
}

static int free_entry(void) {
    for (int index = 0; index < max_objects; index++)
        if (state->objects[index].address == 0) return index;
    return -1;
}

static int slot_argument(void) {
    return (int)(next_byte() % (slot_count + (state->extra_registered ? extra_slot_count : 0)));
}

static void set_slot(int slot, int index) {
    state->slots[slot] = index;
    *slot_address(slot) = index >= 0 ? (void *)state->objects[index].address : NULL;
    update_reachability();
}

/* ---- Operations --------------------------------------------------------------- */

static size_t size_argument(void) {
    unsigned selector = next_byte();
    unsigned low = next_byte();
    if (selector >= 240) return (size_t)(40u << 10) + ((size_t)low << 13); /* 40 KiB to 2 MiB: large objects */
    return 16 + (((size_t)selector << 8 | low) & 0xFFFF);
}

static void allocate(enum kind kind, int zeroed) {
    int slot = slot_argument();
    size_t size = size_argument();
    int index = free_entry();
    if (index < 0) return;
    if (zeroed) size = (1 + size / 64) * 64;
    void *address;
    switch (kind) {
    case kind_atomic: address = gc_malloc_atomic(size); break;
    case kind_uncollectable: address = gc_malloc_uncollectable(size); break;
    case kind_typed: address = gc_malloc_typed(size, link_only_descriptor); break;
    default: address = zeroed ? gc_calloc(size / 64, 64) : gc_malloc(size); break;
    }
    FUZZ_CHECK(address != NULL, "an allocation of %zu bytes to succeed", size);
    FUZZ_CHECK(((uintptr_t)address & 15) == 0, "16-byte alignment, got %p", address);
    if (kind != kind_atomic) {
        const uint8_t *bytes = address;
        for (size_t offset = 0; offset < size; offset++)
            FUZZ_CHECK(bytes[offset] == 0, "new object %p to be zeroed at byte %zu", address, offset);
    }
    struct model_object *object = &state->objects[index];
    *object = (struct model_object){ (uintptr_t)address, state->next_id++, kind, size, -1, 1 };
    fill(object, 0);
    set_slot(slot, index);
}

static void link_objects(void) {
    int from = state->slots[slot_argument()];
    int to = state->slots[slot_argument()];
    if (from < 0 || state->objects[from].kind == kind_atomic) return;
    state->objects[from].link = next_byte() & 1 ? -1 : to;
    fill(&state->objects[from], 0);
    update_reachability();
}

static void reallocate(void) {
    int slot = slot_argument();
    size_t size = size_argument();
    int index = state->slots[slot];
    if (index < 0 || reference_count(index) != 1) return;
    struct model_object *object = &state->objects[index];
    void *moved = gc_realloc((void *)object->address, size);
    FUZZ_CHECK(moved != NULL, "gc_realloc to %zu bytes to succeed", size);
    size_t kept = size < object->size ? size : object->size;
    object->address = (uintptr_t)moved;
    object->size = kept;
    if (object->kind == kind_typed) object->kind = kind_scanned; /* realloc gives a scanned object */
    check_object(index);
    object->size = size;
    fill(object, kept);
    set_slot(slot, index);
}

static void free_object(void) {
    int slot = slot_argument();
    int index = state->slots[slot];
    if (index < 0 || reference_count(index) != 1) return;
    void *address = (void *)state->objects[index].address;
    state->objects[index].address = 0;
    state->objects[index].kind = kind_scanned; /* freed here, not by update_reachability */
    set_slot(slot, -1);
    gc_free(address);
    if (next_byte() & 1) gc_free(address); /* double free: reported and ignored */
}

static void bad_input(void) {
    static char local_static;
    char local;
    int slot = slot_argument();
    int index = state->slots[slot];
    void *object = index >= 0 ? (void *)state->objects[index].address : NULL;
    switch (next_byte() % 10) {
    case 0: {
        size_t size = SIZE_MAX - (size_t)next_byte();
        errno = 0;
        FUZZ_CHECK(gc_malloc(size) == NULL && errno == ENOMEM, "gc_malloc(%zu) to fail with ENOMEM", size);
        break;
    }
    case 1:
        errno = 0;
        FUZZ_CHECK(gc_calloc(SIZE_MAX / 2, 3 + next_byte()) == NULL && errno == ENOMEM, "gc_calloc overflow to fail");
        break;
    case 2:
        if (object == NULL || state->objects[index].kind == kind_typed) break;
        errno = 0;
        FUZZ_CHECK(gc_realloc(object, SIZE_MAX - 64) == NULL && errno == ENOMEM, "gc_realloc to SIZE_MAX to fail");
        break;
    case 3:
        if (object != NULL) gc_free((char *)object + 1 + next_byte() % 15); /* interior: reported, ignored */
        break;
    case 4:
        if (object != NULL)
            FUZZ_CHECK(gc_realloc((char *)object + 16, 64) == NULL, "gc_realloc of an interior pointer to return NULL");
        break;
    case 5: gc_free(&local); gc_free(&local_static); break;
    case 6: {
        void *block = malloc(32);
        gc_free(block);
        FUZZ_CHECK(gc_realloc(block, 64) == NULL, "gc_realloc of a libc block to return NULL");
        free(block);
        break;
    }
    case 7: case 8: {
        uintptr_t address = 0;
        for (int byte = 0; byte < 8; byte++) address = address << 8 | next_byte();
        if (next_byte() & 1 && object != NULL) address = (uintptr_t)object + (address & 0xFFFF);
        void *base = gc_base((void *)address);
        size_t size = gc_size((void *)address);
        FUZZ_CHECK((base == NULL) == (size == 0), "gc_base and gc_size of %p to agree", (void *)address);
        if (base == NULL) gc_free((void *)address); /* not a heap object: reported, ignored */
        break;
    }
    default:
        if (object != NULL) {
            FUZZ_CHECK(gc_base((char *)object + state->objects[index].size) == object,
                       "one past the end of %p to map back to it", object);
        }
        break;
    }
}

static void toggle_extra_table(void) {
    if (state->extra_registered) {
        gc_remove_roots(state->extra_table, state->extra_table + extra_slot_count);
        state->extra_registered = 0;
    } else {
        gc_add_roots(state->extra_table, state->extra_table + extra_slot_count);
        state->extra_registered = 1;
    }
    update_reachability();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    /* Options are read at the first call, from environ. */
    setenv("SWIFTGC_VERIFY", "1", 0);
    state = calloc(1, sizeof *state);
    state->table = calloc(slot_count, sizeof(void *));
    state->extra_table = calloc(extra_slot_count, sizeof(void *));
    uintptr_t bitmap = 1; /* word 0 (the link) is the only pointer */
    link_only_descriptor = gc_make_descriptor(&bitmap, 2);
    gc_add_roots(state->table, state->table + slot_count);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    state->input = data;
    state->input_size = size;
    state->cursor = 0;
    for (int slot = 0; slot < slot_count + extra_slot_count; slot++) state->slots[slot] = -1;
    for (int operations = 0; input_left() && operations < max_operations; operations++) {
        switch (next_byte() % 16) {
        case 0: case 1: allocate(kind_scanned, 0); break;
        case 2: allocate(kind_atomic, 0); break;
        case 3: allocate(kind_uncollectable, 0); break;
        case 4: allocate(kind_typed, 0); break;
        case 5: allocate(kind_scanned, 1); break;
        case 6: case 7: link_objects(); break;
        case 8: { int from = slot_argument(); set_slot(slot_argument(), state->slots[from]); break; }
        case 9: set_slot(slot_argument(), -1); break;
        case 10: reallocate(); break;
        case 11: free_object(); break;
        case 12: toggle_extra_table(); break;
        case 13: gc_collect(); check_all(); break;
        default: bad_input(); break;
        }
    }
    check_all();
    /* Leave nothing behind for the next input. */
    for (int slot = 0; slot < slot_count + extra_slot_count; slot++) set_slot(slot, -1);
    if (state->extra_registered) toggle_extra_table();
    return 0;
}
