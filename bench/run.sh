#!/usr/bin/env bash
# dynalith benchmark: dynalith (in-memory and durable) vs DynamoDB Local vs Dynoxide
# (in-memory and durable), each pinned to one core, load from wrk pinned to another.
# See bench/README.md. Results: bench/results/latest.md (also printed) and latest.json.
#
# Configuration (environment):
#   BENCH_DURATION=10  BENCH_WARMUP=3  BENCH_CONNECTIONS=32  BENCH_THREADS=1  BENCH_ITEMS=10000
#   BENCH_SERVERS=dynalith-mem,dynalith-disk,dynalith-cache,dynalith-pg,ddblocal,ddblocal-disk,dynoxide-mem,dynoxide-disk
#   (dynalith-pg needs BENCH_POSTGRES: a PostgreSQL URL, e.g. from scripts/postgres.sh)
#   BENCH_WORKLOADS=GetItem,PutItem,UpdateItemAdd,UpdateItemSetIf
#   BENCH_SERVER_CPU=0  BENCH_LOAD_CPU=1  BENCH_PORT=18600
#   BENCH_BUILD=0 (skip the cargo build)  DYNALITH_BIN=...  DYNOXIDE_BIN=...
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
  # Never the -O0 RocksDB of scripts/rocksdb-unity.sh (for test builds).
  env -u ROCKSDB_LIB_DIR -u ROCKSDB_STATIC cargo build --release -p dynalith -p dynalith-openloop
fi

missing=()
for tool in wrk taskset python3 curl; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "[bench] installing ${missing[*]}" >&2
    pkgs=()
    for t in "${missing[@]}"; do
      case "$t" in taskset) pkgs+=(util-linux) ;; *) pkgs+=("$t") ;; esac
    done
    apt-get update -qq && apt-get install -y -qq "${pkgs[@]}" >&2
  else
    echo "[bench] missing tools: ${missing[*]}" >&2
    exit 1
  fi
fi
if ! command -v dynoxide >/dev/null && [[ -z "${DYNOXIDE_BIN:-}" ]] && [[ ! -x "$HOME/.cargo/bin/dynoxide" ]]; then
  echo "[bench] dynoxide not installed: Dynoxide will be skipped" >&2
  echo "[bench]   (install: CARGO_TARGET_DIR=/tmp/t-dynoxide cargo install dynoxide-rs --locked)" >&2
fi

exec python3 "$ROOT/bench/lib/bench.py"
