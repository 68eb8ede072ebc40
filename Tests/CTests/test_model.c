/*
 * test_model — a seeded, model-based random test. Random operations run
 * against the collector and against a shadow model kept in system-malloc
 * memory (which the collector does not scan, so the model retains nothing):
 *
 *   allocate (normal, atomic, uncollectable; 8 B to 200 KiB) into a root
 *   slot or a link; link and unlink objects; set and clear root slots;
 *   unregister and re-register a whole root table (gc_remove_roots,
 *   gc_add_roots); gc_realloc and gc_free of objects held only by one
 *   root; gc_collect.
 *
 * Links only point from an older object to a newer one, so the object graph
 * is acyclic and reference counting with cascading release tells exactly
 * when an object becomes unreachable; the model then forgets it at once and
 * never links it again (resurrecting it would be a bug in the test, not the
 * collector). At each gc_collect every object of the model is checked:
 * gc_base finds it, its links are the model's and its payload is intact
 * (bytes derived from its unique id). An object that became unreachable
 * must be gone `grace_collections` collections later: gc_base no longer
 * finds an object holding its id. Objects still there are false retention
 * (a conservative collector keeps a few through stale words in registers
 * and stacks); the rate is printed and must stay below 5%.
 *
 * Usage: test_model [seed] [operations] [threads]. Also MODEL_SEED,
 * MODEL_OPERATIONS and MODEL_THREADS. The seed is printed; rerunning with
 * it replays the same operations (single-threaded runs exactly; with
 * threads, each thread's sequence is the same but their interleaving is not).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "swiftgc.h"

enum {
    max_objects = 4096,       /* model objects alive at once, per thread */
    max_links = 4,
    root_slots = 64,          /* per root table; table 0 always registered, table 1 toggled */
    max_pending = 1 << 16,
    grace_collections = 2,
};

enum kind { kind_normal, kind_atomic, kind_uncollectable };

/* What every object holds: its id, its link count, its payload length; then
 * its links; then the payload. */
struct header {
    uint64_t id;
    uint32_t link_count;
    uint32_t payload_bytes;
};

struct model_object {
    void *address;            /* 0 when the entry is unused */
    uint64_t id;
    enum kind kind;
    int link_count;
    size_t payload_bytes;
    int links[max_links];     /* model indices, -1 for NULL */
    int references;           /* root slots and links pointing here */
    int reached;
};

struct pending_death {
    void *address;
    uint64_t id;
    uint64_t deadline;        /* collection count by which it must be gone */
};

struct model {
    uint64_t random_state;
    struct model_object objects[max_objects];
    void **tables[2];         /* system-malloc root tables */
    int table_targets[2][root_slots];
    int table1_registered;
    struct pending_death *pending;
    int pending_count;
    uint64_t operations, collections_checked, objects_checked;
    uint64_t deaths, reclaimed, retained;
    int failures;
};

static atomic_uint_fast64_t next_id = 1;

static uint64_t next_random(struct model *model) {
    /* splitmix64 */
    uint64_t z = (model->random_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t random_below(struct model *model, uint64_t bound) { return next_random(model) % bound; }

static unsigned char payload_byte(uint64_t id, size_t offset) {
    uint64_t z = id * 0x9E3779B97F4A7C15ull + offset * 0xD6E8FEB86659FD93ull;
    return (unsigned char)((z >> 29) ^ (z >> 47));
}

static void **link_slots(void *address) { return (void **)((struct header *)address + 1); }

static unsigned char *payload(void *address, int link_count) {
    return (unsigned char *)(link_slots(address) + link_count);
}

static uint64_t collections_now(void) {
    struct gc_stats stats;
    gc_get_stats(&stats);
    return stats.collections;
}

static void fail(struct model *model, const char *what, struct model_object *object) {
    model->failures += 1;
    if (model->failures <= 10) {
        printf("FAIL model: %s (object id %llu at %p, kind %d, payload %zu)\n", what,
               (unsigned long long)object->id, object->address, object->kind, object->payload_bytes);
        fflush(stdout);
    }
}

static uint64_t collections_now(void);

/* Forgets an object the model no longer reaches, and what it alone reached;
 * the collector must reclaim them. */
static void release(struct model *model, int index);

static void die(struct model *model, int index) {
    struct model_object *object = &model->objects[index];
    if (model->pending_count < max_pending) {
        model->pending[model->pending_count++] =
            (struct pending_death){ object->address, object->id, collections_now() + 1 + grace_collections };
    }
    model->deaths += 1;
    object->address = NULL;
    for (int link = 0; link < object->link_count; link++) {
        int target = object->links[link];
        object->links[link] = -1;
        release(model, target);
    }
}

static void release(struct model *model, int index) {
    if (index < 0) return;
    model->objects[index].references -= 1;
    if (model->objects[index].references == 0) die(model, index);
}

/* Points a model slot at target (or -1); releases what it held. */
static void retarget(struct model *model, int *slot, int target) {
    int previous = *slot;
    if (target >= 0) model->objects[target].references += 1;
    *slot = target;
    release(model, previous);
}

static void write_link(struct model *model, int source, int link, int target) {
    struct model_object *object = &model->objects[source];
    link_slots(object->address)[link] = target >= 0 ? model->objects[target].address : NULL;
    retarget(model, &object->links[link], target);
}

static int usable_table(struct model *model) {
    return model->table1_registered ? (int)random_below(model, 2) : 0;
}

static void write_root(struct model *model, int table, int slot, int target) {
    model->tables[table][slot] = target >= 0 ? model->objects[target].address : NULL;
    retarget(model, &model->table_targets[table][slot], target);
}

static int free_entry(struct model *model) {
    for (int attempt = 0; attempt < 16; attempt++) {
        int index = (int)random_below(model, max_objects);
        if (model->objects[index].address == NULL) return index;
    }
    return -1;
}

static int random_object(struct model *model) {
    for (int attempt = 0; attempt < 16; attempt++) {
        int index = (int)random_below(model, max_objects);
        if (model->objects[index].address != NULL) return index;
    }
    return -1;
}

static size_t random_payload_size(struct model *model) {
    uint64_t roll = random_below(model, 1000);
    if (roll < 900) return random_below(model, 256);
    if (roll < 995) return random_below(model, 8192);
    return 32768 + random_below(model, 200 * 1024);
}

static void fill(struct model_object *object) {
    struct header *header = object->address;
    header->id = object->id;
    header->link_count = (uint32_t)object->link_count;
    header->payload_bytes = (uint32_t)object->payload_bytes;
    unsigned char *bytes = payload(object->address, object->link_count);
    for (size_t offset = 0; offset < object->payload_bytes; offset++) bytes[offset] = payload_byte(object->id, offset);
}

static void allocate_object(struct model *model) {
    int index = free_entry(model);
    if (index < 0) return;
    struct model_object *object = &model->objects[index];
    uint64_t roll = random_below(model, 100);
    enum kind kind = roll < 70 ? kind_normal : roll < 97 ? kind_atomic : kind_uncollectable;
    int link_count = kind == kind_atomic ? 0 : (int)random_below(model, max_links + 1);
    size_t payload_bytes = random_payload_size(model);
    size_t bytes = sizeof(struct header) + (size_t)link_count * sizeof(void *) + payload_bytes;
    void *address = kind == kind_normal ? gc_malloc(bytes)
                  : kind == kind_atomic ? gc_malloc_atomic(bytes) : gc_malloc_uncollectable(bytes);
    if (address == NULL) { fail(model, "allocation returned NULL", object); return; }
    if (kind == kind_atomic) memset(address, 0, sizeof(struct header));
    *object = (struct model_object){ .address = address, .id = atomic_fetch_add(&next_id, 1), .kind = kind,
                                     .link_count = link_count, .payload_bytes = payload_bytes };
    for (int link = 0; link < max_links; link++) object->links[link] = -1;
    if (kind == kind_uncollectable) object->references = 1; /* a root until freed */
    fill(object);
    /* Hold it: a root slot, or a link of some scanned object. */
    int holder = random_object(model);
    if (holder >= 0 && holder != index && model->objects[holder].link_count > 0 && random_below(model, 2)) {
        write_link(model, holder, (int)random_below(model, (uint64_t)model->objects[holder].link_count), index);
    } else {
        write_root(model, usable_table(model), (int)random_below(model, root_slots), index);
    }
}

/* A root slot holding the only reference to its object, or -1. */
static int solely_rooted_slot(struct model *model, int *table) {
    *table = usable_table(model);
    int slot = (int)random_below(model, root_slots);
    int target = model->table_targets[*table][slot];
    if (target < 0) return -1;
    int own = model->objects[target].kind == kind_uncollectable ? 1 : 0;
    if (model->objects[target].references != 1 + own) return -1;
    return slot;
}

static void free_object(struct model *model) {
    int table;
    int slot = solely_rooted_slot(model, &table);
    if (slot < 0) return;
    int index = model->table_targets[table][slot];
    struct model_object *object = &model->objects[index];
    void *address = object->address;
    /* Freed explicitly: not a death the collector must find. */
    object->address = NULL;
    object->references = 0;
    model->table_targets[table][slot] = -1;
    model->tables[table][slot] = NULL;
    for (int link = 0; link < object->link_count; link++) {
        int target = object->links[link];
        object->links[link] = -1;
        release(model, target);
    }
    gc_free(address);
}

static void reallocate_object(struct model *model) {
    int table;
    int slot = solely_rooted_slot(model, &table);
    if (slot < 0) return;
    int index = model->table_targets[table][slot];
    struct model_object *object = &model->objects[index];
    size_t new_payload = random_payload_size(model);
    size_t bytes = sizeof(struct header) + (size_t)object->link_count * sizeof(void *) + new_payload;
    void *moved = gc_realloc(object->address, bytes);
    if (moved == NULL) { fail(model, "gc_realloc returned NULL", object); return; }
    object->address = moved;
    model->tables[table][slot] = moved;
    struct header *header = moved;
    size_t kept = new_payload < object->payload_bytes ? new_payload : object->payload_bytes;
    int intact = header->id == object->id;
    for (int link = 0; link < object->link_count; link++) {
        int target = object->links[link];
        if (link_slots(moved)[link] != (target >= 0 ? model->objects[target].address : NULL)) intact = 0;
    }
    unsigned char *bytes_now = payload(moved, object->link_count);
    for (size_t offset = 0; offset < kept; offset++) {
        if (bytes_now[offset] != payload_byte(object->id, offset)) { intact = 0; break; }
    }
    if (!intact) fail(model, "gc_realloc did not keep the contents", object);
    object->payload_bytes = new_payload;
    fill(object);
}

/* Links go from older to newer objects only, keeping the graph acyclic. */
static void link_objects(struct model *model) {
    int source = random_object(model);
    if (source < 0 || model->objects[source].link_count == 0) return;
    int target = random_below(model, 4) == 0 ? -1 : random_object(model);
    if (target >= 0 && model->objects[target].id <= model->objects[source].id) return;
    write_link(model, source, (int)random_below(model, (uint64_t)model->objects[source].link_count), target);
}

static void set_root(struct model *model) {
    int target = random_below(model, 3) == 0 ? -1 : random_object(model);
    write_root(model, usable_table(model), (int)random_below(model, root_slots), target);
}

/* Unregistering table 1 leaves its words in place, but the collector must
 * stop seeing them: what only table 1 held dies. */
static void toggle_table(struct model *model) {
    void **table = model->tables[1];
    if (model->table1_registered) {
        gc_remove_roots(table, table + root_slots);
        model->table1_registered = 0;
        for (int slot = 0; slot < root_slots; slot++) {
            int target = model->table_targets[1][slot];
            model->table_targets[1][slot] = -1;
            release(model, target);
        }
    } else {
        memset(table, 0, root_slots * sizeof(void *));
        gc_add_roots(table, table + root_slots);
        model->table1_registered = 1;
    }
}

static void check_object(struct model *model, struct model_object *object) {
    model->objects_checked += 1;
    if (gc_base(object->address) != object->address) {
        fail(model, "a reachable object was reclaimed", object);
        return;
    }
    struct header *header = object->address;
    if (header->id != object->id || header->link_count != (uint32_t)object->link_count
        || header->payload_bytes != (uint32_t)object->payload_bytes) {
        fail(model, "a reachable object's header changed", object);
        return;
    }
    for (int link = 0; link < object->link_count; link++) {
        int target = object->links[link];
        if (link_slots(object->address)[link] != (target >= 0 ? model->objects[target].address : NULL)) {
            fail(model, "a reachable object's link changed", object);
        }
    }
    unsigned char *bytes = payload(object->address, object->link_count);
    for (size_t offset = 0; offset < object->payload_bytes; offset++) {
        if (bytes[offset] != payload_byte(object->id, offset)) { fail(model, "a reachable object's payload changed", object); return; }
    }
}

/* Collects, then checks every object of the model and every pending death. */
static void collect_and_check(struct model *model) {
    uint64_t now;
    gc_collect();
    now = collections_now();
    model->collections_checked += 1;
    for (int index = 0; index < max_objects; index++) {
        if (model->objects[index].address) check_object(model, &model->objects[index]);
    }
    int kept = 0;
    for (int index = 0; index < model->pending_count; index++) {
        struct pending_death death = model->pending[index];
        if (now < death.deadline) { model->pending[kept++] = death; continue; }
        void *base = gc_base(death.address);
        if (base == death.address && ((struct header *)base)->id == death.id) model->retained += 1;
        else model->reclaimed += 1;
    }
    model->pending_count = kept;
}

static void run_model(struct model *model, uint64_t seed, uint64_t operations) {
    model->random_state = seed;
    model->pending = malloc(sizeof(struct pending_death) * max_pending);
    for (int table = 0; table < 2; table++) {
        model->tables[table] = calloc(root_slots, sizeof(void *));
        for (int slot = 0; slot < root_slots; slot++) model->table_targets[table][slot] = -1;
        gc_add_roots(model->tables[table], model->tables[table] + root_slots);
    }
    model->table1_registered = 1;
    for (uint64_t operation = 0; operation < operations; operation++) {
        uint64_t roll = random_below(model, 1000);
        if (roll < 400) allocate_object(model);
        else if (roll < 650) link_objects(model);
        else if (roll < 850) set_root(model);
        else if (roll < 900) free_object(model);
        else if (roll < 960) reallocate_object(model);
        else if (roll < 962) toggle_table(model);
        else if (roll < 964) collect_and_check(model);
        /* else: a no-op, so that automatic collections land anywhere */
    }
    /* Two final collections settle every pending death. */
    for (int round = 0; round < grace_collections + 2; round++) collect_and_check(model);
    model->operations = operations;
}

struct thread_run {
    struct model *model;
    uint64_t seed, operations;
};

static void *thread_main(void *argument) {
    struct thread_run *run = argument;
    run_model(run->model, run->seed, run->operations);
    return NULL;
}

static uint64_t setting(int argc, char **argv, int position, const char *variable, uint64_t fallback) {
    if (argc > position) return strtoull(argv[position], NULL, 0);
    const char *value = getenv(variable);
    return value ? strtoull(value, NULL, 0) : fallback;
}

/* Runs the model in `threads` threads (each with its own model and seed)
 * and checks the results. */
static void run(uint64_t seed, uint64_t operations, int threads) {
    printf("test_model: seed %llu, %llu operations per thread, %d thread(s); replay with: test_model %llu %llu %d\n",
           (unsigned long long)seed, (unsigned long long)operations, threads,
           (unsigned long long)seed, (unsigned long long)operations, threads);
    fflush(stdout);
    struct model *models = calloc((size_t)threads, sizeof(struct model));
    if (threads == 1) {
        run_model(&models[0], seed, operations);
    } else {
        pthread_t ids[8];
        struct thread_run runs[8];
        for (int index = 0; index < threads; index++) {
            runs[index] = (struct thread_run){ &models[index], seed + (uint64_t)index * 0x1000193, operations };
            pthread_create(&ids[index], NULL, thread_main, &runs[index]);
        }
        for (int index = 0; index < threads; index++) pthread_join(ids[index], NULL);
    }
    uint64_t checked = 0, deaths = 0, reclaimed = 0, retained = 0, collections = 0;
    int failures = 0;
    for (int index = 0; index < threads; index++) {
        checked += models[index].objects_checked;
        deaths += models[index].deaths;
        reclaimed += models[index].reclaimed;
        retained += models[index].retained;
        collections += models[index].collections_checked;
        failures += models[index].failures;
    }
    double rate = reclaimed + retained ? (double)retained / (double)(reclaimed + retained) : 0.0;
    printf("test_model: %llu checked collections, %llu object checks, %llu objects made unreachable: "
           "%llu reclaimed, %llu falsely retained (%.3f%%)\n",
           (unsigned long long)collections, (unsigned long long)checked, (unsigned long long)deaths,
           (unsigned long long)reclaimed, (unsigned long long)retained, rate * 100.0);
    CHECK(failures == 0, "every reachable object intact at every check; %d failures (seed %llu)", failures,
          (unsigned long long)seed);
    CHECK(reclaimed + retained > 0, "the run to make some objects unreachable (seed %llu)", (unsigned long long)seed);
    CHECK(rate < 0.05, "false retention below 5%% of unreachable objects, was %.3f%% (seed %llu)", rate * 100.0,
          (unsigned long long)seed);
    free(models);
}

int main(int argc, char **argv) {
    uint64_t seed = setting(argc, argv, 1, "MODEL_SEED", 0);
    if (seed == 0) seed = (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
    uint64_t operations = setting(argc, argv, 2, "MODEL_OPERATIONS", 0);
    int threads = (int)setting(argc, argv, 3, "MODEL_THREADS", 0);
    if (threads > 8) threads = 8;
    if (threads > 0) {
        run(seed, operations ? operations : 200000, threads);
    } else {
        /* The default, as run by make test: one thread, then three. */
        run(seed, operations ? operations : 200000, 1);
        run(seed + 1, operations ? operations / 4 : 50000, 3);
    }
    return check_finish();
}
