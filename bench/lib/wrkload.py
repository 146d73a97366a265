"""Bulk loading through bench/wrk/load.lua (wrk as the HTTP client), shared by bench.py and
scale.py. See load.lua for the protocol: wrk prints BENCH_LOAD_DONE once every write has been
answered; the load time is measured from spawning wrk until that line, then wrk is interrupted
(it would otherwise wait for the end of its -d duration).
"""

import os
import re
import signal
import subprocess
import time

from ddb import Conn, DynamoError

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOAD_LUA = os.path.join(BENCH, "wrk", "load.lua")
DONE_RE = re.compile(r"BENCH_LOAD_DONE requests=(\d+) acked_items=(\d+) errors=(\d+) unprocessed=(\d+)")


def create_table(endpoint, table, composite):
    """Create `table` (pk S hash key, plus sk S range key when composite), on demand."""
    from ddb import wait_table_active
    conn = Conn(endpoint)
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if composite:
        attrs.append({"AttributeName": "sk", "AttributeType": "S"})
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
    try:
        conn.call("CreateTable", {"TableName": table, "AttributeDefinitions": attrs, "KeySchema": keys,
                                  "BillingMode": "PAY_PER_REQUEST"})
    except DynamoError as e:
        if e.type != "ResourceInUseException":
            raise
    wait_table_active(conn, table)
    conn.close()


def batch_supported(endpoint):
    """True if the server accepts BatchWriteItem (probed with an empty-table request that fails
    validation on DynamoDB and on servers implementing the operation)."""
    conn = Conn(endpoint)
    try:
        conn.call("BatchWriteItem", {"RequestItems": {}})
        return True
    except DynamoError as e:
        return e.type != "UnknownOperationException"
    finally:
        conn.close()


def wrk_load(endpoint, lua_env, start, end, batch, connections, cpu, timeout_s=3600):
    """Write items start..end-1 (layout from lua_env: BENCH_TABLE, BENCH_PARTITION_SIZE, ...)
    with load.lua. Returns {"seconds", "items", "requests"}; raises on any failed write."""
    env = dict(os.environ, **lua_env, BENCH_LOAD_FROM=str(start), BENCH_LOAD_TO=str(end),
               BENCH_LOAD_BATCH=str(batch))
    cmd = ["taskset", "-c", str(cpu), "wrk", "-t1", "-c", str(connections), "-d", f"{int(timeout_s)}s",
           "--timeout", "30s", "-s", LOAD_LUA, endpoint + "/"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    done, first_error, lines = None, None, []
    try:
        for line in p.stdout:
            lines.append(line.rstrip())
            m = DONE_RE.search(line)
            if m:
                done = time.monotonic() - t0
                result = [int(x) for x in m.groups()]
            elif line.startswith("BENCH_FIRST_ERROR"):
                first_error = line.split(" ", 1)[1].strip()
            if done is not None and (first_error is not None or not (result[2] or result[3])):
                break
            if done is not None and time.monotonic() - t0 > done + 1:
                break
    finally:
        if p.poll() is None:
            os.kill(p.pid, signal.SIGINT)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
    if done is None:
        raise RuntimeError(f"load of items {start}..{end} did not finish: {' | '.join(lines[-8:])}")
    requests, acked, errors, unprocessed = result
    if errors or unprocessed or acked != end - start:
        raise RuntimeError(f"load of items {start}..{end}: {errors} failed requests, {unprocessed} with "
                           f"UnprocessedItems, {acked} items acknowledged; first error: {first_error}")
    return {"seconds": done, "items": acked, "requests": requests}
