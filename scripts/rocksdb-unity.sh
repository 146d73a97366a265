#!/usr/bin/env bash
# Builds the RocksDB that librocksdb-sys bundles as a unity build, for CI.
#
#   eval "$(scripts/rocksdb-unity.sh)"     # then cargo build / test as usual
#
# librocksdb-sys compiles RocksDB's 342 source files one by one, and on a
# 2-CPU machine that was 27 of CI's 45 minutes: parsing RocksDB's headers is
# most of each file's compile (at -O0, 97% of block.cc and 85% of
# comparator.cc). Compiled as 16 translation units that each #include a
# sixteenth of the files (RocksDB's Makefile has the same `unity` build for
# all of them in one), the same library builds in ~5 minutes. It is built
# from the crate's own bundled sources with the compiler flags its build.rs
# passes for this target (cc's debug-profile defaults: -O0, no debug info),
# and handed to librocksdb-sys through its documented ROCKSDB_LIB_DIR and
# ROCKSDB_STATIC, which make it link this library instead of building one.
#
# For test (debug) builds only: a `cargo build --release` in a shell with
# these exports links the same -O0 RocksDB, and that server writes at about
# a third of its speed (PutItem with two GSIs: ~8k instead of ~25k req/s).
# Benchmark binaries are built in a shell without them.
#
# Prints the two `export` lines on stdout (progress goes to stderr); prints
# nothing, and the crate builds RocksDB itself as usual, where this does not
# apply: another target than x86_64 Linux, or librocksdb-sys features other
# than the ones this mirrors. The library is kept under target/ per
# librocksdb-sys version and reused.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

note() { echo "rocksdb-unity: $*" >&2; }

if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
  note "not x86_64 Linux: librocksdb-sys builds RocksDB itself"
  exit 0
fi

# build.rs passes a Rust target-cpu on to the C++ compiler; this does not.
if [[ "${RUSTFLAGS:-} ${CARGO_ENCODED_RUSTFLAGS:-}" == *target-cpu* ]]; then
  note "RUSTFLAGS set a target-cpu: librocksdb-sys builds RocksDB itself"
  exit 0
fi

cargo fetch --locked >&2
# The bundled sources of librocksdb-sys and lz4-sys, and librocksdb-sys's
# features as this workspace resolves them.
read -r rocksdb_dir lz4_dir version features < <(cargo metadata --locked --format-version 1 | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
packages = {p["id"]: p for p in meta["packages"]}
def find(name):
    ids = [i for i, p in packages.items() if p["name"] == name]
    if len(ids) != 1:
        sys.exit(f"{len(ids)} versions of {name} in the workspace")
    return ids[0]
rocks, lz4 = find("librocksdb-sys"), find("lz4-sys")
features = next(n["features"] for n in meta["resolve"]["nodes"] if n["id"] == rocks)
print(os.path.dirname(packages[rocks]["manifest_path"]),
      os.path.join(os.path.dirname(packages[lz4]["manifest_path"]), "liblz4", "lib"),
      packages[rocks]["version"], ",".join(sorted(features)))
')
# Features that change how RocksDB is compiled (snappy, zstd, jemalloc,
# rtti, ...) change its defines: mirrored here are only the ones this
# workspace turns on (`static` and `bindgen-runtime` concern linking and
# the bindings, which the crate still does itself).
if [[ "$features" != "bindgen-runtime,lz4,lz4-sys,static" ]]; then
  note "librocksdb-sys features '$features' are not the ones this script mirrors: it builds RocksDB itself"
  exit 0
fi

out="${CARGO_TARGET_DIR:-$ROOT/target}/rocksdb-unity/$version"
if [[ ! -f "$out/librocksdb.a" ]]; then
  note "building RocksDB $version from $rocksdb_dir as 16 unity translation units"
  rm -rf "$out.tmp"
  mkdir -p "$out.tmp"
  # build.rs leaves out util/build_version.cc for its own build_version.cc.
  grep -v '^ *util/build_version.cc *$' "$rocksdb_dir/rocksdb_lib_sources.txt" |
    sed 's/^ *//; s/ *$//' | grep . > "$out.tmp/sources.txt"
  split -n l/16 -d "$out.tmp/sources.txt" "$out.tmp/part."
  for part in "$out.tmp"/part.*; do
    sed 's/.*/#include "&"/' "$part" > "$part.cc"
  done
  cp "$rocksdb_dir/build_version.cc" "$out.tmp/build_version.cc"
  # build.rs's flags for x86_64 Linux with the lz4 feature, and the cc
  # crate's own for a debug-profile dependency (-O0, no -g).
  flags=(-std=c++20 -include cstdint -O0 -ffunction-sections -fdata-sections -fPIC -m64 -msse2
    -I"$rocksdb_dir/rocksdb/include" -I"$rocksdb_dir/rocksdb"
    -I"$rocksdb_dir/rocksdb/third-party/gtest-1.8.1/fused-src" -I"$rocksdb_dir" -I"$lz4_dir"
    -DLZ4=1 -DNDEBUG=1 -DHAVE_ALIGNED_NEW -DHAVE_UINT128_EXTENSION -DOS_LINUX
    -DROCKSDB_PLATFORM_POSIX -DROCKSDB_LIB_IO_POSIX -DROCKSDB_SCHED_GETCPU_PRESENT
    -DROCKSDB_AUXV_GETAUXVAL_PRESENT -DROCKSDB_FALLOCATE_PRESENT -DROCKSDB_RANGESYNC_PRESENT -w)
  export CXX="${CXX:-c++}"
  printf '%s\n' "$out.tmp"/part.*.cc "$out.tmp/build_version.cc" |
    xargs -P "$(nproc)" -I{} sh -c '"$CXX" "$@" -c "{}" -o "{}.o"' sh "${flags[@]}"
  ar rcs "$out.tmp/librocksdb.a" "$out.tmp"/*.o
  rm -rf "$out"
  mkdir -p "$out"
  mv "$out.tmp/librocksdb.a" "$out/"
  rm -rf "$out.tmp"
fi
echo "export ROCKSDB_LIB_DIR='$out'"
echo "export ROCKSDB_STATIC=1"
