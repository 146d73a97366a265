#!/usr/bin/env python3
"""A/B comparison of two dynalith binaries (see bench/README.md, "A/B runs").

    python3 bench/lib/ab.py BASELINE_BIN CANDIDATE_BIN

On a small, shared machine one run moves by 10-30% from minute to minute, more than most
changes are worth, so a single before/after pair says little. This runs both binaries in
alternating order (A B, B A, A B, ...) for BENCH_AB_ROUNDS rounds, each round exactly like
bench/run.sh runs a server (fresh process pinned to BENCH_SERVER_CPU, pre-load, warm-up, measured
wrk run per workload), and reports per workload the median throughput and p99 of each binary,
their spread, the candidate/baseline ratio of the medians, and in how many rounds the candidate
was faster. Drift of the machine hits both binaries alike because they alternate.

Settings: the BENCH_* variables of bench/run.sh (BENCH_WORKLOADS, BENCH_DURATION, BENCH_WARMUP,
BENCH_ITEMS, ...); BENCH_SERVERS picks among the dynalith servers of bench/run.sh (default all of
them that can run here: dynalith-pg only when BENCH_POSTGRES names a PostgreSQL server);
BENCH_AB_ROUNDS (default 3). Report: bench/results/ab.md (also printed) and ab.json.
"""

import json
import os
import statistics
import sys

import bench

ROUNDS = int(bench.env("BENCH_AB_ROUNDS", "3"))
MODES = [s for s in bench.SERVERS if s[2] == "dynalith" and s[0] in bench.SELECTED_SERVERS]


def run_round(binary, sid, label, durable, port):
    bench.DYNALITH_BIN = binary
    return bench.bench_server(bench.Server(sid, label, "dynalith", durable, port))


def spread(values):
    return f"{min(values):,.0f}-{max(values):,.0f}"


def summarize(runs):
    """runs[sid][side] = [result per round]; returns markdown lines and a dict."""
    lines = ["| server | workload | baseline req/s (range) | candidate req/s (range) | candidate / baseline |"
             " candidate faster | p99 ms baseline / candidate |", "|---|---|---:|---:|---:|---:|---:|"]
    summary = {}
    for sid, sides in runs.items():
        for name in bench.SELECTED_WORKLOADS:
            rps = {side: [r["workloads"][name]["rps"] for r in sides[side] if name in r["workloads"]]
                   for side in ("baseline", "candidate")}
            p99 = {side: [r["workloads"][name]["p99_us"] / 1000 for r in sides[side] if name in r["workloads"]]
                   for side in ("baseline", "candidate")}
            if not rps["baseline"] or not rps["candidate"]:
                continue
            a, b = statistics.median(rps["baseline"]), statistics.median(rps["candidate"])
            wins = sum(c > s for s, c in zip(rps["baseline"], rps["candidate"]))
            rounds = min(len(rps["baseline"]), len(rps["candidate"]))
            summary.setdefault(sid, {})[name] = {"baseline_rps": rps["baseline"], "candidate_rps": rps["candidate"],
                                                 "baseline_p99_ms": p99["baseline"],
                                                 "candidate_p99_ms": p99["candidate"], "ratio": b / a}
            lines.append(f"| {sid} | {name} | {a:,.0f} ({spread(rps['baseline'])}) | {b:,.0f} "
                         f"({spread(rps['candidate'])}) | {b / a:.3f}x | {wins}/{rounds} | "
                         f"{statistics.median(p99['baseline']):.2f} / {statistics.median(p99['candidate']):.2f} |")
    return lines, summary


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binaries = {"baseline": os.path.abspath(sys.argv[1]), "candidate": os.path.abspath(sys.argv[2])}
    if bench.UNKNOWN_WORKLOADS:
        sys.exit(f"unknown workloads {', '.join(bench.UNKNOWN_WORKLOADS)} (known: {bench.DEFAULT_WORKLOADS})")
    bench.keep_off_the_server_cpu()
    for path in binaries.values():
        if not os.access(path, os.X_OK):
            sys.exit(f"not an executable: {path}")
    modes = []
    bench.DYNALITH_BIN = binaries["baseline"]
    for i, (sid, label, kind, durable) in enumerate(MODES):
        # Decided before the first round, so that a server that cannot run here (dynalith-pg
        # without BENCH_POSTGRES) is left out instead of ending the run half-way.
        reason = bench.Server(sid, label, kind, durable, bench.BASE_PORT + i).missing()
        if reason:
            bench.log(f"{sid}: skipped: {reason}")
        else:
            modes.append((i, sid, label, durable))
    if not modes:
        sys.exit("no dynalith server of BENCH_SERVERS can run here")
    runs = {sid: {"baseline": [], "candidate": []} for _, sid, *_ in modes}
    for round_no in range(ROUNDS):
        order = ["baseline", "candidate"] if round_no % 2 == 0 else ["candidate", "baseline"]
        for i, sid, label, durable in modes:
            for side in order:
                bench.log(f"round {round_no + 1}/{ROUNDS}: {side} {sid}")
                result = run_round(binaries[side], sid, f"{label} [{side}]", durable, bench.BASE_PORT + i)
                if "error" in result:
                    sys.exit(f"{side} {sid} failed: {result['error']}")
                runs[sid][side].append(result)
    lines, summary = summarize(runs)
    report = "\n".join([f"# A/B: {ROUNDS} alternating rounds, {bench.DURATION} s measured per workload",
                        "", f"baseline: `{binaries['baseline']}`", f"candidate: `{binaries['candidate']}`",
                        ""] + lines)
    os.makedirs(bench.RESULTS_DIR, exist_ok=True)
    with open(os.path.join(bench.RESULTS_DIR, "ab.md"), "w") as f:
        f.write(report + "\n")
    with open(os.path.join(bench.RESULTS_DIR, "ab.json"), "w") as f:
        json.dump({"binaries": binaries, "rounds": ROUNDS, "summary": summary}, f, indent=2)
    print(report)


if __name__ == "__main__":
    main()
