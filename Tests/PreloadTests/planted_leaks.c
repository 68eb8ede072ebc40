/* Planted leaks for SWIFTGC_MODE=leak-check (Tests/PreloadTests/run.sh reads
 * the report on stderr; this program only plants and prints nothing):
 *   planted_leaks all     leaks, then exits 0:
 *                         - 3 blocks of 48 bytes from leak_direct_blocks (direct),
 *                         - a 40960-byte block from leak_large_block (direct),
 *                         - a 32-byte list head from leak_list (direct), whose
 *                           2 nodes of 64 bytes from make_list_node are indirect;
 *                         and keeps a 96-byte block from keep_reachable_block,
 *                         reachable from a global, which must not be reported.
 *   planted_leaks early   leaks 3 × 48 bytes from leak_direct_blocks, calls
 *                         gc_collect (the early report), then leaks 40960
 *                         bytes from leak_large_block and exits 0.
 *   planted_leaks closes-stderr  leaks 3 × 48 bytes from leak_direct_blocks
 *                         and closes stderr in an exit handler, as gnulib's
 *                         close_stdout does; the report must still appear.
 * Built with -g -fno-omit-frame-pointer -rdynamic so dladdr names the
 * functions, which are not static and not inlined. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node { struct node *next; char payload[56]; };

void *kept_block;

__attribute__((noinline)) void leak_direct_blocks(void) {
    for (int index = 0; index < 3; index++) {
        char *volatile block = malloc(48);
        memset(block, 1, 48);
    }
}

__attribute__((noinline)) void leak_large_block(void) {
    char *volatile block = malloc(40960);
    memset(block, 2, 40960);
}

/* The links are volatile stores: the compiler may drop ordinary stores to
 * blocks that are never read again. */
__attribute__((noinline)) struct node *make_list_node(struct node *next) {
    struct node *node = malloc(sizeof *node);
    *(struct node *volatile *)&node->next = next;
    return node;
}

__attribute__((noinline)) void leak_list(void) {
    struct node **head = malloc(32);
    *(struct node *volatile *)head = make_list_node(make_list_node(NULL));
}

__attribute__((noinline)) void keep_reachable_block(void) {
    kept_block = malloc(96);
    memset(kept_block, 4, 96);
}

/* Overwrites the dead stack below main, where the leaking functions left
 * their pointers, so conservative stack scanning cannot find them. */
__attribute__((noinline)) void clobber_stack(void) {
    volatile char filler[64 * 1024];
    for (size_t index = 0; index < sizeof filler; index++) filler[index] = 0;
}

static void close_standard_error(void) { close(2); }

int main(int argc, char **argv) {
    const char *scenario = argc > 1 ? argv[1] : "all";
    if (strcmp(scenario, "early") == 0) {
        void (*collect)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gc_collect");
        if (!collect) return 2;
        leak_direct_blocks();
        clobber_stack();
        collect();
        leak_large_block();
        clobber_stack();
        return 0;
    }
    if (strcmp(scenario, "closes-stderr") == 0) {
        atexit(close_standard_error);
        leak_direct_blocks();
        clobber_stack();
        return 0;
    }
    leak_direct_blocks();
    leak_large_block();
    leak_list();
    keep_reachable_block();
    clobber_stack();
    return 0;
}
