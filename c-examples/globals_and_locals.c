/*
 * globals_and_locals.c — where a pointer may live for SwiftGC to see it.
 *
 * The collector treats as roots the stack (locals), the registers, and the
 * program's writable data: initialised globals (.data), zero-initialised
 * globals (.bss) and static locals. An object reachable from any of them is
 * kept, however much garbage is collected around it. Here four messages are
 * kept that way, a lot of garbage is allocated and collected, and the
 * messages are printed again.
 *
 * Build: cc -Iinclude c-examples/globals_and_locals.c -Lbuild/lib -lswiftgc -o globals_and_locals
 */
#include <stdio.h>
#include <string.h>

#include "swiftgc.h"

/* An initialised global: its nonzero initial value puts it in .data. */
struct greeting {
    int times_shown;
    char *text;
} greeting_in_data = { 1, NULL };

/* A zero-initialised global: it lives in .bss. */
char *message_in_bss;

/* Copies text into collected memory. */
static char *collected_copy(const char *text) {
    char *copy = gc_malloc(strlen(text) + 1);
    strcpy(copy, text);
    return copy;
}

/* A static local is stored like a global, so it is a root too. */
static const char *remembered_message(void) {
    static char *message_in_static_local;
    if (message_in_static_local == NULL) message_in_static_local = collected_copy("kept by a static local");
    return message_in_static_local;
}

/* Allocates and forgets about 64 MiB, so collections reuse memory a lot. */
static void make_garbage(void) {
    for (int index = 0; index < 1 << 20; index++) {
        char *garbage = gc_malloc(64);
        memset(garbage, 'x', 63);
    }
}

int main(void) {
    greeting_in_data.text = collected_copy("kept by an initialised global (.data)");
    message_in_bss = collected_copy("kept by a zero-initialised global (.bss)");
    char *message_in_local = collected_copy("kept by a local variable on the stack");
    remembered_message();

    for (int round = 0; round < 10; round++) {
        make_garbage();
        gc_collect();
    }

    struct gc_stats stats;
    gc_get_stats(&stats);
    printf("after %llu collections that reclaimed %llu MiB of garbage:\n",
           (unsigned long long)stats.collections, (unsigned long long)(stats.total_bytes_reclaimed >> 20));
    printf("  %s\n  %s\n  %s\n  %s\n", greeting_in_data.text, message_in_bss, remembered_message(), message_in_local);
    return 0;
}
