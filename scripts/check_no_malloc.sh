#!/usr/bin/env bash
# `make check-no-malloc`: the collector never calls malloc.
#
# Embedded Swift compiles its own runtime into each module (swift_allocObject
# and swift_slowAlloc, which call posix_memalign and free; Hasher's seed,
# which calls arc4random_buf). Nothing calls it, and the link
# (-function-sections, lld --gc-sections, see Package.swift) must drop it.
# Checked here:
#   - neither library contains a Swift runtime allocation function;
#   - libswiftgc.so references no malloc-family function (malloc_usable_size,
#     a query, is allowed: threads.c measures dynamic TLS blocks with it);
#   - no Swift function in libswiftgc-preload.so calls one (its C shim
#     defines the family, so the library necessarily contains it).
#
# By hand, from the repository root:
#   make && scripts/check_no_malloc.sh build/lib/libswiftgc.so build/lib/libswiftgc-preload.so
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 LIBSWIFTGC_SO LIBSWIFTGC_PRELOAD_SO" >&2
    exit 2
fi
library=$1
preload_library=$2
swift_runtime_allocators=(swift_allocObject swift_slowAlloc swift_coroFrameAlloc swift_allocBox swift_allocEmptyBox)
malloc_family=(malloc calloc realloc reallocarray free posix_memalign aligned_alloc memalign valloc pvalloc
    strdup strndup arc4random arc4random_buf)

for checked in "$library" "$preload_library"; do
    found=$(nm "$checked" | awk '{print $NF}' | grep -xF "${swift_runtime_allocators[@]/#/-e}" || true)
    if [ -n "$found" ]; then
        echo "$checked contains Swift runtime allocation functions:" $found
        exit 1
    fi
done
found=$(nm -D --undefined-only "$library" | awk '{print $2}' | sed 's/@.*//' | grep -xF "${malloc_family[@]/#/-e}" || true)
if [ -n "$found" ]; then
    echo "libswiftgc.so references the malloc family:" $found
    exit 1
fi
# Each call or jump to a malloc-family function (or its PLT entry) from a
# function whose mangled name is Swift's (GCCore module or Swift runtime).
found=$(objdump -d --no-show-raw-insn "$preload_library" | awk -v family="${malloc_family[*]}" '
    BEGIN { gsub(/ /, "|", family); pattern = "<(" family ")(@plt)?>$" }
    /^[0-9a-f]+ <.*>:$/ { function_name = $2; next }
    /\t(call|jmp)/ && $NF ~ pattern && function_name ~ /GCCore|swift_/ { print function_name "->" $NF }' | sort -u)
if [ -n "$found" ]; then
    echo "Swift code in the preload library calls the malloc family:" $found
    exit 1
fi
echo "Neither library contains the Swift runtime's allocator; libswiftgc.so references no malloc-family function;" \
    "no Swift code in libswiftgc-preload.so calls one."
