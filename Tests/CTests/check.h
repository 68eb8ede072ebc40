/*
 * check.h — the whole test harness for the C test programs.
 *
 * CHECK(condition, "expected ...", ...) records one result. On failure it
 * prints file:line, the condition and what was expected, so a failing run
 * explains itself without a debugger. check_finish() prints the closing line,
 * exactly "N passed, M failed", and returns the exit status for main.
 *
 * Results go to stdout and are flushed at once, so they stay in order with
 * the output of child processes that some tests start.
 */
#ifndef SWIFTGC_TESTS_CHECK_H
#define SWIFTGC_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int check_passed_count;
static int check_failed_count;

__attribute__((format(printf, 5, 6)))
static inline void check_record(int condition_held, const char *file, int line,
                                const char *condition_text, const char *expectation, ...) {
    if (condition_held) {
        check_passed_count += 1;
        return;
    }
    check_failed_count += 1;
    printf("FAIL %s:%d: (%s) is false\n    expected: ", file, line, condition_text);
    va_list arguments;
    va_start(arguments, expectation);
    vprintf(expectation, arguments);
    va_end(arguments);
    printf("\n");
    fflush(stdout);
}

/* The expectation is a printf format; it should say what ought to be true. */
#define CHECK(condition, ...) \
    check_record((condition) ? 1 : 0, __FILE__, __LINE__, #condition, __VA_ARGS__)

/* Prints "N passed, M failed" and returns the exit status: 0 only if nothing failed. */
static inline int check_finish(void) {
    printf("%d passed, %d failed\n", check_passed_count, check_failed_count);
    fflush(stdout);
    return check_failed_count == 0 ? 0 : 1;
}

#endif
