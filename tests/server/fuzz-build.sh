#!/usr/bin/env bash
# tests/server/fuzz-build.sh SOURCE_DIR BUILD_DIR CLANG: (re)builds the libFuzzer target
# flatline-server-fuzz in its own clang + ASan/UBSan build tree. Run by the plain build (a
# custom target); never fails that build: the outcome is in BUILD_DIR/fuzz-build.log, and
# the server_fuzz test reports it.
src=$1 dir=$2 clang=$3
mkdir -p "$dir"
{
    cmake -S "$src" -B "$dir" -DCMAKE_C_COMPILER="$clang" -DFLATLINE_FUZZ=ON \
        -DFLATLINE_SANITIZE=address -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
        cmake --build "$dir" -j2 --target flatline-server-fuzz
} >"$dir/fuzz-build.log" 2>&1 || echo "flatline-server-fuzz: clang build failed, see $dir/fuzz-build.log" >&2
exit 0
