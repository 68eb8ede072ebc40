/*
 * test_repeated_warnings — a swiftgc: warning that can recur is printed in
 * full the first three times, then only at its 10th, 100th, 1000th, ...
 * occurrence, with the count, so that a long-running program's stderr stays
 * readable. Exercised with the one anyone can trigger at will: gc_enable
 * without a matching gc_disable, 1000 times.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "process.h"
#include "swiftgc.h"

static char text[64 * 1024];

static int count_occurrences(const char *haystack, const char *needle) {
    int count = 0;
    for (const char *found = strstr(haystack, needle); found; found = strstr(found + 1, needle)) count += 1;
    return count;
}

int main(void) {
    gc_collect(); /* start the collector, so its own start-up says nothing below */
    struct stderr_capture capture;
    capture_stderr_begin(&capture);
    for (int call = 0; call < 1000; call++) gc_enable();
    capture_stderr_end(&capture, text, sizeof text);

    const char *warning = "swiftgc: gc_enable called more often than gc_disable; ignored";
    CHECK(count_occurrences(text, warning) == 6,
          "6 warnings for 1000 unmatched gc_enable calls (the 1st, 2nd, 3rd, 10th, 100th and 1000th), got %d:\n%s",
          count_occurrences(text, warning), text);
    CHECK(count_lines(text) == 6, "nothing but those 6 lines on stderr, got %d lines", count_lines(text));
    CHECK(count_occurrences(text, "further repeats of this warning are printed only at the 10th, 100th, ... time") == 1,
          "the 3rd warning to say that repeats are printed only at powers of ten:\n%s", text);
    CHECK(strstr(text, "(10 times so far)") && strstr(text, "(100 times so far)") && strstr(text, "(1000 times so far)"),
          "the 10th, 100th and 1000th warnings to give their count:\n%s", text);

    /* Collections still work after all that. */
    gc_disable();
    gc_enable();
    struct gc_stats before, after;
    gc_get_stats(&before);
    gc_collect();
    gc_get_stats(&after);
    CHECK(after.collections == before.collections + 1, "gc_collect to collect after the warnings");
    return check_finish();
}
