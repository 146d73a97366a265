"""Tiny DynamoDB JSON-protocol client (stdlib only) used by the benchmark harness.

Requests carry the same fake SigV4 headers as the wrk scripts: servers under test do not
verify signatures, but (like DynamoDB) may require the Authorization and X-Amz-Date headers.
"""

import http.client
import json
import socket
import time
from urllib.parse import urlparse

HEADERS = {
    "Content-Type": "application/x-amz-json-1.0",
    "X-Amz-Date": "20260101T000000Z",
    "Authorization": (
        "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=host, Signature=0"
    ),
}


class DynamoError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:300]!r}")
        self.status = status
        self.body = body
        try:
            self.type = json.loads(body).get("__type", "").split("#")[-1]
        except ValueError:
            self.type = ""


class Conn:
    """One keep-alive connection; reconnects once if the server closed it."""

    def __init__(self, endpoint, timeout=30):
        u = urlparse(endpoint)
        self.host, self.port = u.hostname, u.port or 80
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def call(self, op, payload):
        body = json.dumps(payload).encode()
        headers = dict(HEADERS, **{"X-Amz-Target": f"DynamoDB_20120810.{op}"})
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.request("POST", "/", body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, ConnectionError, socket.timeout):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        if resp.status != 200:
            raise DynamoError(resp.status, data.decode("utf-8", "replace"))
        return json.loads(data) if data else {}

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def answers_http(host, port, timeout=0.5):
    """True when something on host:port answers an HTTP request with a status line."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"GET / HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: close\r\n\r\n")
            return s.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


def wait_table_active(conn, table, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        t = conn.call("DescribeTable", {"TableName": table})["Table"]
        if t["TableStatus"] == "ACTIVE":
            return t
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {table} not ACTIVE after {timeout}s")
        time.sleep(0.05)
