#!/usr/bin/env bash
# dynalith scale run: load BENCH_SCALE_ITEMS (default 1,000,000) ~200-byte items into dynalith
# (in-memory and durable) and DynamoDB Local, report the load rate, and GetItem / Query rates at
# 10,000 items and at the full size. See bench/README.md ("Scale run").
# Results: bench/results/scale.md (also printed) and scale.json.
#
# Configuration (environment), besides bench/run.sh's BENCH_DURATION, BENCH_WARMUP,
# BENCH_CONNECTIONS, BENCH_SERVER_CPU, BENCH_LOAD_CPU, BENCH_PORT, BENCH_BUILD, DYNALITH_BIN:
#   BENCH_SERVERS=dynalith-mem,dynalith-disk,ddblocal   BENCH_SCALE_ITEMS=1000000
#   BENCH_SCALE_SMALL=10000  BENCH_SCALE_CHUNK=50000  BENCH_SCALE_LOAD_BUDGET=600 (seconds)
#   BENCH_SCALE_LOAD_CONNECTIONS=16
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${BENCH_BUILD:-1}" != 0 ]]; then
  # Never the -O0 RocksDB of scripts/rocksdb-unity.sh (for test builds).
  env -u ROCKSDB_LIB_DIR -u ROCKSDB_STATIC cargo build --release -p dynalith
fi
for tool in wrk taskset python3; do
  command -v "$tool" >/dev/null || { echo "[scale] missing tool: $tool (see bench/README.md)" >&2; exit 1; }
done

exec python3 "$ROOT/bench/lib/scale.py"
