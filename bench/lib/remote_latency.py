#!/usr/bin/env python3
"""Sequential request latency of a dynalith server whose PostgreSQL sits behind a slow network.

    python3 bench/lib/remote_latency.py proxy LISTEN_PORT TARGET_PORT DELAY_MS
    python3 bench/lib/remote_latency.py measure ENDPOINT [REQUESTS]

`proxy` forwards 127.0.0.1:LISTEN_PORT to 127.0.0.1:TARGET_PORT and holds every chunk DELAY_MS
in each direction, so that a PostgreSQL on this machine answers like a remote one (asyncio's
timers add ~1 ms more per round trip: compare builds through the same proxy, not absolutes).
`measure` creates table `latency` and times REQUESTS (default 300) sequential PutItems of new
items, then GetItems of them, one connection, and prints the mean of each in ms.

A/B of two builds: start the proxy in front of the PostgreSQL server, then each build with
`--postgres postgres://postgres@127.0.0.1:LISTEN_PORT/postgres --postgres-schema <fresh>` in turn,
and `measure` each.
"""

import asyncio
import sys
import time

from ddb import Conn


async def _pipe(reader, writer, delay):
    queue = asyncio.Queue()

    async def send():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(send())
    while data := await reader.read(65536):
        queue.put_nowait((time.monotonic() + delay, data))
    queue.put_nowait((0, None))
    await sender


async def _proxy(listen, target, delay):
    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        await asyncio.gather(_pipe(client_reader, server_writer, delay),
                             _pipe(server_reader, client_writer, delay), return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


def measure(endpoint, requests):
    conn = Conn(endpoint)
    conn.call("CreateTable", {
        "TableName": "latency", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]})
    while conn.call("DescribeTable", {"TableName": "latency"})["Table"]["TableStatus"] != "ACTIVE":
        time.sleep(0.1)
    for op, body in (("PutItem", lambda i: {"TableName": "latency", "Item": {"pk": {"S": f"k{i}"},
                                                                            "v": {"S": "x" * 100}}}),
                     ("GetItem", lambda i: {"TableName": "latency", "Key": {"pk": {"S": f"k{i}"}}})):
        start = time.monotonic()
        for i in range(requests):
            conn.call(op, body(i))
        print(f"{op}: {(time.monotonic() - start) / requests * 1000:.2f} ms")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "proxy":
        asyncio.run(_proxy(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) / 1000))
    elif len(sys.argv) in (3, 4) and sys.argv[1] == "measure":
        measure(sys.argv[2], int(sys.argv[3]) if len(sys.argv) == 4 else 300)
    else:
        sys.exit(__doc__)
