/* Planted bugs, one per mode, run under libswiftgc-preload.so:
 *   planted_bugs leaky-loop   allocates 2 GiB in 64 KiB blocks it never frees
 *                             and drops; succeeds if the resident set stays
 *                             under 512 MiB (collect and ignore-free modes).
 *   planted_bugs double-free  frees a block twice, then keeps allocating
 *                             (survives in every mode; ignore-free says nothing).
 *   planted_bugs misuse       frees a stack address, an interior pointer and a
 *                             block twice; each must give one swiftgc: line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../CTests/check.h"

static long resident_kib(void) {
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (status && fgets(line, sizeof line, status)) {
        if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    }
    if (status) fclose(status);
    return kib;
}

static void leaky_loop(void) {
    long peak = 0;
    for (int index = 0; index < 32768; index++) {
        char *volatile block = malloc(64 * 1024);
        memset(block, index, 64 * 1024);
        if (index % 1024 == 0) {
            long now = resident_kib();
            if (now > peak) peak = now;
        }
    }
    CHECK(peak > 0 && peak < 512 * 1024, "2 GiB of dropped blocks stay under 512 MiB resident (peak %ld KiB)", peak);
}

static void double_free(void) {
    char *block = malloc(100);
    strcpy(block, "planted");
    free(block);
    free(block);
    long total = 0;
    for (int index = 0; index < 100000; index++) {
        char *other = malloc(100);
        memset(other, 1, 100);
        total += other[99];
        free(other);
    }
    CHECK(total == 100000, "allocation goes on correctly after a double free");
}

static void misuse(void) {
    int local = 0;
    free(&local);
    char *block = malloc(64);
    free(block + 8);
    free(block);
    free(block);
    CHECK(1, "the program survives misuse");
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "leaky-loop") == 0) leaky_loop();
    else if (argc == 2 && strcmp(argv[1], "double-free") == 0) double_free();
    else if (argc == 2 && strcmp(argv[1], "misuse") == 0) misuse();
    else { fprintf(stderr, "usage: planted_bugs leaky-loop|double-free|misuse\n"); return 2; }
    return check_finish();
}
