/*
 * test_file_mapping_roots — a data file mapped privately and writably is not
 * taken for a data segment. The mapping here is 64 KiB long over a file of
 * 100 bytes, so reading past the file's first page raises SIGBUS; a
 * collector that scanned it as a root would crash in gc_collect. Objects
 * that only data segments and the stack point to still survive.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "swiftgc.h"

static void *global_root;

int main(void) {
    char path[] = "/tmp/swiftgc-short-file-XXXXXX";
    int descriptor = mkstemp(path);
    CHECK(descriptor >= 0, "a temporary file to be created");
    if (descriptor < 0) return check_finish();
    unlink(path);
    char bytes[100];
    memset(bytes, 7, sizeof bytes);
    CHECK(write(descriptor, bytes, sizeof bytes) == (ssize_t)sizeof bytes, "the file to be written");
    size_t length = 64 * 1024;
    char *mapping = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0);
    CHECK(mapping != MAP_FAILED, "the short file to be mapped");
    if (mapping == MAP_FAILED) return check_finish();
    mapping[0] = 1; /* a private, written page of the file */

    global_root = gc_malloc(64);
    memset(global_root, 0x33, 64);
    gc_collect();
    gc_collect();
    CHECK(1, "collections survive a private writable mapping longer than its file");
    CHECK(gc_base(global_root) == global_root && ((unsigned char *)global_root)[63] == 0x33,
          "an object a data segment points to survives");
    munmap(mapping, length);
    close(descriptor);
    return check_finish();
}
