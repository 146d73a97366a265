#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests of the PostgreSQL engine.
#   scripts/postgres.sh start DIR PORT [durable]
#                                        create a cluster in DIR (unless one
#                                        is there), start it on 127.0.0.1:PORT
#                                        and print its URL; `durable` keeps
#                                        PostgreSQL's own fsync settings (for
#                                        benchmarks), see below
#   scripts/postgres.sh stop DIR
#   scripts/postgres.sh crash DIR        stop it the way a crash does: every
#                                        process killed at once, no
#                                        checkpoint, WAL replayed at the
#                                        next start
# Installs Debian's postgresql package when no server is found and it may
# (root, with apt-get). As root the cluster belongs to the postgres user,
# since PostgreSQL refuses to run as root.
set -euo pipefail
command="${1:?start or stop}"
dir="${2:?data directory}"

server_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1
}

as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

bin="$(server_bin)"
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    bin="$(server_bin)"
  fi
fi
if [[ -z "$bin" || ! -x "$bin/initdb" ]]; then
  echo "PostgreSQL's server is not installed (Debian: apt-get install postgresql)" >&2
  exit 1
fi

case "$command" in
  start)
    port="${3:?port}"
    mkdir -p "$dir"
    [[ "$(id -u)" == 0 ]] && chown postgres "$dir"
    if [[ ! -f "$dir/PG_VERSION" ]]; then
      as_owner "$bin/initdb" -D "$dir" -A trust -U postgres >/dev/null
    fi
    # TLS as a managed database offers it: a server certificate for
    # 127.0.0.1 issued by a private CA ($dir/ca.crt, what a client is told
    # to trust), so tests can connect with sslmode=require and verify it.
    # Plain connections are still accepted.
    if [[ ! -f "$dir/server.crt" ]]; then
      if ! command -v openssl >/dev/null && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y -qq openssl >/dev/null
      fi
      tls_dir="$(mktemp -d)"
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
        -subj /CN=dynalith-test-ca -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.crt" 2>/dev/null
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
        -keyout "$tls_dir/server.key" -out "$tls_dir/server.csr" 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > "$tls_dir/ext"
      openssl x509 -req -in "$tls_dir/server.csr" -CA "$tls_dir/ca.crt" -CAkey "$tls_dir/ca.key" \
        -CAcreateserial -days 30 -extfile "$tls_dir/ext" -out "$tls_dir/server.crt" 2>/dev/null
      cp "$tls_dir/ca.crt" "$tls_dir/server.crt" "$tls_dir/server.key" "$dir/"
      rm -rf "$tls_dir"
      chmod 600 "$dir/server.key"
      [[ "$(id -u)" == 0 ]] && chown postgres "$dir/server.crt" "$dir/server.key" "$dir/ca.crt"
    fi
    # Each test server keeps up to 16 connections open. The cluster is
    # thrown away after the tests, and the machine under it does not crash
    # during them, so it does not fsync (on a slow CI disk every commit's
    # fsync would dominate the tests). Commits still write their WAL before
    # they return, so a crash of PostgreSQL itself (`crash`) loses nothing
    # committed: tests/postgres_crash.rs relies on that. A benchmark asks
    # for `durable`, or its durable writes would not be.
    settings="-c fsync=off -c full_page_writes=off"
    [[ "${4:-}" == durable ]] && settings=""
    as_owner "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o \
      "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c ssl=on $settings" start >/dev/null
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    ;;
  crash)
    as_owner "$bin/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null
    ;;
  *)
    echo "usage: $0 start DIR PORT [durable] | stop DIR | crash DIR" >&2
    exit 2
    ;;
esac
