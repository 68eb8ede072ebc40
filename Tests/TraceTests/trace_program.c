/*
 * trace_program.c — a program whose collections Tests/TraceTests/run.sh
 * traces (SWIFTGC_TRACE, SWIFTGC_TRACE_FILE). It allocates lists, most of
 * them garbage, so that pacing collects many times, calls gc_collect a few
 * times, and prints "pid P collections N concurrent C" on stdout, N being
 * gc_get_stats's count after a last gc_collect (which also ends a sweep
 * phase in progress, so every collection has been traced).
 *
 *   trace_program          in this process
 *   trace_program fork     also in a forked child, which prints its own line
 *   trace_program idle     starts the collector but never collects; prints nothing
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "swiftgc.h"

struct node {
    struct node *next;
    long payload[6];
};

/* What stays reachable: a few lists, replaced as the program goes. */
struct node *kept[16]; /* not static: the compiler would drop a static array that is never read */

static void churn(int rounds) {
    for (int round = 0; round < rounds; round++) {
        struct node *list = NULL;
        for (int index = 0; index < 4096; index++) {
            struct node *node = gc_malloc(sizeof *node);
            node->next = list;
            node->payload[0] = index;
            list = node;
        }
        kept[round % 16] = list;
        if (round % 100 == 99) gc_collect();
    }
}

static void report(void) {
    gc_collect();
    struct gc_stats stats;
    gc_get_stats(&stats);
    printf("pid %d collections %llu concurrent %d\n", (int)getpid(), (unsigned long long)stats.collections,
           gc_is_concurrent());
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *scenario = argc > 1 ? argv[1] : "plain";
    if (strcmp(scenario, "idle") == 0) return gc_malloc(16) == NULL; /* starts the collector, never collects */
    churn(400);
    if (strcmp(scenario, "fork") == 0) {
        pid_t child = fork();
        if (child == 0) {
            churn(200);
            report();
            _exit(0);
        }
        int status = 0;
        while (waitpid(child, &status, 0) < 0) {}
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
        churn(100);
    }
    report();
    return 0;
}
