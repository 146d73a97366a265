#!/usr/bin/env python3
"""Scale run behind bench/scale.sh (see bench/README.md, "Scale run").

For each server, one after another: start two processes of it, both pinned to
BENCH_SERVER_CPU (load from BENCH_LOAD_CPU), create table `scale` (pk S hash key, sk S range key)
in each, then

1. load SMALL items (default 10,000) into the first and up to BENCH_SCALE_ITEMS (default
   1,000,000) into the second, with bench/wrk/load.lua: BatchWriteItem of 25 (PutItem if the
   server does not implement BatchWriteItem), BENCH_SCALE_LOAD_CONNECTIONS connections, in chunks
   of BENCH_SCALE_CHUNK items. Before each chunk the time it would take is estimated from the
   previous chunk; if the load would then exceed BENCH_SCALE_LOAD_BUDGET seconds (default 600),
   loading stops there and the report says how many items were loaded;
2. run each workload unmeasured for BENCH_SCALE_EXTRA_WARMUP seconds (default 10) on each
   process: a fresh process, DynamoDB Local's JIT in particular, is slower than a warm one, and
   right after a load the block cache is cold;
3. measure GetItem (random item) and Query10 (a random partition of 10 items) in
   BENCH_SCALE_ROUNDS rounds (default 3) alternating between the two sizes, each run starting
   once the idle process uses no CPU. The machine drifts by 20-30% within minutes; alternating
   makes the drift hit both sizes alike, and each round's ratio compares neighbouring minutes.

Items are ~200 bytes: item n has pk = "part#<n // 10>", sk = "%04d" % (n % 10) (layout in
bench/wrk/common.lua). Load rate = items / time spent in load.lua loading the full-size
process. Writes bench/results/scale.md (also printed) and scale.json.

Data larger than memory: with BENCH_SCALE_MEMORY_MB set (root only), each process runs in a
memory cgroup of that many MB, which its page cache counts against too (bench/lib/memory_limit.py);
with BENCH_PAYLOAD=random the items' filler is random letters, so the files are as big as the
data (repeated letters compress ~9x). The report then adds each process's peak memory, the size
of its files and, for dynalith, the bytes its request threads read from the device.
"""

import datetime
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (servers, wrk runner, settings)
import memory_limit  # noqa: E402
import wrkload  # noqa: E402
from bench import env, log  # noqa: E402

SCALE_ITEMS = int(env("BENCH_SCALE_ITEMS", "1000000"))
SMALL_ITEMS = int(env("BENCH_SCALE_SMALL", "10000"))
CHUNK = int(env("BENCH_SCALE_CHUNK", "50000"))
BUDGET = float(env("BENCH_SCALE_LOAD_BUDGET", "600"))
LOAD_CONNECTIONS = int(env("BENCH_SCALE_LOAD_CONNECTIONS", "16"))
# Unmeasured seconds per workload and size before the measured rounds: without them the first
# rounds pay for a cold process (JIT of DynamoDB Local) and, at full size, a cold block cache.
EXTRA_WARMUP = int(env("BENCH_SCALE_EXTRA_WARMUP", "10"))
# Measured rounds per size, alternating which size goes first.
ROUNDS = int(env("BENCH_SCALE_ROUNDS", "3"))
PART = 10
TABLE = env("BENCH_SCALE_TABLE", "scale")
SERVERS = [s.strip() for s in env("BENCH_SERVERS", "dynalith-mem,dynalith-disk,ddblocal").split(",") if s.strip()]
WORKLOADS = [("GetItem", "getitem.lua"), ("Query10", "query.lua")]
# 0: no limit. Else each server process runs in a memory cgroup of this many MB.
MEMORY_MB = int(env("BENCH_SCALE_MEMORY_MB", "0"))
PAYLOAD = env("BENCH_PAYLOAD", "repeat")
RESULTS_DIR = bench.RESULTS_DIR

for n in (SCALE_ITEMS, SMALL_ITEMS, CHUNK):
    if n % 50:
        sys.exit("BENCH_SCALE_ITEMS, BENCH_SCALE_SMALL and BENCH_SCALE_CHUNK must be multiples of 50")


def lua_env(items):
    return {"BENCH_TABLE": TABLE, "BENCH_PARTITION_SIZE": str(PART), "BENCH_KEY_PREFIX": "part#",
            "BENCH_ITEMS": str(items), "BENCH_ITEM_BYTES": "200",
            # The same client cost per request at both sizes (see common.lua).
            "BENCH_REQUEST_POOL": "0"}


def measure(server, items, name, script, idle_neighbour):
    """One measured run of a workload (after its warm-up), once the other size's server is
    quiet."""
    bench.wait_quiet([idle_neighbour])
    e = lua_env(items)
    if bench.WARMUP > 0:
        bench.run_wrk(server, script, bench.WARMUP, f"w{int(time.time())}", e)
    r = bench.run_wrk(server, script, bench.DURATION, f"m{int(time.time())}", e)
    if r.get("unsupported"):
        log(f"{server.label}: {name} at {items:,} items: not implemented (UnknownOperationException)")
    else:
        log(f"{server.label}: {name} at {items:,} items: {r['rps']:.0f} req/s, p99 {r['p99_us'] / 1000:.2f} ms, "
            f"non-2xx {int(r['non200'])}, misses {int(r['misses'])}")
    return r


def median_run(runs):
    """The run with the median throughput (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda r: r["rps"])
    return ordered[(len(ordered) - 1) // 2]


def load(server, last, batch):
    """Loads items 0..last-1 into `server` in chunks, within the load budget. Returns the number
    of items it holds, the seconds spent loading and whether the budget stopped the load."""
    e = lua_env(SCALE_ITEMS)
    loaded, load_s, last_rate = 0, 0.0, None
    while loaded < last:
        n = min(CHUNK, last - loaded)
        if last_rate and load_s + n / last_rate > BUDGET:
            log(f"{server.label}: stopping the load at {loaded:,} items: the next {n:,} would take "
                f"~{n / last_rate:.0f} s, over the {BUDGET:.0f} s budget ({load_s:.0f} s spent)")
            return loaded, load_s, True
        r = wrkload.wrk_load(server.endpoint, e, loaded, loaded + n, batch, LOAD_CONNECTIONS, bench.LOAD_CPU)
        load_s += r["seconds"]
        loaded += n
        last_rate = n / r["seconds"]
        log(f"{server.label}: {loaded:,} items, {load_s:.1f} s, last chunk {last_rate:,.0f} items/s")
    return loaded, load_s, False


def scale_server(sid, label, kind, durable, port):
    """Two processes of one server, both pinned to the server CPU: `small` holds SMALL_ITEMS
    items, `large` SCALE_ITEMS. They are measured in alternating rounds (small then large, then
    large then small, ...), so that the machine's drift over minutes hits both sizes alike and
    the large/small ratio of each round compares neighbouring minutes."""
    res = {"id": sid, "label": label}
    small = bench.Server(sid, label, kind, durable, port)
    large = bench.Server(sid, label, kind, durable, port + 1)
    cgroups = [f"dynalith-bench-{server.port}" for server in (small, large)]
    try:
        if MEMORY_MB:
            for server, cgroup in zip((small, large), cgroups):
                server.preexec = memory_limit.joiner(memory_limit.create(cgroup, MEMORY_MB))
        for server in (small, large):
            log(f"{label}: starting on port {server.port}")
            server.start()
            wrkload.create_table(server.endpoint, TABLE, composite=True)
        batch = 25 if bench.LOAD_METHOD == "auto" and wrkload.batch_supported(small.endpoint) else 1
        res["method"] = "BatchWriteItem (25 items)" if batch > 1 else "PutItem (BatchWriteItem not implemented)"
        small_items, _, _ = load(small, SMALL_ITEMS, batch)
        if small_items < SMALL_ITEMS:
            raise RuntimeError(f"only {small_items:,} of {SMALL_ITEMS:,} items loaded at the small size")
        res["rss_small_kb"] = bench.proc_status_kb(small.pid, "VmRSS")
        loaded, load_s, res["budget_stop"] = load(large, SCALE_ITEMS, batch)
        res["loaded"] = loaded
        res["load_s"] = round(load_s, 2)
        res["load_rate"] = round(loaded / load_s, 1)
        res["rss_loaded_kb"] = bench.proc_status_kb(large.pid, "VmRSS")
        sizes = {"small": (small, SMALL_ITEMS, large), "large": (large, loaded, small)}
        if EXTRA_WARMUP > 0:
            for name, script in WORKLOADS:
                for server, items, _ in sizes.values():
                    bench.run_wrk(server, script, EXTRA_WARMUP, f"x{int(time.time())}", lua_env(items))
        runs = {size: {name: [] for name, _ in WORKLOADS} for size in sizes}
        for round_no in range(ROUNDS):
            order = ["small", "large"] if round_no % 2 == 0 else ["large", "small"]
            for name, script in WORKLOADS:
                for size in order:
                    server, items, neighbour = sizes[size]
                    runs[size][name].append(measure(server, items, name, script, neighbour))
        for size in sizes:
            res[size] = {name: median_run(rs) for name, rs in runs[size].items()}
        res["round_ratios"] = {
            name: [round(lg["rps"] / sm["rps"], 3) if sm["rps"] else None
                   for sm, lg in zip(runs["small"][name], runs["large"][name])]
            for name, _ in WORKLOADS}
        res["rounds"] = runs
        res["peak_rss_kb"] = bench.proc_status_kb(large.pid, "VmHWM")
        if MEMORY_MB:
            res["cgroup_peak_bytes"] = memory_limit.peak_bytes(cgroups[1])
        res["files_bytes"] = directory_bytes(large.tmpdir)
        res["device_reads"] = device_reads(large)
    except Exception as ex:  # noqa: BLE001 - reported
        res["error"] = str(ex)
        log(f"{label}: ERROR {ex}")
    finally:
        for server in (small, large):
            server.stop()
        for cgroup in cgroups if MEMORY_MB else []:
            memory_limit.remove(cgroup)
        log(f"{label}: stopped")
    return res


def directory_bytes(path):
    """Bytes of the files under `path` (a durable server's data), or None."""
    if not path:
        return None
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def device_reads(server):
    """From a dynalith server's /metrics: the bytes its request threads read from the storage
    device, and whether its operations were on blocking threads at the end; None elsewhere."""
    if server.kind != "dynalith":
        return None
    import urllib.request
    try:
        with urllib.request.urlopen(f"{server.endpoint}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError:
        return None
    found = {}
    for line in text.splitlines():
        for key, metric in (("bytes", "dynalith_request_disk_read_bytes_total "),
                            ("blocking", "dynalith_operations_on_blocking_threads ")):
            if line.startswith(metric):
                found[key] = int(float(line[len(metric):]))
    return found or None


def rps(r, size, name):
    w = (r.get(size) or {}).get(name)
    if not w or w.get("unsupported") or w["non200"] or w["misses"] or w["socket_errors"]:
        return None
    return w["rps"]


def cell(r, size, name):
    w = (r.get(size) or {}).get(name)
    if not w:
        return "n/a"
    if w.get("unsupported"):
        return "not implemented"
    bad = " ⚠ invalid" if (w["non200"] or w["misses"] or w["socket_errors"]) else ""
    return f"{w['rps']:,.0f} (p99 {w['p99_us'] / 1000:.1f}){bad}"


def render(results, started):
    out = [f"# dynalith scale run ({started:%Y-%m-%d %H:%M UTC})", ""]
    out.append(f"- Machine: {bench.cpu_model()}, {os.cpu_count()} CPUs; load average at start "
               f"{os.getloadavg()[0]:.2f}. Servers on CPU {bench.SERVER_CPU}, wrk (loader and workloads) on CPU "
               f"{bench.LOAD_CPU}.")
    out.append(f"- Table `{TABLE}`: hash key `pk`, range key `sk`; ~200-byte items in partitions of {PART}. "
               f"Target {SCALE_ITEMS:,} items, loaded with bench/wrk/load.lua over {LOAD_CONNECTIONS} connections "
               f"in chunks of {CHUNK:,}; load budget {BUDGET:.0f} s per server (a server that would exceed it "
               f"is loaded with fewer items, see 'Items loaded').")
    out.append(f"- Workloads ({bench.WARMUP} s warm-up, {bench.DURATION} s measured, {bench.CONNECTIONS} connections): "
               f"GetItem of a random loaded item, Query10 = Query `pk = :p` of a random partition (10 items). "
               f"Two processes per server, one holding {SMALL_ITEMS:,} items and one the full size, both on the "
               f"server CPU; after an unmeasured {EXTRA_WARMUP} s run of each workload on each, {ROUNDS} measured "
               f"rounds alternate between them (which size goes first alternates too), each run starting once the "
               f"other process is quiet (under {bench.QUIET_PCT:g}% CPU). Throughput: the median round; full/small: the "
               f"ratio of the medians, and in brackets the range of the per-round ratios.")
    if MEMORY_MB:
        out.append(f"- Each server process in a memory cgroup of {MEMORY_MB} MB (its own memory and the page "
                   f"cache of its files); item fillers: {PAYLOAD} (BENCH_PAYLOAD).")
    out.append("")
    out.append("## Load")
    out.append("")
    out.append(f"| Server | Method | Items loaded | Load time (s) | Items/s | RSS at {SMALL_ITEMS // 1000}k (MiB) | "
               "RSS loaded (MiB) |")
    out.append("|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        if "loaded" not in r:
            out.append(f"| {r['label']} | failed: {r.get('error', '?')} | | | | | |")
            continue
        note = f" (budget reached; target {SCALE_ITEMS:,})" if r.get("budget_stop") else ""
        out.append(f"| {r['label']} | {r['method']} | {r['loaded']:,}{note} | {r['load_s']} | {r['load_rate']:,.0f} | "
                   f"{bench.mib(r.get('rss_small_kb'))} | {bench.mib(r.get('rss_loaded_kb'))} |")
    out.append("")
    out.append("## Throughput at 10k and at full size (req/s, p99 ms)")
    out.append("")
    out.append(f"| Server | Items | GetItem at {SMALL_ITEMS // 1000}k | GetItem loaded | full/{SMALL_ITEMS // 1000}k | "
               f"Query10 at {SMALL_ITEMS // 1000}k | Query10 loaded | full/{SMALL_ITEMS // 1000}k |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        cols = []
        for name, _ in WORKLOADS:
            ratio = bench.fmt_ratio(rps(r, "large", name), rps(r, "small", name))
            per_round = [x for x in r.get("round_ratios", {}).get(name, []) if x is not None]
            if per_round:
                ratio += f" ({min(per_round):.2f}-{max(per_round):.2f})"
            cols += [cell(r, "small", name), cell(r, "large", name), ratio]
        out.append(f"| {r['label']} | {r.get('loaded', 0):,} | " + " | ".join(cols) + " |")
    out.append("")
    if MEMORY_MB or any(r.get("device_reads") for r in results):
        out.append("## Memory and the device (full-size process)")
        out.append("")
        out.append("| Server | Memory limit (MiB) | Peak in the cgroup (MiB) | Files (MiB) | "
                   "Read from the device by request threads (MiB) | On blocking threads at the end |")
        out.append("|---|---:|---:|---:|---:|---|")
        for r in results:
            reads = r.get("device_reads") or {}
            mb = lambda b: f"{b / 1048576:,.0f}" if b is not None else "-"  # noqa: E731
            out.append(f"| {r['label']} | {MEMORY_MB or '-'} | {mb(r.get('cgroup_peak_bytes'))} | "
                       f"{mb(r.get('files_bytes'))} | {mb(reads.get('bytes'))} | "
                       f"{ {1: 'yes', 0: 'no'}.get(reads.get('blocking'), '-') } |")
        out.append("")
    by_id = {r["id"]: r for r in results}
    ref = by_id.get("ddblocal")
    rows = []
    for r in results:
        if r["id"] == "ddblocal" or not ref:
            continue
        cols = [bench.fmt_ratio(r.get("load_rate"), ref.get("load_rate"))]
        for name, _ in WORKLOADS:
            cols += [bench.fmt_ratio(rps(r, "small", name), rps(ref, "small", name)),
                     bench.fmt_ratio(rps(r, "large", name), rps(ref, "large", name))]
        rows.append(f"| {r['label']} / DynamoDB Local | " + " | ".join(cols) + " |")
    if rows:
        out.append("## Ratios to DynamoDB Local (throughput, >1: faster)")
        out.append("")
        if ref.get("loaded") != SCALE_ITEMS:
            out.append(f"DynamoDB Local holds {ref.get('loaded', 0):,} items in the 'loaded' columns, not "
                       f"{SCALE_ITEMS:,}: those ratios compare different table sizes.")
            out.append("")
        out.append(f"| Ratio | Load items/s | GetItem at {SMALL_ITEMS // 1000}k | GetItem loaded | "
                   f"Query10 at {SMALL_ITEMS // 1000}k | Query10 loaded |")
        out.append("|---|---:|---:|---:|---:|---:|")
        out.extend(rows)
        out.append("")
    return "\n".join(out)


def main():
    started = datetime.datetime.now(datetime.timezone.utc)
    bench.keep_off_the_server_cpu()
    results = []
    order = [s for s in bench.SERVERS if s[0] in SERVERS]
    for i, (sid, label, kind, durable) in enumerate(order):
        why = bench.Server(sid, label, kind, durable, 0).missing()
        if why:
            log(f"skipping {label}: {why}")
            continue
        results.append(scale_server(sid, label, kind, durable, bench.BASE_PORT + 10 + 2 * i))
    md = render(results, started)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(os.path.join(RESULTS_DIR, "scale.md"), "w") as f:
        f.write(md + "\n")
    with open(os.path.join(RESULTS_DIR, "scale.json"), "w") as f:
        json.dump({"started": started.isoformat(), "config": {
            "items": SCALE_ITEMS, "small": SMALL_ITEMS, "chunk": CHUNK, "budget_s": BUDGET,
            "load_connections": LOAD_CONNECTIONS, "duration_s": bench.DURATION, "warmup_s": bench.WARMUP,
            "connections": bench.CONNECTIONS}, "results": results}, f, indent=2)
    print(md)
    log(f"wrote {os.path.join(RESULTS_DIR, 'scale.md')} and scale.json")
    if any("error" in r for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
