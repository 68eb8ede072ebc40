#!/usr/bin/env bash
# `make check-install`: runs `make install` into a scratch DESTDIR and checks
# what a distribution would ship: libswiftgc.so -> libswiftgc.so.0 ->
# libswiftgc.so.0.MINOR.PATCH with SONAME libswiftgc.so.0, the preload
# library under its plain name, swiftgc(3) naming every function of
# swiftgc.h and every option, swiftgc-plot, `pkg-config --modversion
# swiftgc` giving VERSION, and a program built with pkg-config's flags that
# records libswiftgc.so.0 as NEEDED and runs against the installed copy.
#
# By hand, from the repository root: scripts/check_install.sh 0.1.0
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 VERSION" >&2
    exit 2
fi
version=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=/usr/local
root="$work/root"
"${MAKE:-make}" --no-print-directory -s install DESTDIR="$root" PREFIX="$prefix" > "$work/install.log" 2>&1 \
    || { echo "make install failed:"; cat "$work/install.log"; exit 1; }
lib="$root$prefix/lib"
problems=()
[ "$(readlink "$lib/libswiftgc.so")" = libswiftgc.so.0 ] || problems+=("libswiftgc.so is not a symlink to libswiftgc.so.0")
[ "$(readlink "$lib/libswiftgc.so.0")" = "libswiftgc.so.$version" ] || problems+=("libswiftgc.so.0 is not a symlink to libswiftgc.so.$version")
[ -f "$lib/libswiftgc.so.$version" ] && [ ! -L "$lib/libswiftgc.so.$version" ] || problems+=("libswiftgc.so.$version is not a file")
readelf -d "$lib/libswiftgc.so.$version" | grep -q 'Library soname: \[libswiftgc.so.0\]' || problems+=("the SONAME is not libswiftgc.so.0")
[ -f "$lib/libswiftgc-preload.so" ] && [ ! -L "$lib/libswiftgc-preload.so" ] || problems+=("libswiftgc-preload.so is missing")
[ -x "$root$prefix/bin/swiftgc-plot" ] || problems+=("bin/swiftgc-plot is missing")
man="$root$prefix/share/man/man3/swiftgc.3"
if [ -f "$man" ]; then
    for name in $(sed -n 's/^[a-z].*\b\(gc_[a-z_]*\)(.*/\1/p' include/swiftgc.h | sort -u) \
                $(sed -n 's/.*name: "\(SWIFTGC_[A-Z_]*\)".*/\1/p' Sources/GCCore/Config/Options.swift); do
        grep -q "$name" "$man" || problems+=("swiftgc.3 does not mention $name")
    done
else problems+=("share/man/man3/swiftgc.3 is missing"); fi
modversion=$(PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --modversion swiftgc)
[ "$modversion" = "$version" ] || problems+=("pkg-config --modversion swiftgc gives '$modversion', expected $version")
flags=$(PKG_CONFIG_SYSROOT_DIR="$root" PKG_CONFIG_PATH="$lib/pkgconfig" pkg-config --cflags --libs swiftgc)
printf '#include <swiftgc.h>\nint main(void) { return gc_malloc(8) == 0; }\n' > "$work/linked.c"
# shellcheck disable=SC2086
${CC:-cc} "$work/linked.c" $flags -o "$work/linked"
readelf -d "$work/linked" | grep -q 'Shared library: \[libswiftgc.so.0\]' || problems+=("a program linked with pkg-config's flags does not need libswiftgc.so.0")
LD_LIBRARY_PATH="$lib" "$work/linked" || problems+=("a program linked with pkg-config's flags does not run against the installed library")
if [ ${#problems[@]} -gt 0 ]; then
    printf 'make install: %s\n' "${problems[@]}"
    exit 1
fi
echo "make install: libswiftgc.so -> libswiftgc.so.0 -> libswiftgc.so.$version (SONAME libswiftgc.so.0), swiftgc(3), swiftgc-plot, pkg-config $modversion, and a pkg-config-linked program needs libswiftgc.so.0 and runs."
