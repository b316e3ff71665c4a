"""Real HTTP from inside the sandbox (for `cmi-sim run`): each request runs on an OS thread with the
original, unpatched sockets, while the bot's greenlet waits cooperatively on the paced loop.

The sandbox blocks the network for the bot (gevent's sockets and the network guard); this module is the
one way out, used only by the world's router, and only to the server the user named.
"""

from __future__ import annotations

import http.client
import socket
from collections import deque
from typing import Any, Callable

HOP_BY_HOP = frozenset({"host", "content-length", "connection", "keep-alive", "proxy-connection",
                        "transfer-encoding", "accept-encoding", "upgrade", "te", "trailer"})


def _originals() -> tuple[Any, Callable]:
    from gevent import monkey

    return monkey.get_original("socket", "socket"), monkey.get_original("_thread", "start_new_thread")


class _Connection(http.client.HTTPConnection):
    """An HTTPConnection on an original (blocking, unguarded) socket."""

    socket_class: Any = None

    def connect(self) -> None:
        sock = self.socket_class(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect((self.host, self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock


class RealStream:
    """A streaming response read by an OS thread; `read(timeout)` waits cooperatively (a ByteStream)."""

    def __init__(self, response: http.client.HTTPResponse, connection: _Connection, loop: Any, event: Any,
                 start_thread: Callable) -> None:
        self._response, self._connection, self._loop, self._event = response, connection, loop, event
        self._chunks: deque[bytes] = deque()
        self._ended = False
        loop.pending_io += 1
        start_thread(self._pump, ())

    def _pump(self) -> None:  # on an OS thread
        try:
            while True:
                chunk = self._response.read1(65536)
                if not chunk:
                    break
                self._chunks.append(chunk)
                self._loop.run_callback_threadsafe(self._event.set)
        except Exception:  # noqa: BLE001 - a closed or broken connection ends the stream
            pass
        finally:
            self._ended = True
            self._loop.run_callback_threadsafe(self._finished)

    def _finished(self) -> None:
        self._loop.pending_io -= 1
        self._event.set()

    def read(self, timeout_s: float | None) -> bytes | None:
        while not self._chunks:
            if self._ended:
                return b""
            self._event.clear()
            if not self._event.wait(timeout_s) and not self._chunks and not self._ended:
                return None
        chunks = self._chunks
        return b"".join(chunks.popleft() for _ in range(len(chunks)))

    def close(self) -> None:
        try:
            self._connection.sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass
        self._connection.close()


class RealHttp:
    """Sends requests to one server (`host`, `port`) from the sandbox."""

    def __init__(self, host: str, port: int, loop: Any, timeout_s: float = 30.0) -> None:
        self.host, self.port, self.loop, self.timeout_s = host, port, loop, timeout_s
        socket_class, self._start_thread = _originals()
        self._connection_class = type("SandboxConnection", (_Connection,), {"socket_class": socket_class})
        self.n_requests = 0

    def request(self, method: str, target: str, headers: Any, body: bytes | None) -> tuple[int, dict, bytes | RealStream]:
        """(status, headers, body), or a RealStream as the body for an event stream."""
        import gevent.event

        self.n_requests += 1
        event = gevent.event.Event()
        box: dict[str, Any] = {}
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}

        def work() -> None:  # on an OS thread
            try:
                connection = self._connection_class(self.host, self.port, timeout=self.timeout_s)
                connection.request(method, target, body=body, headers=sent)
                response = connection.getresponse()
                response_headers = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
                if response.getheader("content-type", "").startswith("text/event-stream"):
                    connection.sock.settimeout(None)  # the stream's read timeout is the bot's, in session time
                    box["value"] = (response.status, response_headers, response, connection)
                else:
                    box["value"] = (response.status, response_headers, response.read(), None)
                    connection.close()
            except BaseException as error:  # noqa: BLE001 - handed to the waiting greenlet
                box["error"] = error
            finally:
                self.loop.run_callback_threadsafe(event.set)

        self.loop.pending_io += 1
        try:
            self._start_thread(work, ())
            event.wait()
        finally:
            self.loop.pending_io -= 1
        if "error" in box:
            raise box["error"]
        status, response_headers, payload, connection = box["value"]
        if connection is not None:
            payload = RealStream(payload, connection, self.loop, gevent.event.Event(), self._start_thread)
        return status, response_headers, payload
