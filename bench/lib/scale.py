#!/usr/bin/env python3
"""Scale run behind bench/scale.sh (see bench/README.md, "Scale run").

For each server, one after another (pinned to BENCH_SERVER_CPU, load from BENCH_LOAD_CPU):
start it, create table `scale` (pk S hash key, sk S range key), then

1. load items 0 .. SMALL-1 (default 10,000) with bench/wrk/load.lua: BatchWriteItem of 25
   (PutItem if the server does not implement BatchWriteItem), BENCH_SCALE_LOAD_CONNECTIONS
   connections; run each workload unmeasured for BENCH_SCALE_EXTRA_WARMUP seconds (default 10:
   a fresh process, DynamoDB Local's JIT in particular, is slower than one that has loaded 1M
   items), then measure GetItem (random item) and Query10 (a random partition of 10 items) at
   that size;
2. keep loading in chunks of BENCH_SCALE_CHUNK items up to BENCH_SCALE_ITEMS (default
   1,000,000). Before each chunk the time it would take is estimated from the previous chunk;
   if the load would then exceed BENCH_SCALE_LOAD_BUDGET seconds (default 600), loading stops
   there and the report says how many items were loaded;
3. measure GetItem and Query10 again over everything loaded.

Items are ~200 bytes: item n has pk = "part#<n // 10>", sk = "%04d" % (n % 10) (layout in
bench/wrk/common.lua). Load rate = items / time spent in load.lua (table creation, the
measurements at 10k and start-up excluded). Writes bench/results/scale.md (also printed) and
scale.json.
"""

import datetime
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402  (servers, wrk runner, settings)
import wrkload  # noqa: E402
from bench import env, log  # noqa: E402

SCALE_ITEMS = int(env("BENCH_SCALE_ITEMS", "1000000"))
SMALL_ITEMS = int(env("BENCH_SCALE_SMALL", "10000"))
CHUNK = int(env("BENCH_SCALE_CHUNK", "50000"))
BUDGET = float(env("BENCH_SCALE_LOAD_BUDGET", "600"))
LOAD_CONNECTIONS = int(env("BENCH_SCALE_LOAD_CONNECTIONS", "16"))
# Extra unmeasured seconds per workload before the first (10k) measurement: without it the 10k
# numbers pay for a cold process (JIT of DynamoDB Local) that the full-size numbers do not.
EXTRA_WARMUP = int(env("BENCH_SCALE_EXTRA_WARMUP", "10"))
PART = 10
TABLE = env("BENCH_SCALE_TABLE", "scale")
SERVERS = [s.strip() for s in env("BENCH_SERVERS", "dynalith-mem,dynalith-disk,ddblocal").split(",") if s.strip()]
WORKLOADS = [("GetItem", "getitem.lua"), ("Query10", "query.lua")]
RESULTS_DIR = bench.RESULTS_DIR

for n in (SCALE_ITEMS, SMALL_ITEMS, CHUNK):
    if n % 50:
        sys.exit("BENCH_SCALE_ITEMS, BENCH_SCALE_SMALL and BENCH_SCALE_CHUNK must be multiples of 50")


def lua_env(items):
    return {"BENCH_TABLE": TABLE, "BENCH_PARTITION_SIZE": str(PART), "BENCH_KEY_PREFIX": "part#",
            "BENCH_ITEMS": str(items), "BENCH_ITEM_BYTES": "200"}


def measure(server, items):
    out = {}
    for name, script in WORKLOADS:
        e = lua_env(items)
        if bench.WARMUP > 0:
            bench.run_wrk(server, script, bench.WARMUP, f"w{int(time.time())}", e)
        r = bench.run_wrk(server, script, bench.DURATION, f"m{int(time.time())}", e)
        out[name] = r
        if r.get("unsupported"):
            log(f"{server.label}: {name} at {items:,} items: not implemented (UnknownOperationException)")
        else:
            log(f"{server.label}: {name} at {items:,} items: {r['rps']:.0f} req/s, p99 {r['p99_us'] / 1000:.2f} ms, "
                f"non-2xx {int(r['non200'])}, misses {int(r['misses'])}")
    return out


def scale_server(server):
    res = {"id": server.id, "label": server.label}
    log(f"{server.label}: starting on port {server.port}")
    try:
        server.start()
        wrkload.create_table(server.endpoint, TABLE, composite=True)
        batch = 25 if bench.LOAD_METHOD == "auto" and wrkload.batch_supported(server.endpoint) else 1
        res["method"] = "BatchWriteItem (25 items)" if batch > 1 else "PutItem (BatchWriteItem not implemented)"
        e = lua_env(SCALE_ITEMS)
        load_s = 0.0
        r = wrkload.wrk_load(server.endpoint, e, 0, SMALL_ITEMS, batch, LOAD_CONNECTIONS, bench.LOAD_CPU)
        load_s += r["seconds"]
        loaded = SMALL_ITEMS
        log(f"{server.label}: loaded {loaded:,} items in {load_s:.1f} s ({res['method']})")
        if EXTRA_WARMUP > 0:
            for name, script in WORKLOADS:
                bench.run_wrk(server, script, EXTRA_WARMUP, f"x{int(time.time())}", lua_env(SMALL_ITEMS))
        res["small"] = measure(server, SMALL_ITEMS)
        res["rss_small_kb"] = bench.proc_status_kb(server.pid, "VmRSS")
        last_rate = loaded / r["seconds"]
        res["budget_stop"] = False
        while loaded < SCALE_ITEMS:
            n = min(CHUNK, SCALE_ITEMS - loaded)
            if load_s + n / last_rate > BUDGET:
                res["budget_stop"] = True
                log(f"{server.label}: stopping the load at {loaded:,} items: the next {n:,} would take "
                    f"~{n / last_rate:.0f} s, over the {BUDGET:.0f} s budget ({load_s:.0f} s spent)")
                break
            r = wrkload.wrk_load(server.endpoint, e, loaded, loaded + n, batch, LOAD_CONNECTIONS, bench.LOAD_CPU)
            load_s += r["seconds"]
            loaded += n
            last_rate = n / r["seconds"]
            log(f"{server.label}: {loaded:,} items, {load_s:.1f} s, last chunk {last_rate:,.0f} items/s")
        res["loaded"] = loaded
        res["load_s"] = round(load_s, 2)
        res["load_rate"] = round(loaded / load_s, 1)
        res["rss_loaded_kb"] = bench.proc_status_kb(server.pid, "VmRSS")
        res["large"] = measure(server, loaded)
        res["peak_rss_kb"] = bench.proc_status_kb(server.pid, "VmHWM")
    except Exception as ex:  # noqa: BLE001 - reported
        res["error"] = str(ex)
        log(f"{server.label}: ERROR {ex}")
    finally:
        server.stop()
        log(f"{server.label}: stopped")
    return res


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
               f"First at {SMALL_ITEMS:,} items (after an extra {EXTRA_WARMUP} s unmeasured run of each workload), "
               f"then at the full size, in the same server process.")
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
            cols += [cell(r, "small", name), cell(r, "large", name),
                     bench.fmt_ratio(rps(r, "large", name), rps(r, "small", name))]
        out.append(f"| {r['label']} | {r.get('loaded', 0):,} | " + " | ".join(cols) + " |")
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
        server = bench.Server(sid, label, kind, durable, bench.BASE_PORT + 10 + i)
        why = server.missing()
        if why:
            log(f"skipping {label}: {why}")
            continue
        results.append(scale_server(server))
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
