#!/usr/bin/env bash
# bdwgc compatibility (`make boehm-tests`): programs written for bdwgc give
# the same output on bdwgc and on SwiftGC.
#
#   bdwgc program  Tests/BoehmTests/bdwgc_program.c, built with SwiftGC's gc.h
#                  (on_swiftgc, -lswiftgc) and with Debian's (on_bdwgc, -lgc).
#                  on_bdwgc runs on bdwgc for the reference output, then on
#                  SwiftGC through LD_PRELOAD; all three outputs must match,
#                  and EXPECT_COLLECTOR makes each run check which collector
#                  it really got.
#   w3m, mmv, guile, chase, debfoster
#                  Debian's programs linked against bdwgc, run as they are and
#                  under LD_PRELOAD=libswiftgc.so; outputs (and mmv's renamed
#                  files) must be identical, and SWIFTGC_STATS=1 must show that
#                  SwiftGC collected. chase and debfoster run with a 256K
#                  budget so that they collect often.
#   ecl, poke, neko
#                  Language runtimes built on bdwgc, each running a workload
#                  of its own (*_workload.*) that must collect 20 times or
#                  more on SwiftGC, with the same output.
#
# By hand, from the repository root (make builds the two programs and
# installs libgc-dev, w3m, mmv, guile-3.0, chase, debfoster, ecl, poke and
# neko):
#   make build/lib/libswiftgc.so build/boehm/on_swiftgc build/boehm/on_bdwgc
#   Tests/BoehmTests/run.sh build/lib/libswiftgc.so build/boehm
set -Eeuo pipefail
trap 'echo "Tests/BoehmTests/run.sh: failed: $BASH_COMMAND" >&2' ERR

if [ $# -ne 2 ]; then
    echo "usage: $0 LIBSWIFTGC_SO BUILD_DIRECTORY (holding on_swiftgc and on_bdwgc)" >&2
    exit 2
fi
library=$(realpath "$1")
output=$(realpath "$2")
tests=$(realpath "$(dirname "$0")")

# The bdwgc program, three ways.
(
    cd "$output"
    EXPECT_COLLECTOR=bdwgc ./on_bdwgc > bdwgc.out
    EXPECT_COLLECTOR=swiftgc ./on_swiftgc > swiftgc.out
    LD_PRELOAD=$library EXPECT_COLLECTOR=swiftgc ./on_bdwgc > preload.out
    diff -u bdwgc.out swiftgc.out
    diff -u bdwgc.out preload.out
)
echo "bdwgc program: same output on bdwgc, with SwiftGC's gc.h, and on SwiftGC via LD_PRELOAD."

# Fails unless the SWIFTGC_STATS=1 summary in $1 counts at least one collection.
collected() { grep -q '^swiftgc: collections [1-9]' "$1"; }

# w3m rendering a generated page.
"$tests/generate_page.sh" > "$output/page.html"
w3m -dump -cols 100 "$output/page.html" > "$output/w3m-bdwgc.txt"
LD_PRELOAD=$library SWIFTGC_STATS=1 w3m -dump -cols 100 "$output/page.html" \
    > "$output/w3m-swiftgc.txt" 2> "$output/w3m-swiftgc.err"
collected "$output/w3m-swiftgc.err"
cmp "$output/w3m-bdwgc.txt" "$output/w3m-swiftgc.txt"
echo "w3m -dump of a $(wc -c < "$output/page.html")-byte page: identical on bdwgc and on SwiftGC (LD_PRELOAD), which collected."

# mmv renaming 300 files.
for collector in bdwgc swiftgc; do
    rm -rf "$output/mmv-$collector"
    mkdir -p "$output/mmv-$collector"
    (
        cd "$output/mmv-$collector"
        for i in $(seq 1 300); do : > "file_$i.txt"; done
        if [ $collector = swiftgc ]; then export LD_PRELOAD=$library; fi
        mmv -v '*.txt' '#1.md' > "../mmv-$collector.out"
        ls > "../mmv-$collector.files"
    )
done
cmp "$output/mmv-bdwgc.out" "$output/mmv-swiftgc.out"
cmp "$output/mmv-bdwgc.files" "$output/mmv-swiftgc.files"
echo "mmv renaming 300 files: same output and result on bdwgc and on SwiftGC (LD_PRELOAD)."

# Guile 3.0, which uses object kinds, mark procedures, weak tables and guardians.
guile --no-auto-compile "$tests/guile_allocation.scm" > "$output/guile-bdwgc.out"
LD_PRELOAD=$library SWIFTGC_STATS=1 guile --no-auto-compile "$tests/guile_allocation.scm" \
    > "$output/guile-swiftgc.out" 2> "$output/guile-swiftgc.err"
collected "$output/guile-swiftgc.err"
cmp "$output/guile-bdwgc.out" "$output/guile-swiftgc.out"
echo "guile 3.0 (object kinds, mark procedures, weak tables, guardians): same output on bdwgc and on SwiftGC (LD_PRELOAD), which collected."

# chase following 2000 chains of 5 symbolic links.
rm -rf "$output/chase"
mkdir -p "$output/chase/level0"
(
    cd "$output/chase"
    (cd level0 && seq 1 2000 | sed 's/^/target_/' | xargs touch)
    for level in 1 2 3 4 5; do
        mkdir "level$level"
        cp -s "$PWD/level$((level - 1))"/* "level$level/"
    done
    ls -d "$PWD"/level5/* > names.txt
    chase -f names.txt > ../chase-bdwgc.out
    LD_PRELOAD=$library SWIFTGC_STATS=1 SWIFTGC_INITIAL_HEAP=256K chase -f names.txt \
        > ../chase-swiftgc.out 2> ../chase-swiftgc.err
    collected ../chase-swiftgc.err
    cmp ../chase-bdwgc.out ../chase-swiftgc.out
)
echo "chase following 2000 chains of 5 symlinks: same output on bdwgc and on SwiftGC (LD_PRELOAD, 256K budget), which collected."

# debfoster reading the package database, twice.
for options in "-n -d libgc-dev" "-n -i -s"; do
    # shellcheck disable=SC2086 # the options are two words each
    debfoster $options > "$output/debfoster-bdwgc.out"
    # shellcheck disable=SC2086
    LD_PRELOAD=$library SWIFTGC_STATS=1 SWIFTGC_INITIAL_HEAP=256K debfoster $options \
        > "$output/debfoster-swiftgc.out" 2> "$output/debfoster-swiftgc.err"
    collected "$output/debfoster-swiftgc.err"
    cmp "$output/debfoster-bdwgc.out" "$output/debfoster-swiftgc.out"
done
echo "debfoster reading the package database (-d libgc-dev, -s): same output on bdwgc and on SwiftGC (LD_PRELOAD, 256K budget), which collected."

# Fails unless the SWIFTGC_STATS=1 summary in $2 counts at least $1 collections.
collected_at_least() {
    local count
    count=$(sed -n 's/^swiftgc: collections \([0-9]*\),.*/\1/p' "$2" | tail -n 1)
    [ "${count:-0}" -ge "$1" ] || { echo "$2: $count collections, expected at least $1" >&2; return 1; }
}

# Three language runtimes that allocate all their objects from bdwgc, each
# running a workload that collects many times: ECL (Common Lisp), GNU poke
# and the Neko VM.
ecl --norc --shell "$tests/ecl_workload.lisp" > "$output/ecl-bdwgc.out"
LD_PRELOAD=$library SWIFTGC_STATS=1 ecl --norc --shell "$tests/ecl_workload.lisp" \
    > "$output/ecl-swiftgc.out" 2> "$output/ecl-swiftgc.err"
collected_at_least 20 "$output/ecl-swiftgc.err"
cmp "$output/ecl-bdwgc.out" "$output/ecl-swiftgc.out"
poke --quiet --no-init-file -L "$tests/poke_workload.pk" > "$output/poke-bdwgc.out"
LD_PRELOAD=$library SWIFTGC_STATS=1 poke --quiet --no-init-file -L "$tests/poke_workload.pk" \
    > "$output/poke-swiftgc.out" 2> "$output/poke-swiftgc.err"
collected_at_least 20 "$output/poke-swiftgc.err"
cmp "$output/poke-bdwgc.out" "$output/poke-swiftgc.out"
(cd "$output" && cp "$tests/neko_workload.neko" . && nekoc neko_workload.neko > /dev/null)
neko "$output/neko_workload.n" > "$output/neko-bdwgc.out"
LD_PRELOAD=$library SWIFTGC_STATS=1 SWIFTGC_INITIAL_HEAP=1M neko "$output/neko_workload.n" \
    > "$output/neko-swiftgc.out" 2> "$output/neko-swiftgc.err"
collected_at_least 20 "$output/neko-swiftgc.err"
cmp "$output/neko-bdwgc.out" "$output/neko-swiftgc.out"
echo "ECL, GNU poke and the Neko VM: same output on bdwgc and on SwiftGC (LD_PRELOAD), which collected at least 20 times each."
