/*
 * process.h — process-level helpers for the C tests: capturing what the
 * collector writes to stderr, re-running this test program in a child with a
 * collector option set, and reading peak memory.
 */
#ifndef SWIFTGC_TESTS_PROCESS_H
#define SWIFTGC_TESTS_PROCESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where stderr went while it was being captured. */
struct stderr_capture {
    FILE *file;
    int saved_stderr;
};

/* Sends everything written to fd 2 into a temporary file until capture_stderr_end. */
static inline void capture_stderr_begin(struct stderr_capture *capture) {
    fflush(stderr);
    capture->file = tmpfile();
    if (capture->file == NULL) abort();
    capture->saved_stderr = dup(2);
    dup2(fileno(capture->file), 2);
}

/* Restores fd 2 and copies what was written, NUL-terminated, into text. */
static inline void capture_stderr_end(struct stderr_capture *capture, char *text, size_t capacity) {
    fflush(stderr);
    dup2(capture->saved_stderr, 2);
    close(capture->saved_stderr);
    lseek(fileno(capture->file), 0, SEEK_SET);
    ssize_t length = read(fileno(capture->file), text, capacity - 1);
    text[length > 0 ? length : 0] = '\0';
    fclose(capture->file);
}

static inline int count_lines(const char *text) {
    int lines = 0;
    for (const char *character = text; *character; character++) {
        if (*character == '\n') lines += 1;
    }
    /* A last line without a newline still counts. */
    if (*text && text[strlen(text) - 1] != '\n') lines += 1;
    return lines;
}

/* True if some hexadecimal number written as 0x... in text equals address,
 * whatever its case or zero padding. */
static inline int text_mentions_address(const char *text, const void *address) {
    for (const char *found = strstr(text, "0x"); found; found = strstr(found + 2, "0x")) {
        if (strtoull(found + 2, NULL, 16) == (unsigned long long)(uintptr_t)address) return 1;
    }
    return 0;
}

/* Runs this program again in a child, as "program mode", with the variable
 * set (the collector reads its options at its first call, so they must be in
 * the environment before the program starts). Returns the wait status. */
static inline int run_self_in_child(const char *mode, const char *variable, const char *value) {
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child < 0) abort();
    if (child == 0) {
        /* A child expected to abort must not leave a core file in the repo. */
        struct rlimit no_core = { 0, 0 };
        setrlimit(RLIMIT_CORE, &no_core);
        setenv(variable, value, 1);
        execl("/proc/self/exe", "/proc/self/exe", mode, (char *)NULL);
        perror("execl /proc/self/exe");
        _exit(127);
    }
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {}
    return status;
}

/* This process's resident set now, in KiB (VmRSS), or -1 if unreadable. */
static inline long current_resident_kib(void) {
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (status && fgets(line, sizeof line, status)) {
        if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
    }
    if (status) fclose(status);
    return kib;
}

/* The largest resident set this process has had, in KiB. */
static inline long peak_resident_kib(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

#endif
