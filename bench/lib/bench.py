#!/usr/bin/env python3
"""Benchmark orchestrator behind bench/run.sh (see bench/README.md).

For each server, one after another: start it pinned to BENCH_SERVER_CPU (start-up time = from
process start until it answers an HTTP request; idle RSS from /proc/PID/status), create the
table and pre-load the GetItem key space (and, for the Query workloads, the Query table through
bench/wrk/load.lua), and leave it running. Then each workload runs on every server in turn, with
wrk pinned to BENCH_LOAD_CPU (a warm-up run, then the measured run), each run starting once every
server is quiet. Last, record RSS and stop the servers. Writes bench/results/latest.md (also
printed) and bench/results/latest.json.
"""

import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ddb import Conn, answers_http, wait_table_active  # noqa: E402
import wrkload  # noqa: E402

BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)


def env(name, default):
    v = os.environ.get(name)
    return v if v not in (None, "") else default


DURATION = int(env("BENCH_DURATION", "10"))
WARMUP = int(env("BENCH_WARMUP", "3"))
# DynamoDB Local's JIT compiles a workload's path over ~20 s of it: its PutItem ran 712, 1,236,
# 1,729, 1,995, 3,236 and 2,608 req/s in six consecutive 5 s runs, and its GetItem, the first
# workload, came out at 2,000 req/s after a 2 s warm-up where the scale run's 10 s found 7,600.
# Its warm-up per workload is at least this long, so that the ratios compare with a warm JVM.
JVM_WARMUP = int(env("BENCH_JVM_WARMUP", "20"))
CONNECTIONS = int(env("BENCH_CONNECTIONS", "32"))
THREADS = int(env("BENCH_THREADS", "1"))
ITEMS = int(env("BENCH_ITEMS", "10000"))
LOAD_THREADS = int(env("BENCH_LOAD_THREADS", "4"))
LOAD_METHOD = env("BENCH_LOAD_METHOD", "auto")  # auto (BatchWriteItem if accepted) or put
SERVER_CPU = env("BENCH_SERVER_CPU", "0")
LOAD_CPU = env("BENCH_LOAD_CPU", "1")
BASE_PORT = int(env("BENCH_PORT", "18600"))
START_TIMEOUT = float(env("BENCH_START_TIMEOUT", "120"))
TABLE = env("BENCH_TABLE", "bench")
RESULTS_DIR = env("BENCH_RESULTS_DIR", os.path.join(BENCH, "results"))
DYNALITH_BIN = env("DYNALITH_BIN", os.path.join(ROOT, "target", "release", "dynalith"))
DYNOXIDE_BIN = env("DYNOXIDE_BIN", shutil.which("dynoxide")
                   or os.path.expanduser("~/.cargo/bin/dynoxide"))
DDB_LOCAL_SCRIPT = os.path.join(ROOT, "scripts", "dynamodb-local.sh")
OPENLOOP_BIN = env("OPENLOOP_BIN", os.path.join(ROOT, "target", "release", "openloop"))
# Latency at a fixed rate (bench/openloop): for these workloads dynalith is also offered
# FIXED_RATE_FACTOR times DynamoDB Local's throughput of the same run, at a constant rate, and
# its latency counted from when each request was due (wrk's saturated p99 is the other column).
FIXED_RATE_WORKLOADS = ("GetItem", "PutItem", "UpdateItemSetIf")
# Start-up is timed over this many starts (fresh data directory each), the median reported: one
# start can meet the kernel still reclaiming the previous server's memory on its CPU.
STARTUP_PROBES = int(env("BENCH_STARTUP_PROBES", "5"))
FIXED_RATE_FACTOR = float(env("BENCH_FIXED_RATE_FACTOR", "10"))
FIXED_RATE_CONNECTIONS = int(env("BENCH_FIXED_RATE_CONNECTIONS", "64"))
# Before each run, every server on the server CPU must have used less than QUIET_PCT of it over a
# second (up to QUIET_TIMEOUT_S).
QUIET_PCT = float(env("BENCH_QUIET_PCT", "3"))
QUIET_TIMEOUT_S = float(env("BENCH_QUIET_TIMEOUT", "120"))

# Query workloads: table QUERY_TABLE (pk S hash key, sk S range key), partitions "q10#<p>" of 10
# items and "q100#<p>" of 100 items, items of ~QUERY_ITEM_BYTES bytes (layout: bench/wrk/common.lua).
QUERY_TABLE = env("BENCH_QUERY_TABLE", "benchq")
QUERY_ITEM_BYTES = int(env("BENCH_QUERY_ITEM_BYTES", "1000"))
QUERY10_PARTITIONS = int(env("BENCH_QUERY10_PARTITIONS", "1000"))
QUERY100_PARTITIONS = int(env("BENCH_QUERY100_PARTITIONS", "100"))
LOAD_CONNECTIONS = int(env("BENCH_LOAD_CONNECTIONS", "16"))
SCAN_LIMIT = int(env("BENCH_SCAN_LIMIT", "100"))
# The PutItemGSI / QueryGSI table: pk S hash key, GSI1 (gsi1pk, gsi1sk; ALL), GSI2 (gsi2pk;
# KEYS_ONLY).
GSI_TABLE = env("BENCH_GSI_TABLE", "benchgsi")
GSI_PARTITIONS = int(env("BENCH_GSI_PARTITIONS", "100"))
GSI_WORKLOADS = {"PutItemGSI", "QueryGSI"}
# The PutItemStream table: like TABLE, with a NEW_AND_OLD_IMAGES stream.
STREAM_TABLE = env("BENCH_STREAM_TABLE", "benchstream")


def query_env(size, partitions):
    return {"BENCH_TABLE": QUERY_TABLE, "BENCH_PARTITION_SIZE": str(size), "BENCH_KEY_PREFIX": f"q{size}#",
            "BENCH_ITEMS": str(size * partitions), "BENCH_ITEM_BYTES": str(QUERY_ITEM_BYTES)}


QUERY_GROUPS = {"Query10": query_env(10, QUERY10_PARTITIONS), "Query100": query_env(100, QUERY100_PARTITIONS)}

# name, wrk script, description, extra wrk environment. Run in this order.
WORKLOADS = [
    ("GetItem", "getitem.lua", f"GetItem, random keys over {ITEMS:,} pre-loaded items (~200 B)", {}),
    ("Query10", "query.lua",
     f"Query `pk = :p` returning a whole partition of 10 items (~{QUERY_ITEM_BYTES:,} B each), "
     f"random partition of {QUERY10_PARTITIONS:,}", QUERY_GROUPS["Query10"]),
    ("Query100", "query.lua",
     f"Query `pk = :p` returning a whole partition of 100 items (~{QUERY_ITEM_BYTES:,} B each), "
     f"random partition of {QUERY100_PARTITIONS:,}", QUERY_GROUPS["Query100"]),
    # Before PutItem, so that the table holds exactly the ITEMS pre-loaded items.
    ("Scan", "scan.lua",
     f"Scan, one page of Limit {SCAN_LIMIT} after a random ExclusiveStartKey, over {ITEMS:,} pre-loaded "
     f"items (~200 B)", {"BENCH_SCAN_LIMIT": str(SCAN_LIMIT)}),
    ("PutItem", "putitem.lua", "PutItem, a new key per request (~200 B items)", {}),
    ("PutItemStream", "putitem.lua",
     "PutItem, a new key per request (~200 B items), into a table with a NEW_AND_OLD_IMAGES stream "
     "(a stream record per write)", {"BENCH_TABLE": STREAM_TABLE}),
    # Read-modify-writes of pre-loaded items; they run after GetItem, which then sees the items
    # as loaded.
    ("UpdateItemAdd", "updateitem_add.lua",
     f"UpdateItem `ADD #c :one` (atomic counter), random keys over {ITEMS:,} pre-loaded items", {}),
    ("UpdateItemSetIf", "updateitem_set_if.lua",
     f"UpdateItem `SET v = :v` with ConditionExpression `attribute_exists(pk)`, random keys over "
     f"{ITEMS:,} pre-loaded items", {}),
    # A table with two global indexes (created before these run): writes that maintain them,
    # then Query pages of one of them.
    ("PutItemGSI", "putitem_gsi.lua",
     f"PutItem of a new item (~200 B) into a table with 2 global secondary indexes (ALL and "
     f"KEYS_ONLY), 3 storage writes per request", {"BENCH_GSI_TABLE": GSI_TABLE}),
    ("QueryGSI", "query_gsi.lua",
     f"Query of a global secondary index, `gsi1pk = :p` on a random one of {GSI_PARTITIONS} index "
     f"partitions (filled by PutItemGSI), one page of Limit 10", {"BENCH_GSI_TABLE": GSI_TABLE}),
    ("TransactWrite2", "transactwrite.lua",
     "TransactWriteItems putting 2 new items (~200 B)", {"BENCH_TX_ITEMS": "2"}),
    ("TransactWrite10", "transactwrite.lua",
     "TransactWriteItems putting 10 new items (~200 B)", {"BENCH_TX_ITEMS": "10"}),
]
# Workloads whose report includes the items returned per response.
MULTI_ITEM = {"Query10", "Query100", "Scan", "QueryGSI"}
DEFAULT_WORKLOADS = ",".join(w[0] for w in WORKLOADS)
SELECTED_WORKLOADS = [w.strip() for w in env("BENCH_WORKLOADS", DEFAULT_WORKLOADS).split(",") if w.strip()]
UNKNOWN_WORKLOADS = [w for w in SELECTED_WORKLOADS if w not in {x[0] for x in WORKLOADS}]

# id, label, kind, durable
SERVERS = [
    ("dynalith-mem", "dynalith (in-memory)", "dynalith", False),
    ("dynalith-disk", "dynalith (durable, --data-dir)", "dynalith", True),
    # The same in-memory server with its DAX-style read caches on.
    ("dynalith-cache", "dynalith (in-memory, read caches of 64 MiB each)", "dynalith", False),
    # Data in the PostgreSQL server BENCH_POSTGRES names (scripts/postgres.sh starts one).
    ("dynalith-pg", "dynalith (PostgreSQL engine, --postgres)", "dynalith", True),
    ("ddblocal", "DynamoDB Local (in-memory)", "ddblocal", False),
    # DynamoDB Local's own default: SQLite files, each write committed (and synced) on its own.
    ("ddblocal-disk", "DynamoDB Local (on disk, -dbPath)", "ddblocal", True),
    ("dynoxide-mem", "Dynoxide (in-memory)", "dynoxide", False),
    ("dynoxide-disk", "Dynoxide (durable, --db-path)", "dynoxide", True),
]
SELECTED_SERVERS = [s.strip() for s in env("BENCH_SERVERS", ",".join(s[0] for s in SERVERS)).split(",") if s.strip()]

# (numerator, denominator): ratios reported per workload
RATIO_PAIRS = [
    ("dynalith-mem", "ddblocal"),
    ("dynalith-mem", "dynoxide-mem"),
    ("dynalith-cache", "ddblocal"),
    ("dynalith-cache", "dynalith-mem"),
    ("dynalith-disk", "ddblocal"),
    ("dynalith-disk", "ddblocal-disk"),
    ("dynalith-disk", "dynoxide-disk"),
    ("dynalith-pg", "ddblocal"),
    ("dynalith-pg", "ddblocal-disk"),
    ("dynoxide-mem", "ddblocal"),  # reference point while dynalith is not built
]


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def proc_status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class Server:
    def __init__(self, sid, label, kind, durable, port):
        self.id, self.label, self.kind, self.durable, self.port = sid, label, kind, durable, port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.pid = None
        self.proc = None
        self.tmpdir = None
        self.logfile = os.path.join(tempfile.gettempdir(), f"dynalith-bench-{sid}-{port}.log")
        # Runs in the child before it execs (bench/lib/memory_limit.py puts it in a cgroup).
        self.preexec = None

    def missing(self):
        """None when the server can run here, else the reason it is skipped."""
        if self.kind == "dynalith":
            if not os.access(DYNALITH_BIN, os.X_OK):
                return f"binary {DYNALITH_BIN} not found (cargo build --release -p dynalith)"
            if self.id == "dynalith-pg" and not os.environ.get("BENCH_POSTGRES"):
                return "BENCH_POSTGRES names no PostgreSQL server (scripts/postgres.sh start DIR PORT durable)"
        elif self.kind == "dynoxide":
            if not DYNOXIDE_BIN or not os.access(DYNOXIDE_BIN, os.X_OK):
                return "dynoxide not found (cargo install dynoxide-rs, or set DYNOXIDE_BIN)"
        elif self.kind == "ddblocal":
            if not shutil.which("java") and not os.path.isdir("/usr/lib/jvm"):
                return "java not found"
        return None

    def command(self):
        pin = ["taskset", "-c", SERVER_CPU]
        if self.kind == "dynalith":
            if self.id == "dynalith-pg":
                schema = f"bench_{self.port}_{int(time.time())}"
                return pin + [DYNALITH_BIN, "serve", "--port", str(self.port),
                              "--postgres", os.environ["BENCH_POSTGRES"], "--postgres-schema", schema]
            if self.durable:
                self.tmpdir = tempfile.mkdtemp(prefix="dynalith-bench-")
                return pin + [DYNALITH_BIN, "serve", "--port", str(self.port), "--data-dir", self.tmpdir]
            cmd = pin + [DYNALITH_BIN, "serve", "--port", str(self.port), "--in-memory"]
            if self.id == "dynalith-cache":
                cmd += ["--item-cache-mb", "64", "--query-cache-mb", "64"]
            return cmd
        if self.kind == "dynoxide":
            cmd = pin + [DYNOXIDE_BIN, "serve", "--port", str(self.port)]
            if self.durable:
                self.tmpdir = tempfile.mkdtemp(prefix="dynoxide-bench-")
                cmd += ["--db-path", os.path.join(self.tmpdir, "bench.db")]
            return cmd
        # DynamoDB Local: the script starts java in the background (inheriting the CPU pin),
        # waits until it answers and writes the pid file.
        cmd = pin + [DDB_LOCAL_SCRIPT, "start", str(self.port)]
        if self.durable:
            self.tmpdir = tempfile.mkdtemp(prefix="ddblocal-bench-")
            cmd.append(self.tmpdir)
        return cmd

    def start(self):
        if answers_http("127.0.0.1", self.port):
            raise RuntimeError(f"port {self.port} is already in use")
        cmd = self.command()
        out = open(self.logfile, "w")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=self.tmpdir or tempfile.gettempdir(),
                                     preexec_fn=self.preexec)
        deadline = t0 + START_TIMEOUT
        while not answers_http("127.0.0.1", self.port, timeout=0.2):
            if self.kind != "ddblocal" and self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.proc.returncode} (log {self.logfile})")
            if self.kind == "ddblocal" and self.proc.poll() not in (None, 0):
                raise RuntimeError(f"{DDB_LOCAL_SCRIPT} failed (log {self.logfile})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label} did not answer within {START_TIMEOUT}s")
            time.sleep(0.0005)
        startup_ms = (time.monotonic() - t0) * 1000
        if self.kind == "ddblocal":
            self.proc.wait(timeout=30)
            with open(f"/tmp/dynalith-dynamodb-local-{self.port}.pid") as f:
                self.pid = int(f.read().strip())
        else:
            self.pid = self.proc.pid  # taskset execs the server: same pid
        return startup_ms

    def stop(self):
        if self.kind == "ddblocal":
            subprocess.run([DDB_LOCAL_SCRIPT, "stop", str(self.port)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=False)
        elif self.pid and pid_alive(self.pid):
            os.kill(self.pid, signal.SIGTERM)
            for _ in range(100):
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            if self.proc.poll() is None:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)
            self.tmpdir = None


RESULT_RE = re.compile(r"BENCH_RESULT (.*)")


def proc_cpu_s(pid):
    """User+system CPU seconds used so far by pid and its threads (None if unknown)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def run_wrk(server, script, duration, run_id, extra_env=None):
    cmd = ["taskset", "-c", LOAD_CPU, "wrk", "-t", str(THREADS), "-c", str(CONNECTIONS),
           "-d", f"{duration}s", "--timeout", "10s", "-s", os.path.join(BENCH, "wrk", script),
           server.endpoint + "/"]
    e = dict(os.environ, BENCH_TABLE=TABLE, BENCH_ITEMS=str(ITEMS), BENCH_RUN_ID=run_id)
    e.update(extra_env or {})
    cpu0 = proc_cpu_s(server.pid)
    t0 = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, env=e, stdout=out, stderr=err)
        _, status, rusage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    cpu1 = proc_cpu_s(server.pid)
    m = RESULT_RE.search(stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed (rc={p.returncode}): {stdout[-500:]} {stderr[-500:]}")
    r = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    # CPU use over the run, in % of one core: ~100% for wrk means the load generator, not the
    # server, was the limit.
    r["wrk_cpu_pct"] = round(100 * (rusage.ru_utime + rusage.ru_stime) / wall, 1)
    if cpu0 is not None and cpu1 is not None:
        r["server_cpu_pct"] = round(100 * (cpu1 - cpu0) / wall, 1)
    fe = re.search(r"BENCH_FIRST_ERROR (.*)", stdout)
    if fe:
        r["first_error"] = fe.group(1)[:300]
    # Every response an UnknownOperationException: the server does not implement the operation.
    if r["responses"] and r["non200"] == r["responses"] and "UnknownOperation" in r.get("first_error", ""):
        r["unsupported"] = True
    return r


def run_openloop(server, workload, rate, duration, run_id):
    """dynalith offered `rate` requests/s of `workload` at a constant pace (bench/openloop)."""
    cmd = ["taskset", "-c", LOAD_CPU, OPENLOOP_BIN, server.endpoint.split("//", 1)[1], workload,
           f"{rate:.0f}", str(duration), str(FIXED_RATE_CONNECTIONS)]
    e = dict(os.environ, BENCH_TABLE=TABLE, BENCH_ITEMS=str(ITEMS), BENCH_RUN_ID=run_id)
    p = subprocess.run(cmd, env=e, capture_output=True, text=True, timeout=duration + 60)
    m = RESULT_RE.search(p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"openloop failed (rc={p.returncode}): {p.stdout[-500:]} {p.stderr[-500:]}")
    r = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    fe = re.search(r"BENCH_FIRST_ERROR (.*)", p.stdout)
    if fe:
        r["first_error"] = fe.group(1)[:300]
    return r


def load_query_table(server):
    """Create QUERY_TABLE and load the partitions of the selected Query workloads with
    bench/wrk/load.lua (BatchWriteItem of 25 if the server implements it, else PutItem)."""
    wrkload.create_table(server.endpoint, QUERY_TABLE, composite=True)
    batch = 25 if LOAD_METHOD == "auto" and wrkload.batch_supported(server.endpoint) else 1
    out = {"method": "BatchWriteItem" if batch > 1 else "PutItem", "items": 0, "load_s": 0.0}
    for name, group in QUERY_GROUPS.items():
        if name not in SELECTED_WORKLOADS:
            continue
        n = int(group["BENCH_ITEMS"])
        r = wrkload.wrk_load(server.endpoint, group, 0, n, batch, LOAD_CONNECTIONS, LOAD_CPU)
        out["items"] += n
        out["load_s"] += r["seconds"]
    out["load_s"] = round(out["load_s"], 2)
    return out


def create_gsi_table(server):
    """Create GSI_TABLE with its two global secondary indexes."""
    conn = Conn(server.endpoint)
    string = lambda name: {"AttributeName": name, "AttributeType": "S"}  # noqa: E731
    conn.call("CreateTable", {
        "TableName": GSI_TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [string("pk"), string("gsi1pk"), string("gsi1sk"), string("gsi2pk")],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {"IndexName": "GSI1", "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                           {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]},
            {"IndexName": "GSI2", "Projection": {"ProjectionType": "KEYS_ONLY"},
             "KeySchema": [{"AttributeName": "gsi2pk", "KeyType": "HASH"}]},
        ],
    })
    wait_table_active(conn, GSI_TABLE)
    conn.close()


def create_stream_table(server):
    """Create STREAM_TABLE, keyed like TABLE, with a NEW_AND_OLD_IMAGES stream."""
    conn = Conn(server.endpoint)
    conn.call("CreateTable", {
        "TableName": STREAM_TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    })
    wait_table_active(conn, STREAM_TABLE)
    conn.close()


def prepare_server(server):
    """Starts `server` for the run: start-up timed over STARTUP_PROBES starts, idle RSS, then the
    pre-loads and the tables the selected workloads need. It stays up for the workloads."""
    res = {"id": server.id, "label": server.label, "workloads": {}}
    log(f"{server.label}: starting on port {server.port} (CPU {SERVER_CPU})")
    try:
        probes = []
        # DynamoDB Local takes seconds to start: one start is measure enough.
        for _ in range(STARTUP_PROBES - 1 if server.kind != "ddblocal" else 0):
            probes.append(server.start())
            server.stop()
        probes.append(server.start())
        res["startup_ms"] = round(statistics.median(probes), 1)
        res["startup_probes_ms"] = [round(p, 1) for p in probes]
        time.sleep(1.0)
        res["idle_rss_kb"] = proc_status_kb(server.pid, "VmRSS")
        # VmRSS = private memory (RssAnon) + mapped file pages (RssFile, mostly the binary's
        # code: clean, shared, reclaimable) + shared memory.
        res["idle_rss_anon_kb"] = proc_status_kb(server.pid, "RssAnon")
        res["idle_rss_file_kb"] = proc_status_kb(server.pid, "RssFile")
        log(f"{server.label}: pid {server.pid}, answered after {res['startup_ms']} ms (median of "
            f"{', '.join(str(p) for p in res['startup_probes_ms'])}), "
            f"idle RSS {res['idle_rss_kb']} kB")
        p = subprocess.run(["taskset", "-c", LOAD_CPU, sys.executable, os.path.join(HERE, "load.py"),
                            server.endpoint, "--table", TABLE, "--items", str(ITEMS),
                            "--threads", str(LOAD_THREADS), "--method", LOAD_METHOD],
                           capture_output=True, text=True, timeout=900)
        if p.returncode != 0:
            raise RuntimeError(f"pre-load failed: {p.stderr.strip()[-500:]}")
        res["load"] = json.loads(p.stdout.strip().splitlines()[-1])
        log(f"{server.label}: pre-loaded {ITEMS} items in {res['load']['load_s']} s "
            f"({res['load']['method']})")
        if any(name in SELECTED_WORKLOADS for name in QUERY_GROUPS):
            res["query_load"] = load_query_table(server)
            log(f"{server.label}: pre-loaded {res['query_load']['items']} items of ~{QUERY_ITEM_BYTES} B into "
                f"{QUERY_TABLE} in {res['query_load']['load_s']} s ({res['query_load']['method']})")
        if any(name in SELECTED_WORKLOADS for name in GSI_WORKLOADS):
            create_gsi_table(server)
        if "PutItemStream" in SELECTED_WORKLOADS:
            try:
                create_stream_table(server)
            except Exception as e:  # noqa: BLE001 - a server without streams skips the workload
                res["workloads"]["PutItemStream"] = {"unsupported": f"no streams: {e}"}
                log(f"{server.label}: cannot create a table with a stream ({e}); PutItemStream skipped")
    except Exception as e:  # noqa: BLE001 - reported in the results
        fail(server, res, e)
    return res


def fail(server, res, error):
    res["error"] = str(error)
    log(f"{server.label}: ERROR {error}")
    server.stop()
    log(f"{server.label}: stopped")


def wait_quiet(servers, timeout=QUIET_TIMEOUT_S):
    """Waits until every server on the server CPU uses under QUIET_PCT of it over a second
    (flushes and compactions done, a JVM's background work settled), so that the run about to
    start has the CPU to itself. False if one is still busy after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        before = [proc_cpu_s(s.pid) for s in servers]
        time.sleep(1.0)
        after = [proc_cpu_s(s.pid) for s in servers]
        busy = [s.label for s, c0, c1 in zip(servers, before, after)
                if c0 is not None and c1 is not None and (c1 - c0) * 100 >= QUIET_PCT]
        if not busy:
            return True
        if time.monotonic() > deadline:
            log(f"still busy after {timeout} s: {', '.join(busy)}; measuring anyway")
            return False


def run_workload(server, res, workload, running, reference=None):
    """One workload on `server` (a warm-up run, then the measured one), each run started once
    every running server is quiet. `reference`: DynamoDB Local's results of this run, whose
    throughput sets the fixed rate then offered to dynalith (FIXED_RATE_WORKLOADS)."""
    name, script, _desc, extra = workload
    if (res["workloads"].get(name) or {}).get("unsupported"):
        return
    try:
        wait_quiet(running)
        warmup = max(WARMUP, JVM_WARMUP) if server.kind == "ddblocal" else WARMUP
        if warmup > 0:
            run_wrk(server, script, warmup, f"w{int(time.time())}", extra)
        r = run_wrk(server, script, DURATION, f"m{int(time.time())}", extra)
        res["workloads"][name] = r
        log(f"{server.label}: {name}: {r['rps']:.0f} req/s, p50 {r['p50_us'] / 1000:.2f} ms, "
            f"p99 {r['p99_us'] / 1000:.2f} ms, non-2xx {int(r['non200'])}, misses {int(r['misses'])}, "
            f"socket errors {int(r['socket_errors'])}, CPU server {r.get('server_cpu_pct', '?')}% "
            f"wrk {r['wrk_cpu_pct']}%")
        if r.get("first_error"):
            log(f"{server.label}: {name}: first error: {r['first_error']}")
        ref = ((reference or {}).get("workloads") or {}).get(name) or {}
        if (server.kind == "dynalith" and name in FIXED_RATE_WORKLOADS and ref.get("rps")
                and os.access(OPENLOOP_BIN, os.X_OK)):
            rate = FIXED_RATE_FACTOR * ref["rps"]
            wait_quiet(running)
            f = run_openloop(server, name, rate, DURATION, f"f{int(time.time())}")
            r["fixed_rate"] = f
            log(f"{server.label}: {name} at a fixed {rate:.0f} req/s ({FIXED_RATE_FACTOR:g}x DynamoDB "
                f"Local): {f['rps']:.0f} req/s, p50 {f['p50_us'] / 1000:.2f} ms, p99 "
                f"{f['p99_us'] / 1000:.2f} ms, max {f['max_us'] / 1000:.2f} ms, sent late p99 "
                f"{f.get('send_lag_p99_us', 0) / 1000:.2f} ms, non-2xx {int(f['non200'])}, "
                f"errors {int(f['socket_errors'])}")
    except Exception as e:  # noqa: BLE001 - reported in the results
        fail(server, res, e)


def bench_server(server):
    """Every selected workload on `server` alone, one after the other (bench/lib/ab.py)."""
    res = prepare_server(server)
    if "error" in res:
        return res
    for workload in WORKLOADS:
        if workload[0] in SELECTED_WORKLOADS and "error" not in res:
            run_workload(server, res, workload, [server])
    if "error" not in res:
        finish_server(server, res)
    return res


def finish_server(server, res):
    res["rss_after_kb"] = proc_status_kb(server.pid, "VmRSS")
    res["peak_rss_kb"] = proc_status_kb(server.pid, "VmHWM")
    server.stop()
    log(f"{server.label}: stopped")


def mib(kb):
    return f"{kb / 1024:.1f}" if kb else "n/a"


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    r = a / b
    return f"{r:.2f}×" if r >= 0.1 else f"{r:.2g}×"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def per_cpu(w):
    """Requests per second of the server's own CPU: what the server would serve on its whole core.
    When the load generator, not the server, is the limit (wrk near 100% of its core, the server
    below it), throughput understates the faster server and this does not."""
    cpu = w.get("server_cpu_pct")
    if not cpu or cpu <= 0:
        return None
    return w["rps"] * 100 / cpu


def render(results, skipped, started):
    by_id = {r["id"]: r for r in results}
    labels = {s[0]: s[1] for s in SERVERS}
    out = []
    out.append(f"# dynalith benchmark ({started:%Y-%m-%d %H:%M UTC})")
    out.append("")
    out.append(f"- Machine: {cpu_model()}, {os.cpu_count()} CPUs; "
               f"load average at start {os.getloadavg()[0]:.2f} (other work on the machine skews results).")
    out.append(f"- Servers pinned to CPU {SERVER_CPU}, wrk pinned to CPU {LOAD_CPU} "
               f"({THREADS} thread, {CONNECTIONS} connections), {WARMUP} s warm-up (DynamoDB Local: "
               f"{max(WARMUP, JVM_WARMUP)} s, for its JIT) then {DURATION} s measured per workload. The servers take "
               f"turns on each workload, each run starting once every server is quiet (under {QUIET_PCT:g}% CPU).")
    out.append(f"- Table `{TABLE}` (hash key `pk`, on-demand); GetItem/UpdateItem key space: {ITEMS:,} items pre-loaded.")
    if any(name in SELECTED_WORKLOADS for name in QUERY_GROUPS):
        out.append(f"- Query workloads: table `{QUERY_TABLE}` (hash key `pk`, range key `sk`), items of ~{QUERY_ITEM_BYTES:,} B: "
                   f"{QUERY10_PARTITIONS:,} partitions of 10 items and {QUERY100_PARTITIONS:,} partitions of 100 items.")
    out.append(f"- Start-up: from process start until it answers an HTTP request, median of {STARTUP_PROBES} starts "
               "(DynamoDB Local: one start, through "
               "scripts/dynamodb-local.sh). Idle RSS: VmRSS 1 s after start-up, split into private "
               "memory (RssAnon) and mapped files (RssFile: mostly the executable's code, clean and shared).")
    out.append("- Latencies are wrk's (closed loop, 32 requests in flight). Ratios: throughput a/b (>1: a faster), "
               "latency a/b (<1: a faster). "
               "CPU: % of one core used during the measured run (wrk near 100%: the load generator was the limit).")
    for sid, why in skipped:
        out.append(f"- Skipped {labels.get(sid, sid)}: {why}")
    out.append("")

    out.append("## Start-up and memory")
    out.append("")
    out.append("| Server | Start-up (ms) | Idle RSS (MiB) | of which private | of which files | RSS after workloads (MiB) | "
               "Peak RSS (MiB) | Pre-load |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        ld = r.get("load")
        ld = f"{ld['load_s']} s ({ld['method']})" if ld else "n/a"
        ql = r.get("query_load")
        if ql:
            ld += f"; {QUERY_TABLE}: {ql['items']:,} items in {ql['load_s']} s ({ql['method']})"
        out.append(f"| {r['label']} | {r.get('startup_ms', 'n/a')} | {mib(r.get('idle_rss_kb'))} | "
                   f"{mib(r.get('idle_rss_anon_kb'))} | {mib(r.get('idle_rss_file_kb'))} | "
                   f"{mib(r.get('rss_after_kb'))} | {mib(r.get('peak_rss_kb'))} | {ld} |")
    out.append("")
    ratio_rows = []
    for a, b in RATIO_PAIRS:
        ra, rb = by_id.get(a), by_id.get(b)
        if not ra or not rb:
            continue
        ratio_rows.append(f"| {labels[a]} / {labels[b]} | {fmt_ratio(ra.get('startup_ms'), rb.get('startup_ms'))} | "
                          f"{fmt_ratio(ra.get('idle_rss_kb'), rb.get('idle_rss_kb'))} |")
    if ratio_rows:
        out.append("| Ratio | Start-up | Idle RSS |")
        out.append("|---|---:|---:|")
        out.extend(ratio_rows)
        out.append("")

    for name, _script, desc, _extra in WORKLOADS:
        if name not in SELECTED_WORKLOADS:
            continue
        multi = name in MULTI_ITEM
        items_col = " Items/response |" if multi else ""
        out.append(f"## {desc}")
        out.append("")
        out.append(f"| Server | Throughput (req/s) |{items_col} p50 (ms) | p99 (ms) | Requests | Non-2xx | Misses "
                   "| Socket errors | Server CPU | wrk CPU |")
        out.append("|---|---:|" + ("---:|" if multi else "") + "---:|---:|---:|---:|---:|---:|---:|---:|")
        blanks = " |" * (9 if multi else 8)
        for r in results:
            w = r["workloads"].get(name)
            if not w:
                out.append(f"| {r['label']} | failed: {r.get('error', 'not run')} |{blanks}")
                continue
            if w.get("unsupported"):
                why = w["unsupported"] if isinstance(w["unsupported"], str) else \
                    "not implemented by this binary (UnknownOperationException)"
                out.append(f"| {r['label']} | {why} |{blanks}")
                continue
            bad = w["non200"] or w["misses"] or w["socket_errors"]
            flag = " ⚠ invalid" if bad else ""
            per = f" {w.get('returned', 0) / w['requests']:.1f} |" if multi and w["requests"] else (" n/a |" if multi else "")
            out.append(f"| {r['label']} | {w['rps']:,.0f}{flag} |{per} {w['p50_us'] / 1000:.2f} | {w['p99_us'] / 1000:.2f} | "
                       f"{int(w['requests']):,} | {int(w['non200'])} | {int(w['misses'])} | {int(w['socket_errors'])} | "
                       f"{w.get('server_cpu_pct', 'n/a')}% | {w['wrk_cpu_pct']}% |")
        out.append("")
        rows = []
        for a, b in RATIO_PAIRS:
            wa = by_id.get(a, {}).get("workloads", {}).get(name)
            wb = by_id.get(b, {}).get("workloads", {}).get(name)
            if not wa or not wb or wa.get("unsupported") or wb.get("unsupported"):
                continue
            rows.append(f"| {labels[a]} / {labels[b]} | {fmt_ratio(wa['rps'], wb['rps'])} | "
                        f"{fmt_ratio(per_cpu(wa), per_cpu(wb))} | "
                        f"{fmt_ratio(wa['p50_us'], wb['p50_us'])} | {fmt_ratio(wa['p99_us'], wb['p99_us'])} |")
        if rows:
            out.append("| Ratio | Throughput | Throughput per server CPU | p50 | p99 |")
            out.append("|---|---:|---:|---:|---:|")
            out.extend(rows)
        if not any(sid.startswith("dynalith") for sid in by_id):
            out.append("")
            out.append("dynalith/DynamoDB-Local and dynalith/Dynoxide ratios: n/a (dynalith was not run).")
        out.append("")
    out.extend(render_fixed_rate(results))
    return "\n".join(out)


def render_fixed_rate(results):
    rows = []
    for r in results:
        for name in FIXED_RATE_WORKLOADS:
            f = r["workloads"].get(name, {}).get("fixed_rate")
            if f:
                bad = " ⚠ invalid" if f["non200"] or f["socket_errors"] else ""
                rows.append(f"| {r['label']} | {name} | {f['target_rps']:,.0f} | {f['rps']:,.0f}{bad} | "
                            f"{f['p50_us'] / 1000:.2f} | {f['p90_us'] / 1000:.2f} | {f['p99_us'] / 1000:.2f} | "
                            f"{f['max_us'] / 1000:.2f} |")
    if not rows:
        return []
    return [f"## Latency at {FIXED_RATE_FACTOR:g}x DynamoDB Local's throughput",
            "",
            f"dynalith offered {FIXED_RATE_FACTOR:g} times DynamoDB Local's throughput of this run, at a constant "
            f"rate (bench/openloop, {FIXED_RATE_CONNECTIONS} connections): each latency counts from when the "
            "request was due, so waiting for a free connection counts too.",
            "",
            "| Server | Workload | Offered (req/s) | Achieved (req/s) | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            ""]


def keep_off_the_server_cpu():
    """Runs this harness on the load CPU: polling for a starting server from the server's own
    CPU took time from its start-up (8.8 ms in memory measured 13-16 ms that way)."""
    os.sched_setaffinity(0, {int(LOAD_CPU)})


def main():
    started = datetime.datetime.now(datetime.timezone.utc)
    keep_off_the_server_cpu()
    if UNKNOWN_WORKLOADS:
        sys.exit(f"unknown workloads {', '.join(UNKNOWN_WORKLOADS)} (known: {DEFAULT_WORKLOADS})")
    for tool in ("wrk", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is required")
    results, skipped = [], []
    if not os.access(OPENLOOP_BIN, os.X_OK):
        log(f"no {OPENLOOP_BIN} (cargo build --release -p dynalith-openloop): no fixed-rate latencies")
    # DynamoDB Local first: its throughputs set the fixed rates offered to dynalith.
    order = sorted((s for s in SERVERS if s[0] in SELECTED_SERVERS), key=lambda s: s[2] != "ddblocal")
    prepared = []
    for sid, label, kind, durable in order:
        port = BASE_PORT + [s[0] for s in SERVERS].index(sid)
        server = Server(sid, label, kind, durable, port)
        why = server.missing()
        if why:
            log(f"skipping {label}: {why}")
            skipped.append((sid, why))
            continue
        res = prepare_server(server)
        results.append(res)
        if "error" not in res:
            prepared.append((server, res))
    # Every server stays up, and each workload runs on one server after the other: the ratios
    # of a workload compare runs minutes apart at most, where one server after the other spread
    # them over the whole run and the machine's drift (20-30% within minutes) went into them.
    try:
        for workload in WORKLOADS:
            if workload[0] not in SELECTED_WORKLOADS:
                continue
            reference = None
            for server, res in prepared:
                running = [s for s, r in prepared if "error" not in r]
                if "error" in res:
                    continue
                run_workload(server, res, workload, running, reference)
                if server.id == "ddblocal":
                    reference = res
    finally:
        for server, res in prepared:
            if "error" not in res:
                finish_server(server, res)
    results.sort(key=lambda r: [s[0] for s in SERVERS].index(r["id"]))
    md = render(results, skipped, started)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, "latest.md"), "w") as f:
        f.write(md + "\n")
    with open(os.path.join(RESULTS_DIR, "latest.json"), "w") as f:
        json.dump({"started": started.isoformat(), "config": {
            "duration_s": DURATION, "warmup_s": WARMUP, "connections": CONNECTIONS, "threads": THREADS,
            "items": ITEMS, "server_cpu": SERVER_CPU, "load_cpu": LOAD_CPU,
            "query_item_bytes": QUERY_ITEM_BYTES, "query10_partitions": QUERY10_PARTITIONS,
            "query100_partitions": QUERY100_PARTITIONS, "scan_limit": SCAN_LIMIT,
            "workloads": [w for w in SELECTED_WORKLOADS]},
            "skipped": skipped, "results": results}, f, indent=2)
    print(md)
    log(f"wrote {os.path.join(RESULTS_DIR, 'latest.md')} and latest.json")
    invalid = [f"{r['label']} {name}" for r in results for name, w in r["workloads"].items()
               if (w["non200"] or w["misses"] or w["socket_errors"]) and not w.get("unsupported")]
    unsupported = [f"{r['label']} {name}" for r in results for name, w in r["workloads"].items()
                   if w.get("unsupported")]
    if unsupported:
        log("not implemented by the server (UnknownOperationException): " + ", ".join(unsupported))
    if invalid:
        log("INVALID results (non-2xx, misses or socket errors): " + ", ".join(invalid))
    if invalid or any("error" in r for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
