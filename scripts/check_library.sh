#!/usr/bin/env bash
# `make check-library`: libswiftgc.so needs only libc (with its dynamic
# loader) and libunwind, and exports only the C API (gc_*), the bdwgc
# compatibility layer (GC_*) and the pthread wrappers that register threads.
# Its SONAME is libswiftgc.so.0, reached through the symlink chain
# libswiftgc.so -> libswiftgc.so.0 -> libswiftgc.so.0.MINOR.PATCH, and a
# program linked with -lswiftgc records libswiftgc.so.0 as NEEDED.
#
# By hand, from the repository root:
#   make build/lib/libswiftgc.so && scripts/check_library.sh build/lib/libswiftgc.so
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 LIBSWIFTGC_SO" >&2
    exit 2
fi
library=$1

needed=$(readelf -d "$library" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | grep -v '^ld-linux' | sort | tr '\n' ' ')
if [ "$needed" != "libc.so.6 libunwind.so.8 " ]; then
    echo "libswiftgc.so needs [$needed], expected only libc.so.6 and libunwind.so.8"
    exit 1
fi
exported=$(nm -D --defined-only "$library" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' \
    | grep -v -e '^gc_' -e '^GC_' -e '^pthread_\(create\|exit\|join\|detach\|tryjoin_np\|timedjoin_np\|clockjoin_np\)$' || true)
if [ -n "$exported" ]; then
    echo "libswiftgc.so exports more than gc_*, GC_* and the pthread wrappers: $exported"
    exit 1
fi
soname=$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
if [ "$soname" != "libswiftgc.so.0" ]; then
    echo "libswiftgc.so has SONAME [$soname], expected libswiftgc.so.0"
    exit 1
fi
directory=$(dirname "$library")
if [ "$(readlink "$directory/libswiftgc.so")" != libswiftgc.so.0 ] \
   || ! readlink "$directory/libswiftgc.so.0" | grep -qx 'libswiftgc\.so\.0\.[0-9]*\.[0-9]*' \
   || [ ! -f "$directory/$(readlink "$directory/libswiftgc.so.0")" ]; then
    echo "expected libswiftgc.so -> libswiftgc.so.0 -> libswiftgc.so.0.MINOR.PATCH in $directory:"
    ls -l "$directory"/libswiftgc.so*
    exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#include <swiftgc.h>\nint main(void) { return gc_malloc(8) == 0; }\n' > "$work/linked.c"
${CC:-cc} -Iinclude "$work/linked.c" -L"$directory" -lswiftgc -o "$work/linked"
linked_needs=$(readelf -d "$work/linked" | sed -n 's/.*Shared library: \[\(libswiftgc[^]]*\)\]/\1/p')
if [ "$linked_needs" != "libswiftgc.so.0" ]; then
    echo "a program linked with -lswiftgc needs [$linked_needs], expected libswiftgc.so.0"
    exit 1
fi
if ! LD_LIBRARY_PATH="$directory" "$work/linked"; then
    echo "a program linked with -lswiftgc does not run with libswiftgc.so.0 from $directory"
    exit 1
fi
echo "libswiftgc.so has SONAME libswiftgc.so.0 behind the symlink chain, and programs linked with -lswiftgc need libswiftgc.so.0."
echo "libswiftgc.so needs only libc and libunwind and exports only gc_*, GC_* (bdwgc layer) and the pthread wrappers."
