#!/usr/bin/env bash
# tests/install/install.sh BUILD_DIR CONSUMER_DIR LIBDIR CC CMAKE
# Installs BUILD_DIR into a temporary prefix, then builds and runs consumer.c against it:
# with pkg-config (shared), with find_package(flatline) (shared and static), and checks the
# installed files: versioned soname, headers, pkg-config file, CMake package.
set -euo pipefail
build=$1 consumer=$2 libdir=$3 cc=$4 cmake=$5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" ||
    { cat "$tmp/install.log"; fail "cmake --install"; }
p=$tmp/prefix
for f in "$libdir/libflatline.a" "$libdir/libflatline.so" "include/flatline/mem.h" \
         "include/flatline/version.h" "$libdir/pkgconfig/flatline.pc" \
         "$libdir/cmake/flatline/flatline-config.cmake" \
         "$libdir/cmake/flatline/flatline-targets.cmake"; do
    [[ -e "$p/$f" ]] || fail "not installed: $f"
done
abi=$(sed -n 's/^#define FLATLINE_ABI_VERSION \([0-9]*\)/\1/p' "$p/include/flatline/version.h")
soname=$(objdump -p "$p/$libdir/libflatline.so" | awk '/SONAME/ {print $2}')
[[ "$soname" == "libflatline.so.$abi" ]] || fail "soname '$soname', want libflatline.so.$abi"
# Only the public API is exported.
objdump -T "$p/$libdir/libflatline.so" >"$tmp/syms.txt"
if grep -q ' flm_' "$tmp/syms.txt"; then fail "internal symbols exported"; fi
echo "installed: $soname, headers, flatline.pc, CMake package"

# 1. pkg-config, shared.
export PKG_CONFIG_PATH="$p/$libdir/pkgconfig"
pkg-config --exists flatline || fail "pkg-config does not find flatline"
# shellcheck disable=SC2046
"$cc" -std=c17 -Wall -Wextra -Werror -o "$tmp/pc-shared" "$consumer/consumer.c" \
    $(pkg-config --cflags --libs flatline) -Wl,-rpath,"$p/$libdir"
# (ldd to a file: grep -q closing the pipe early would fail the pipeline under pipefail)
ldd "$tmp/pc-shared" >"$tmp/ldd.txt"
grep -q "libflatline.so.$abi" "$tmp/ldd.txt" || fail "pc-shared does not use libflatline.so"
"$tmp/pc-shared" || fail "pkg-config build did not run"

# 2. find_package(flatline), shared and static.
"$cmake" -S "$consumer" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_COMPILER="$cc" \
    >"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log"; fail "find_package(flatline) configure"; }
"$cmake" --build "$tmp/cm" >>"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log"; fail "CMake build"; }
"$tmp/cm/consumer_shared" || fail "CMake shared build did not run"
"$tmp/cm/consumer_static" || fail "CMake static build did not run"
ldd "$tmp/cm/consumer_static" >"$tmp/ldd.txt"
if grep -q libflatline "$tmp/ldd.txt"; then fail "static build loads libflatline.so"; fi
echo "consumer built and ran: pkg-config (shared), CMake (shared, static)"
