/* Run under libswiftgc-preload.so in collect mode. Another thread's stack is
 * an anonymous mapping, which the preload scans as a root outside malloc
 * mode; only its part from the saved stack pointer up may hold live
 * pointers. A thread plants pointers to blocks in a frame that has
 * returned (below its stack pointer) and in a frame that is still active,
 * then waits while the main thread collects: the blocks of the dead frame
 * are reclaimed, those of the live frame are kept intact.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../CTests/check.h"

enum { block_count = 1000, block_size = 64 };
static uintptr_t dead_frame_blocks[block_count];
static uintptr_t live_frame_blocks[block_count];
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int planted, collected;

static void *gc_function(const char *name) {
    void *function = dlsym(RTLD_DEFAULT, name);
    if (function == NULL) {
        fprintf(stderr, "thread_stack_frames: %s not found; run under libswiftgc-preload.so\n", name);
        exit(2);
    }
    return function;
}

/* Fills `frame` with new blocks and keeps their complemented addresses. */
static __attribute__((noinline)) void plant(char *volatile *frame, uintptr_t *hidden, char fill) {
    for (int index = 0; index < block_count; index++) {
        frame[index] = malloc(block_size);
        memset(frame[index], fill, block_size);
        hidden[index] = ~(uintptr_t)frame[index];
    }
}

static __attribute__((noinline)) void plant_in_dead_frame(void) {
    char *volatile frame[block_count];
    plant(frame, dead_frame_blocks, 'd');
}

/* Plants the dead frame 32 KiB below the caller, far from where the
 * frames of the wait and of the suspend signal's handler will land: those
 * are scanned from the handler's stack pointer up, whatever they overwrote. */
static __attribute__((noinline)) void descend_and_plant(int kibibytes) {
    volatile char pad[8 * 1024];
    pad[0] = 0;
    if (kibibytes > 8) descend_and_plant(kibibytes - 8);
    else plant_in_dead_frame();
    pad[sizeof pad - 1] = pad[0];
}

static __attribute__((noinline)) void wait_for_collection(void) {
    pthread_mutex_lock(&mutex);
    planted = 1;
    pthread_cond_broadcast(&changed);
    while (!collected) pthread_cond_wait(&changed, &mutex);
    pthread_mutex_unlock(&mutex);
}

static void *run_thread(void *argument) {
    (void)argument;
    descend_and_plant(32);
    char *volatile frame[block_count];
    plant(frame, live_frame_blocks, 'l');
    wait_for_collection();
    return (void *)frame[0];
}

int main(void) {
    void (*gc_collect)(void) = (void (*)(void))gc_function("gc_collect");
    void *(*gc_base)(void *) = (void *(*)(void *))gc_function("gc_base");
    pthread_t thread;
    pthread_create(&thread, NULL, run_thread, NULL);
    pthread_mutex_lock(&mutex);
    while (!planted) pthread_cond_wait(&changed, &mutex);
    pthread_mutex_unlock(&mutex);

    gc_collect();
    gc_collect();
    int reclaimed = 0, intact = 0;
    for (int index = 0; index < block_count; index++) {
        reclaimed += gc_base((void *)~dead_frame_blocks[index]) == NULL;
        const char *block = (const char *)~live_frame_blocks[index];
        intact += gc_base((void *)block) == block && block[0] == 'l' && block[block_size - 1] == 'l';
    }
    CHECK(reclaimed >= block_count * 9 / 10, "blocks only a returned frame pointed to are reclaimed (%d of %d)",
          reclaimed, block_count);
    CHECK(intact == block_count, "blocks an active frame points to are kept (%d of %d)", intact, block_count);

    pthread_mutex_lock(&mutex);
    collected = 1;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mutex);
    pthread_join(thread, NULL);
    return check_finish();
}
