#!/usr/bin/env python3
"""Regenerates crates/dynalith/symbol-order.txt, the linker's layout of the binary's code.

Why: the kernel maps an executable's code into a process 64 KB around every page it touches
(fault-around), so start-up code scattered over 10 MB of text kept ~8 MB of it resident
although ~2 MB runs. Placing the functions that run at start-up first, then the ones that
serve requests (hottest first), keeps idle memory small and the request path dense in the
instruction cache and TLB. `crates/dynalith/build.rs` hands the file to the linker (lld's
--symbol-ordering-file); a symbol the file names but the binary lacks is skipped, so a stale
file costs only layout, never correctness.

How: runs the release binary under valgrind's callgrind (which records every function
executed), once in memory and once on disk through start-up and a health check, then through a
boto3 workload of the common operations, and writes the executed functions in that order. Code
that runs natively but not under valgrind (CPU-specific variants such as AVX-512 CRCs, lock
contention paths) is then found from the page faults of the relinked binary (`perf record -e
page-faults`) and moved to the start-up group, relinking until no start-up fault is left outside
it (at most a few rounds).

    cargo build --release -p dynalith && python3 scripts/symbol-order.py

Needs valgrind and, for the native rounds, perf.
"""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "dynalith")
OUTPUT = os.path.join(ROOT, "crates", "dynalith", "symbol-order.txt")
PORT = 8199


def wait_healthy(port, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not answer GET /")


def health_checks(port):
    """GET / the ways clients do it, since each way ends a connection through different code:
    Connection: close, keep-alive then hang up, and hang up before reading the whole answer
    (as the benchmark's readiness probe does)."""
    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60).read()
    keep_alive = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    keep_alive.request("GET", "/")
    keep_alive.getresponse().read()
    keep_alive.close()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as probe:
        probe.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        probe.recv(16)
    time.sleep(0.5)


def profile(workdir, name, server_args, workload=None):
    """Runs the server under callgrind: returns the dumps of start-up and the dump of the rest
    (the workload, if any, and shutdown)."""
    out = os.path.join(workdir, f"{name}.cg")
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--demangle=no", "--compress-strings=no",
         "--compress-pos=no", f"--callgrind-out-file={out}", BINARY, "serve",
         "--port", str(PORT), *server_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(PORT)
        health_checks(PORT)
        # Dump what start-up ran; what follows lands in a second file.
        subprocess.run(["callgrind_control", "--dump=startup", str(server.pid)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if workload:
            workload(PORT)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=300)
    dumps = sorted(p for p in os.listdir(workdir) if p.startswith(f"{name}.cg"))
    paths = [os.path.join(workdir, p) for p in dumps]
    # callgrind numbers the interim dump <out>.<pid>.1 and writes the rest to <out> at exit.
    startup = [p for p in paths if p != out]
    return startup, out


def executed_functions(path):
    """{function: instructions spent in it} for the binary's own functions, in file order."""
    cost = {}
    obj = fn = None
    in_binary = callee_cost_next = False
    for line in open(path, errors="replace"):
        if line.startswith("ob="):
            obj = line[3:].strip()
        elif line.startswith("fn="):
            fn = re.sub(r"'\d+$", "", line[3:].strip())
            in_binary = obj is not None and os.path.realpath(obj) == os.path.realpath(BINARY)
            if in_binary:
                cost.setdefault(fn, 0)
        elif line.startswith("calls="):
            # The cost line after a call record is the callee's inclusive cost, not fn's own.
            callee_cost_next = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            fields = line.split()
            if in_binary and not callee_cost_next and len(fields) >= 2:
                cost[fn] += int(fields[1])
            callee_cost_next = False
    return cost


def workload(port):
    import boto3
    from botocore.config import Config

    db = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                      aws_access_key_id="x", aws_secret_access_key="x",
                      config=Config(retries={"max_attempts": 1}, read_timeout=300))
    db.create_table(
        TableName="hot", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"}
                              for n in ("pk", "sk", "g1", "g2")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {"IndexName": f"by-{n}", "KeySchema": [{"AttributeName": n, "KeyType": "HASH"}],
             "Projection": {"ProjectionType": "ALL"}} for n in ("g1", "g2")])
    for i in range(20):
        item = {"pk": {"S": f"p{i % 4}"}, "sk": {"S": f"s{i:03}"}, "n": {"N": str(i)},
                "g1": {"S": f"a{i % 3}"}, "g2": {"S": f"b{i % 5}"}, "d": {"S": "x" * 200},
                "m": {"M": {"l": {"L": [{"N": "1"}, {"BOOL": True}, {"NULL": True}]}}},
                "ss": {"SS": ["a", "b"]}, "b": {"B": b"\x00\x01"}}
        db.put_item(TableName="hot", Item=item, ReturnConsumedCapacity="TOTAL")
        db.get_item(TableName="hot", Key={"pk": item["pk"], "sk": item["sk"]})
        db.update_item(TableName="hot", Key={"pk": item["pk"], "sk": item["sk"]},
                       UpdateExpression="ADD n :one SET #d = :d",
                       ConditionExpression="attribute_exists(pk) AND n >= :zero",
                       ExpressionAttributeNames={"#d": "d"},
                       ExpressionAttributeValues={":one": {"N": "1"}, ":zero": {"N": "0"},
                                                  ":d": {"S": "y" * 100}},
                       ReturnValues="ALL_NEW")
    try:
        db.put_item(TableName="hot", Item={"pk": {"S": "p0"}, "sk": {"S": "s000"}},
                    ConditionExpression="attribute_not_exists(pk)")
    except db.exceptions.ConditionalCheckFailedException:
        pass
    for forward in (True, False):
        db.query(TableName="hot", KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
                 FilterExpression="n > :n", ProjectionExpression="pk, sk, n",
                 ExpressionAttributeValues={":p": {"S": "p1"}, ":s": {"S": "s0"},
                                            ":n": {"N": "2"}},
                 ScanIndexForward=forward, Limit=10)
    db.query(TableName="hot", IndexName="by-g1", KeyConditionExpression="g1 = :g",
             ExpressionAttributeValues={":g": {"S": "a1"}}, Limit=10)
    db.scan(TableName="hot", Limit=100)
    db.scan(TableName="hot", Segment=0, TotalSegments=2, Select="COUNT")
    db.batch_write_item(RequestItems={"hot": [
        {"PutRequest": {"Item": {"pk": {"S": "bw"}, "sk": {"S": f"{i}"}}}} for i in range(25)]})
    db.batch_get_item(RequestItems={"hot": {"Keys": [
        {"pk": {"S": "bw"}, "sk": {"S": f"{i}"}} for i in range(10)]}})
    db.transact_write_items(TransactItems=[
        {"Put": {"TableName": "hot", "Item": {"pk": {"S": "tx"}, "sk": {"S": f"{i}"}}}}
        for i in range(10)])
    db.transact_get_items(TransactItems=[
        {"Get": {"TableName": "hot", "Key": {"pk": {"S": "tx"}, "sk": {"S": f"{i}"}}}}
        for i in range(2)])
    db.delete_item(TableName="hot", Key={"pk": {"S": "bw"}, "sk": {"S": "0"}}, ReturnValues="ALL_OLD")
    db.describe_table(TableName="hot")
    db.list_tables()


def main():
    if not shutil.which("valgrind"):
        raise SystemExit("needs valgrind (apt-get install valgrind)")
    if not os.path.exists(BINARY):
        raise SystemExit("build first: cargo build --release -p dynalith")
    workdir = tempfile.mkdtemp(prefix="dynalith-symbol-order-")
    try:
        memory_startup, memory_shutdown = profile(workdir, "memory", ["--in-memory"])
        disk_startup, disk_serving = profile(
            workdir, "disk", ["--data-dir", os.path.join(workdir, "data")], workload)
        startup = [executed_functions(p) for p in memory_startup + disk_startup]
        serving = [executed_functions(disk_serving), executed_functions(memory_shutdown)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # Start-up code first; then the rest, the most instructions first. Within the start-up group
    # (all of it runs) and within a power of two of instructions, names are sorted, so that a
    # rerun rewrites only the lines whose place really changed.
    first = sorted({name for profile_ in startup for name in profile_})
    rest = {}
    for profile_ in serving:
        for name, cost in profile_.items():
            rest[name] = rest.get(name, 0) + cost
    then = [name for name, _ in sorted(rest.items(), key=lambda kv: (-kv[1].bit_length(), kv[0]))]
    write_order(first, then)
    if shutil.which("perf"):
        for _ in range(4):
            subprocess.run(["cargo", "build", "--release", "-p", "dynalith"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            faulted = [name for mode in ("memory", "disk") for name in native_startup_faults(mode)]
            new = [name for name in dict.fromkeys(faulted) if name not in set(first)]
            if not new:
                break
            first += new
            write_order(first, then)
        else:
            print("start-up faults still outside the start-up group after 4 rounds", file=sys.stderr)
            subprocess.run(["cargo", "build", "--release", "-p", "dynalith"], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"{OUTPUT}: {len(set(first) | set(then))} functions, {len(first)} at start-up",
          file=sys.stderr)


def write_order(first, then):
    order = list(dict.fromkeys(first + then))
    with open(OUTPUT, "w") as f:
        f.write("\n".join(order) + "\n")


def native_startup_faults(mode):
    """Functions of the binary whose first execution faulted a code page in, natively, from
    exec through a health check and a second of idling."""
    with tempfile.TemporaryDirectory(prefix="dynalith-faults-") as workdir:
        record = os.path.join(workdir, "faults.data")
        args = ["--in-memory"] if mode == "memory" else ["--data-dir", os.path.join(workdir, "data")]
        perf = subprocess.Popen(
            ["perf", "record", "-q", "-e", "page-faults", "-c", "1", "-d", "-o", record,
             BINARY, "serve", "--port", str(PORT), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_healthy(PORT)
        health_checks(PORT)
        time.sleep(1)
        server = subprocess.run(["pgrep", "-f", f"^{BINARY} serve"], capture_output=True,
                                text=True).stdout.split()
        for pid in server:
            os.kill(int(pid), signal.SIGKILL)  # not SIGINT: shutdown code is not idle code
        perf.wait(timeout=60)
        script = subprocess.run(["perf", "script", "--no-demangle", "-i", record, "-F", "addr,ip,sym,dso"],
                                capture_output=True, text=True).stdout
    names = []
    pattern = re.compile(r"\s*([0-9a-f]+)\s+.*?\s+\(([^)]*)\)\s+([0-9a-f]+)\s+(\S+)\s+\(([^)]*)\)\s*$")
    for line in script.splitlines():
        match = pattern.match(line)
        # An instruction fetch faults at the instruction's own address.
        if match and match[1] == match[3] and os.path.realpath(match[5]) == os.path.realpath(BINARY):
            name = match[4].split("+")[0]
            if name != "[unknown]":
                names.append(name)
    return names


if __name__ == "__main__":
    main()
