#!/usr/bin/env bash
# `make check-library`, second part: every GC_* symbol that Debian's bdwgc
# (libgc.so.1) exports is exported by libswiftgc.so too, or named in
# README.md's "Not provided" row of "Differences from bdwgc", which gives
# the reason. Fails naming each symbol that is neither.
#
# By hand, from the repository root:
#   make build/lib/libswiftgc.so && scripts/check_bdwgc_exports.sh build/lib/libswiftgc.so README.md
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 LIBSWIFTGC_SO README_MD" >&2
    exit 2
fi
library=$1
readme=$2
bdwgc=$(dpkg -L libgc1 2>/dev/null | grep '/libgc\.so\.1$' | head -n 1 || true)
if [ -z "$bdwgc" ]; then
    echo "check-bdwgc-exports: libgc1 is not installed; nothing to compare with" >&2
    exit 1
fi

exports() { nm -D --defined-only "$1" | awk '$3 ~ /^GC_/ {print $3}' | sort -u; }
not_provided_row=$(grep '^| Not provided' "$readme" || true)
missing=$(comm -23 <(exports "$bdwgc") <(exports "$library"))
undocumented=()
for symbol in $missing; do
    [[ $not_provided_row == *"\`$symbol\`"* ]] || undocumented+=("$symbol")
done
if [ ${#undocumented[@]} -gt 0 ]; then
    echo "libswiftgc.so lacks these GC_* symbols of $bdwgc, and README.md's \"Not provided\" row does not name them: ${undocumented[*]}"
    exit 1
fi
echo "Every GC_* symbol of $(basename "$bdwgc") ($(exports "$bdwgc" | wc -l)) is exported by libswiftgc.so or listed in README.md as not provided ($(echo "$missing" | wc -w))."
