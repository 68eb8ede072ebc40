#!/usr/bin/env bash
# bdwgc's own test suite on SwiftGC (part of `make boehm-tests`).
#
# Fetches the source of Debian's libgc (bdwgc 8.2.2) at test time, with
# `apt-get source --download-only` through a private apt directory that
# holds one deb-src line, and caches it under the build directory; bdwgc's
# test code is never part of this repository. Each program of its tests/
# (and cord/tests/) is built against bdwgc's own headers, with
# -DGC_THREADS -DGC_BUILTIN_ATOMIC, twice:
#   NAME.bdwgc    linked with Debian's libgc, the reference;
#   NAME.swiftgc  linked with libswiftgc.so instead.
# The reference runs first. Every program that passes on bdwgc must pass
# linked with SwiftGC, and again as NAME.bdwgc under LD_PRELOAD=libswiftgc.so
# (unless PRELOAD_EXCLUDED names it, with its reason). A program that fails
# on bdwgc is reported and not held against SwiftGC.
#
# If the source cannot be fetched (no network, no apt), one line says so
# and the suite is skipped; with CI set in the environment that is a
# failure instead.
#
# By hand, from the repository root:
#   make build/lib/libswiftgc.so && Tests/BoehmTests/bdwgc_suite.sh build/lib/libswiftgc.so build/boehm-suite
# BDWGC_TESTS="gctest hugetest" limits the run to those programs.
set -Eeuo pipefail
trap 'echo "Tests/BoehmTests/bdwgc_suite.sh: failed: $BASH_COMMAND" >&2' ERR

if [ $# -ne 2 ]; then
    echo "usage: $0 LIBSWIFTGC_SO BUILD_DIRECTORY" >&2
    exit 2
fi
library=$(realpath "$1")
mkdir -p "$2"
output=$(realpath "$2")
version=1:8.2.2-3
source_directory=$output/source/gc-8.2.2

# ---- Fetching ----
# Prints nothing and returns 0 once $source_directory holds the source.
fetch_source() {
    [ -f "$source_directory/tests/test.c" ] && return 0
    local apt=$output/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$output/source"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
        > "$apt/sources.list"
    local options=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
                   -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "Debug::NoLocking=1"
                   -o "APT::Sandbox::User=$(id -un)")
    apt-get "${options[@]}" -qq update > "$apt/update.log" 2>&1 || return 1
    (cd "$output/source" && apt-get "${options[@]}" -qq source --download-only "libgc=$version") \
        > "$apt/source.log" 2>&1 || return 1
    tar -xzf "$output/source/libgc_8.2.2.orig.tar.gz" -C "$output/source" || return 1
    [ -f "$source_directory/tests/test.c" ]
}

if ! fetch_source; then
    if [ -n "${CI:-}" ]; then
        echo "bdwgc test suite: could not fetch libgc $version's source with apt-get source (see $output/apt/*.log); CI requires it" >&2
        exit 1
    fi
    echo "bdwgc test suite: skipped: could not fetch libgc $version's source with apt-get source (see $output/apt/*.log)."
    exit 0
fi

# ---- Building ----
tests=$source_directory/tests
c_flags=(-O1 -g -w -DGC_THREADS -DGC_BUILTIN_ATOMIC -I"$source_directory/include")
bdwgc_link=(-lgc -lpthread)
swiftgc_link=(-L"$(dirname "$library")" -lswiftgc -Wl,-rpath,"$(dirname "$library")" -lpthread)
binaries=$output/bin
mkdir -p "$binaries/bdwgc" "$binaries/swiftgc" "$output/bdwgc" "$output/swiftgc" "$output/preload"

# NAME, then its sources (relative to the source tree) and extra flags. The
# name is bdwgc's (tests/tests.am); gctest is built with the typed and gcj
# parts its #ifdefs hold.
programs=(
    "gctest tests/test.c -DGC_GCJ_SUPPORT"
    "leaktest tests/leak_test.c"
    "middletest tests/middle.c"
    "smashtest tests/smash_test.c"
    "hugetest tests/huge_test.c"
    "realloc_test tests/realloc_test.c"
    "staticrootstest tests/staticrootstest.c -DSTATICROOTSLIB2"
    "test_atomic_ops tests/test_atomic_ops.c"
    "threadleaktest tests/thread_leak_test.c"
    "threadkey_test tests/threadkey_test.c"
    "subthreadcreate_test tests/subthread_create.c"
    "initsecondarythread_test tests/initsecondarythread.c"
    "disclaim_test tests/disclaim_test.c"
    "disclaim_bench tests/disclaim_bench.c"
    "disclaim_weakmap_test tests/disclaim_weakmap_test.c"
    "test_cpp tests/test_cpp.cc gc_cpp.cc gc_badalc.cc"
    "cordtest cord/tests/cordtest.c cord/cordbscs.c cord/cordxtra.c cord/cordprnt.c"
)
# tracetest is not here: it needs a bdwgc built with KEEP_BACK_PTRS, which
# Debian's is not.

# Programs whose libgc-linked build cannot run under LD_PRELOAD, and why.
declare -A PRELOAD_EXCLUDED=()
# Programs that never call the collector, so SwiftGC under LD_PRELOAD has
# no summary to print (elsewhere the summary shows that SwiftGC ran).
declare -A NEVER_COLLECTS=([test_atomic_ops]="tests only the atomic operations")

# Environment for every run of a program, on both collectors, and why.
# gctest turns on incremental mode, which is SwiftGC's concurrent marking:
# there its heap can grow past gctest's bound (a pacing feedback loop of
# the concurrent collector, RELIABILITY.md), so until that is fixed both
# collectors run it with bdwgc's own switch to keep incremental mode off.
declare -A RUN_ENVIRONMENT=([gctest]="GC_DISABLE_INCREMENTAL=1")

# Builds $binaries/COLLECTOR/NAME from the sources and flags given, if any
# of them (or the library) is newer; the compiler's messages go to NAME.log.
build() {
    local collector=$1 name=$2
    shift 2
    local target=$binaries/$collector/$name sources=() flags=() is_cpp=0 argument
    for argument in "$@"; do
        case $argument in
            -*) flags+=("$argument") ;;
            *.cc) is_cpp=1; sources+=("$source_directory/$argument") ;;
            *) sources+=("$source_directory/$argument") ;;
        esac
    done
    local link=("${bdwgc_link[@]}")
    [ "$collector" = swiftgc ] && link=("${swiftgc_link[@]}")
    local up_to_date=1 file
    [ -x "$target" ] || up_to_date=0
    for file in "${sources[@]}" "$library" "$0"; do
        [ "$file" -nt "$target" ] && up_to_date=0
    done
    [ $up_to_date = 1 ] && return 0
    local compiler=cc
    [ $is_cpp = 1 ] && compiler=c++
    if [ "$name" = staticrootstest ]; then
        # Two shared libraries built from staticrootslib.c, as tests.am does.
        "$compiler" "${c_flags[@]}" -fPIC -shared "$tests/staticrootslib.c" "${link[@]}" \
            -o "$binaries/$collector/libstaticrootslib_test.so" > "$target.log" 2>&1 || return 1
        "$compiler" "${c_flags[@]}" -DSTATICROOTSLIB2 -fPIC -shared "$tests/staticrootslib.c" "${link[@]}" \
            -o "$binaries/$collector/libstaticrootslib2_test.so" >> "$target.log" 2>&1 || return 1
        link=(-L"$binaries/$collector" -lstaticrootslib_test -lstaticrootslib2_test
              -Wl,-rpath,"$binaries/$collector" "${link[@]}")
    fi
    "$compiler" "${c_flags[@]}" "${flags[@]}" "${sources[@]}" "${link[@]}" -o "$target" >> "$target.log" 2>&1
}

# ---- Running ----
# Runs BINARY (program NAME) in the output directory, where some write
# files, its output to LOG, with RUN_ENVIRONMENT's settings for NAME and
# the VARIABLE=VALUE words given after BINARY.
run() {
    local name=$1 log=$2 binary=$3
    shift 3
    # shellcheck disable=SC2086 # RUN_ENVIRONMENT holds words
    (cd "$output" && env ${RUN_ENVIRONMENT[$name]:-} "$@" timeout 900 "$binary") > "$log" 2>&1
}

selected=" ${BDWGC_TESTS:-} "
passed=0
failures=()
for entry in "${programs[@]}"; do
    read -r -a fields <<< "$entry"
    name=${fields[0]}
    [ "$selected" = "  " ] || [[ $selected == *" $name "* ]] || continue
    if ! build bdwgc "$name" "${fields[@]:1}"; then
        echo "$name: does not build against Debian's libgc ($binaries/bdwgc/$name.log); not run."
        continue
    fi
    if ! run "$name" "$output/bdwgc/$name.out" "$binaries/bdwgc/$name"; then
        echo "$name: fails on bdwgc itself ($output/bdwgc/$name.out); not held against SwiftGC."
        continue
    fi
    if ! build swiftgc "$name" "${fields[@]:1}"; then
        failures+=("$name does not link with libswiftgc.so: $(grep -m3 -o "undefined reference to \`[^']*'" \
            "$binaries/swiftgc/$name.log" | tr '\n' ' ')(see $binaries/swiftgc/$name.log)")
        continue
    fi
    if ! run "$name" "$output/swiftgc/$name.out" "$binaries/swiftgc/$name"; then
        failures+=("$name fails linked with libswiftgc.so: $(tail -n 2 "$output/swiftgc/$name.out" | tr '\n' ' ')")
        continue
    fi
    how="linked with libswiftgc.so"
    if [ -n "${PRELOAD_EXCLUDED[$name]:-}" ]; then
        how="$how (not under LD_PRELOAD: ${PRELOAD_EXCLUDED[$name]})"
    elif ! run "$name" "$output/preload/$name.out" "$binaries/bdwgc/$name" LD_PRELOAD="$library" SWIFTGC_STATS=1 \
           || { [ -z "${NEVER_COLLECTS[$name]:-}" ] && ! grep -q '^swiftgc: collections' "$output/preload/$name.out"; }; then
        failures+=("$name fails on SwiftGC under LD_PRELOAD: $(tail -n 2 "$output/preload/$name.out" | tr '\n' ' ')")
        continue
    else
        how="$how and under LD_PRELOAD"
    fi
    passed=$((passed + 1))
    echo "$name: passes on bdwgc and on SwiftGC, $how."
done

if [ ${#failures[@]} -gt 0 ]; then
    printf 'bdwgc test suite: FAILED: %s\n' "${failures[@]}" >&2
    exit 1
fi
echo "bdwgc test suite (libgc $version): all $passed programs that pass on bdwgc pass on SwiftGC."
