#!/usr/bin/env python3
"""Create the benchmark table and pre-load the GetItem key space.

    load.py ENDPOINT [--table bench] [--items 10000] [--threads 4]

Table: `pk` (S) hash key, PAY_PER_REQUEST. Items: pk = "item#<n>" for n in [0, items), about
200 bytes each (the same shape as the PutItem workload's items). Items are written with
BatchWriteItem (25 per request, unprocessed items retried) when the server supports it, else
with PutItem; every request must answer 200. A sample of keys is read back at the end. Prints a
JSON summary on stdout.
"""

import argparse
import json
import sys
import threading
import time

from ddb import Conn, DynamoError, wait_table_active

PAYLOAD = "abcdefghij" * 15


def item(n):
    return {
        "pk": {"S": f"item#{n}"},
        "n": {"N": str(n)},
        "name": {"S": f"user {n}"},
        "payload": {"S": PAYLOAD},
    }


def batch_write(conn, table, ns):
    requests = [{"PutRequest": {"Item": item(n)}} for n in ns]
    for attempt in range(50):
        out = conn.call("BatchWriteItem", {"RequestItems": {table: requests}})
        requests = out.get("UnprocessedItems", {}).get(table, [])
        if not requests:
            return
        time.sleep(min(0.5, 0.01 * 2 ** attempt))
    raise RuntimeError("BatchWriteItem kept returning UnprocessedItems")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("endpoint")
    ap.add_argument("--table", default="bench")
    ap.add_argument("--items", type=int, default=10000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--method", choices=["auto", "put"], default="auto",
                    help="auto: BatchWriteItem if the server accepts it, else PutItem")
    args = ap.parse_args()

    conn = Conn(args.endpoint)
    t0 = time.monotonic()
    try:
        conn.call("CreateTable", {
            "TableName": args.table,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        })
    except DynamoError as e:
        if e.type != "ResourceInUseException":
            raise
    wait_table_active(conn, args.table)

    errors = []
    next_n = [0]
    lock = threading.Lock()

    # Probe BatchWriteItem with the first batch; fall back to PutItem if it is refused.
    use_batch = args.method == "auto"
    if use_batch:
        first = list(range(min(25, args.items)))
        try:
            batch_write(conn, args.table, first)
            next_n[0] = len(first)
        except DynamoError as e:
            use_batch = False
            print(f"BatchWriteItem refused ({e.type or e.status}); loading with PutItem",
                  file=sys.stderr)

    def worker():
        c = Conn(args.endpoint)
        size = 25 if use_batch else 1
        try:
            while True:
                with lock:
                    n = next_n[0]
                    if n >= args.items or errors:
                        return
                    ns = list(range(n, min(n + size, args.items)))
                    next_n[0] = ns[-1] + 1
                if use_batch:
                    batch_write(c, args.table, ns)
                else:
                    c.call("PutItem", {"TableName": args.table, "Item": item(n)})
        except Exception as e:  # noqa: BLE001 - reported below
            with lock:
                errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=worker) for _ in range(max(1, args.threads))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"load failed: {errors[0]}", file=sys.stderr)
        sys.exit(1)

    # Read back a sample, first and last keys included.
    step = max(1, args.items // 50)
    for n in list(range(0, args.items, step)) + [args.items - 1]:
        got = conn.call("GetItem", {"TableName": args.table, "Key": {"pk": {"S": f"item#{n}"}}})
        if got.get("Item") != item(n):
            print(f"load check failed for item#{n}: {got!r}", file=sys.stderr)
            sys.exit(1)
    conn.close()
    elapsed = time.monotonic() - t0
    print(json.dumps({"items": args.items, "load_s": round(elapsed, 2),
                      "method": "BatchWriteItem" if use_batch else "PutItem",
                      "load_rate": round(args.items / elapsed, 1)}))


if __name__ == "__main__":
    main()
