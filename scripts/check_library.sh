#!/usr/bin/env bash
# `make check-library`: libswiftgc.so needs only libc (with its dynamic
# loader) and libunwind, and exports only the C API (gc_*), the bdwgc
# compatibility layer (GC_*) and the pthread wrappers that register threads.
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
echo "libswiftgc.so needs only libc and libunwind and exports only gc_*, GC_* (bdwgc layer) and the pthread wrappers."
