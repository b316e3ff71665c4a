"""The market stream: a daemon thread reading ``GET /api/market/stream`` and dispatching events.

It reconnects forever (after a short pause) when the stream ends or fails, because the exchange
drops idle or broken connections and a bot must survive that; only ``stop()`` ends it.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import traceback
from collections.abc import Callable

import requests

from .connection import Connection
from .parsing import book_from_stream, trades_from_json
from .sse import iter_events
from .types import OrderBook, Trade

STREAM_PATH = "/api/market/stream"
# The exchange pings at least every 15 s, so 30 s of silence means a dead connection.
READ_TIMEOUT_SECONDS = 30
RECONNECT_DELAY_SECONDS = 1.0
JOIN_TIMEOUT_SECONDS = 5.0
# A chunked body (the exchange's) yields each chunk as it arrives, whatever this size.
STREAM_CHUNK_BYTES = 1024


class SSEThread(threading.Thread):
    """Reads the stream and calls ``on_orderbook`` / ``on_trades`` from this thread."""

    def __init__(
        self,
        connection: Connection,
        on_orderbook: Callable[[OrderBook], None],
        on_trades: Callable[[list[Trade]], None],
    ) -> None:
        super().__init__(name="cmi-sse", daemon=True)
        self._connection = connection
        self._on_orderbook = on_orderbook
        self._on_trades = on_trades
        self._stopping = threading.Event()
        self._response: requests.Response | None = None
        self.connections = 0  # how many times the stream was opened (tests and diagnostics)

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._read_stream_once()
            except Exception as exc:  # noqa: BLE001 - any failure means: reconnect
                if not self._stopping.is_set():
                    print(f"[cmi-sse] stream error, reconnecting: {exc!r}", file=sys.stderr)
            finally:
                self._close_response()
            self._stopping.wait(RECONNECT_DELAY_SECONDS)

    def stop(self) -> None:
        self._stopping.set()
        self._close_response()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=JOIN_TIMEOUT_SECONDS)

    def _read_stream_once(self) -> None:
        headers = self._connection.headers() | {"Accept": "text/event-stream; charset=utf-8"}
        response = requests.get(
            self._connection.url(STREAM_PATH), headers=headers, stream=True, timeout=READ_TIMEOUT_SECONDS
        )
        self._response = response
        if self._stopping.is_set():
            return
        response.raise_for_status()
        self.connections += 1
        for event in iter_events(response.iter_content(STREAM_CHUNK_BYTES)):
            if self._stopping.is_set():
                return
            self._dispatch(event.event, event.data)

    def _dispatch(self, kind: str, data: str) -> None:
        # A bad event or a bug in the bot's callback is reported, but must not drop the stream.
        try:
            if kind == "order":
                self._on_orderbook(book_from_stream(json.loads(data)))
            elif kind == "trade":
                self._on_trades(trades_from_json(json.loads(data)))
        except Exception:  # noqa: BLE001
            print(f"[cmi-sse] error handling {kind!r} event:", file=sys.stderr)
            traceback.print_exc()

    def _close_response(self) -> None:
        response = self._response
        if response is None:
            return
        self._response = None
        _shutdown_socket(response)
        try:
            response.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


def _shutdown_socket(response: requests.Response) -> None:
    """Wake a reader blocked in ``recv`` on another thread; ``close()`` alone does not on Linux.

    Non-socket transports (such as an in-process simulator) have no socket; nothing to do then.
    """
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
