"""A minimal HTTP/1.1 load client on raw sockets (keep-alive), so the client costs little next to the
server it measures, and a server launcher for `cmi-sim serve` and for a bare uvicorn baseline."""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@contextmanager
def served(args: list[str]):
    """Run a server subprocess (its own core) and yield its port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    process = subprocess.Popen([sys.executable, *args, "--port", str(port)], cwd=REPO, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def cmi_server_args() -> list[str]:
    return ["-m", "cmi_sim", "serve", "--rate-limit", "off", "--position-limit", "1000000000"]


def baseline_server_args() -> list[str]:
    """A bare uvicorn app answering a constant JSON body: the ceiling for any endpoint on this stack."""
    return [str(Path(__file__).with_name("baseline_asgi.py"))]


class Connection:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def call(self, raw: bytes) -> tuple[bytes, bytes]:
        self.sock.sendall(raw)
        buffer = b""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            buffer += chunk
            head, sep, body = buffer.partition(b"\r\n\r\n")
            if sep:
                at = head.lower().find(b"content-length:")
                length = int(head[at + 15:].split(b"\r\n")[0])
                if len(body) >= length:
                    return head, body

    def close(self) -> None:
        self.sock.close()


def request(method: str, path: str, body: object | None = None, token: bytes | None = None) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    lines = [f"{method} {path} HTTP/1.1".encode(), b"Host: bench"]
    if token:
        lines.append(b"Authorization: " + token)
    if body is not None:
        lines.append(b"Content-Type: application/json")
    lines.append(b"Content-Length: %d" % len(payload))
    return b"\r\n".join(lines) + b"\r\n\r\n" + payload


def login(port: int, username: str) -> bytes:
    connection = Connection(port)
    head, _ = connection.call(request("POST", "/api/user/authenticate", {"username": username, "password": "pw"}))
    connection.close()
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"authorization:"):
            return line.split(b":", 1)[1].strip()
    raise RuntimeError("login failed")


def order_requests(token: bytes, count: int, product: str = "TIDE_SPOT") -> list[bytes]:
    """Alternating non-crossing buys and sells spread over 50 levels each side."""
    out = []
    for i in range(count):
        side = "BUY" if i % 2 else "SELL"
        offset = (i % 50) + 1
        price = 10_000 + offset if side == "SELL" else 10_000 - offset
        out.append(request("POST", "/api/order", {"product": product, "price": price, "side": side, "volume": 1},
                           token))
    return out


def timed_calls(port: int, raws: list[bytes]) -> list[float]:
    connection = Connection(port)
    latencies = []
    clock = time.perf_counter
    for raw in raws:
        started = clock()
        connection.call(raw)
        latencies.append(clock() - started)
    connection.close()
    return latencies


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))]


class StreamReaders:
    """Many SSE subscribers on one selector, counting complete events and remembering arrival times."""

    def __init__(self, port: int, tokens: list[bytes]) -> None:
        self.selector = selectors.DefaultSelector()
        self.events = 0
        self.first_event_seen: dict[int, float] = {}
        self._pending: dict[int, bytes] = {}
        for token in tokens:
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(b"GET /api/market/stream HTTP/1.1\r\nHost: bench\r\nAuthorization: " + token +
                         b"\r\nAccept: text/event-stream; charset=utf-8\r\n\r\n")
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ)
            self._pending[sock.fileno()] = b""

    def pump(self, duration: float, marker: bytes | None = None) -> float | None:
        """Read for `duration` seconds; returns the time `marker` was first seen, if given."""
        deadline = time.perf_counter() + duration
        seen_at = None
        while time.perf_counter() < deadline:
            for key, _ in self.selector.select(timeout=0.01):
                data = key.fileobj.recv(1 << 20)
                now = time.perf_counter()
                if marker is not None and seen_at is None and marker in data:
                    seen_at = now
                    return seen_at
                self.events += data.count(b"\n\n")
        return seen_at

    def close(self) -> None:
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()
        self.selector.close()
