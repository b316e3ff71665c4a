"""The recorder: logs in like a bot and writes the stream, the tape, the products (and world data).

Threads: one reads the SSE stream, one polls the trade tape (and the product list first) through a
one-request-per-second gate, one per world API; the caller's thread shows status and handles stop.
Every network failure is a gap in the recording (disconnect, reconnect), never a crash.

An exchange that restarts is noticed two ways: it answers 401 (it forgot our token: we log in again at
once, no back-off), or its tape no longer holds the last trade we saw (`from` is inclusive, so a poll
always returns that trade first while the tape is the same). Either starts a new segment: a `restart`
gap record, and the tape is read from the new exchange's start, so no trade of the new run is lost.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from cmi_sim.client.sse import iter_events
from cmi_sim.exchange.timestamps import parse_timestamp
from replay.writer import RecordingWriter

STREAM_PATH = "/api/market/stream"
READ_TIMEOUT_S = 30.0  # the exchange pings every 15 s: 30 s of silence is a dead stream
REST_TIMEOUT_S = 10.0

# Free, keyless data APIs the challenge's products settle on (AeroDataBox needs a key: see --world-url).
DEFAULT_WORLD_URLS: dict[str, str] = {
    "tide": "https://environment.data.gov.uk/flood-monitoring/id/measures/"
            "0006-level-tidal_level-i-15_min-mAOD/readings?_sorted&_limit=8",
    "weather": "https://api.open-meteo.com/v1/forecast?latitude=51.5074&longitude=-0.1278"
               "&minutely_15=temperature_2m,relative_humidity_2m&past_days=1&forecast_days=2",
}


def _url(base: str, path: str) -> str:
    return base.rstrip("/") + "/" + path.lstrip("/")


def levels(side: dict[str, Any] | None, descending: bool) -> list[tuple[float, float]]:
    """An SSE book side {"<price>": {"marketVolume": v, ...}} as [(price, volume)], best first."""
    out = [(float(price), float(level["marketVolume"])) for price, level in (side or {}).items()]
    out.sort(reverse=descending)
    return out


@dataclass
class RecorderStatus:
    """What has been received so far (read by the status line; written by the recorder's threads)."""

    books: Counter[str] = field(default_factory=Counter)
    trades: int = 0
    gaps: int = 0
    segments: int = 1  # runs of the exchange seen (a restart that lost our token or the tape adds one)
    stream_connected: bool = False
    world_polls: Counter[str] = field(default_factory=Counter)
    world_errors: Counter[str] = field(default_factory=Counter)
    last_error: str = ""

    def line(self) -> str:
        books = " ".join(f"{symbol}:{count}" for symbol, count in sorted(self.books.items()))
        world = "".join(f" {k}:{v}/{self.world_errors[k]}err" for k, v in sorted(self.world_polls.items()))
        state = "live" if self.stream_connected else "DISCONNECTED"
        return (f"[{state}] books {sum(self.books.values())} ({books or '-'}) | trades {self.trades} | "
                f"gaps {self.gaps}{world}")


def _interrupt(response: requests.Response) -> None:
    """Unblock a thread reading `response`: closing it from another thread does not wake a blocked
    recv, shutting the socket down does (best effort: the attribute path is urllib3's)."""
    sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        response.close()
    except Exception:  # noqa: BLE001 - a dead socket may refuse; we are stopping anyway
        pass


class RateGate:
    """At most one request per `interval_s` (the exchange's rule is one REST request per second)."""

    def __init__(self, interval_s: float, stop: threading.Event) -> None:
        self.interval_s = interval_s
        self._stop = stop
        self._next = 0.0
        self._lock = threading.Lock()  # the stream thread logs in through the same gate

    def wait(self) -> bool:
        """Wait for the next slot; False if the recorder is stopping."""
        with self._lock:
            delay = self._next - time.monotonic()
            if delay > 0 and self._stop.wait(delay):
                return False
            self._next = time.monotonic() + self.interval_s
            return not self._stop.is_set()


class Recorder:
    """Record one exchange into `writer` until `stop()`.

    `wall_ns` stamps receive times (UTC ns); `rest_interval_s` spaces the exchange REST calls (login,
    products, trades); `world_urls` (name -> URL) are polled every `world_interval_s`.
    """

    def __init__(self, url: str, username: str, password: str, writer: RecordingWriter,
                 world_urls: dict[str, str] | None = None, world_interval_s: float = 60.0,
                 rest_interval_s: float = 1.05, backoff_s: tuple[float, float] = (0.5, 10.0),
                 wall_ns: Callable[[], int] = time.time_ns) -> None:
        self.url = url
        self.username = username
        self.password = password
        self.writer = writer
        self.world_urls = dict(world_urls or {})
        self.world_interval_s = world_interval_s
        self.backoff_s = backoff_s
        self.wall_ns = wall_ns
        self.status = RecorderStatus()
        self._stop = threading.Event()
        self._gate = RateGate(rest_interval_s, self._stop)
        self._token: str | None = None
        self._token_lock = threading.Lock()
        self._response: requests.Response | None = None
        self._last_trade_ts: int | None = None
        self._last_trade_text: str | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        targets: list[tuple[str, Callable[[], None]]] = [("stream", self._stream_loop), ("trades", self._trade_loop)]
        targets += [(f"world:{name}", lambda name=name, url=url: self._world_loop(name, url))
                    for name, url in self.world_urls.items()]
        for name, target in targets:
            thread = threading.Thread(target=target, name=f"record-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, join_timeout_s: float = 5.0) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            _interrupt(response)
        for thread in self._threads:
            thread.join(timeout=join_timeout_s)
        self.writer.flush()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if stopped meanwhile."""
        return self._stop.wait(seconds)

    # -- exchange REST ----------------------------------------------------------------------------

    def _login(self) -> str:
        with self._token_lock:
            if self._token is None:
                if not self._gate.wait():
                    raise InterruptedError("stopping")
                response = requests.post(_url(self.url, "/api/user/authenticate"),
                                         json={"username": self.username, "password": self.password},
                                         timeout=REST_TIMEOUT_S)
                token = response.headers.get("Authorization")
                if not response.ok or not token:
                    raise PermissionError(f"login as {self.username!r} failed: HTTP {response.status_code} "
                                          f"{response.text.strip()[:200]}")
                self._token = token
            return self._token

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        for attempt in range(2):
            token = self._login()
            if not self._gate.wait():
                raise InterruptedError("stopping")
            response = requests.get(_url(self.url, path), params=params, headers={"Authorization": token},
                                    timeout=REST_TIMEOUT_S)
            if response.status_code != 401 or attempt:
                break
            self._forget_token(token)  # a restarted exchange forgot our token: log in again at once
        response.raise_for_status()
        return response.json()

    def _forget_token(self, token: str) -> None:
        with self._token_lock:
            if self._token == token:  # not one that another thread already got anew
                self._token = None

    def _new_segment(self, reason: str) -> None:
        """The exchange restarted and its tape is not the one we read: read the new one from its start."""
        self.writer.gap(self.wall_ns(), "trades", "restart", reason)
        self._last_trade_ts = self._last_trade_text = None
        self.status.segments += 1

    # -- threads ----------------------------------------------------------------------------------

    def _outage(self, source: str, down: bool, detail: str, delay: float) -> tuple[bool, float]:
        """Record a disconnect once per outage; returns (down, next backoff delay)."""
        if not down:
            self.writer.gap(self.wall_ns(), source, "disconnect", detail)
            self.status.gaps += 1
        self.status.last_error = f"{source}: {detail}"[:120]
        return True, min(delay * 2, self.backoff_s[1])

    def _stream_loop(self) -> None:
        down, delay = False, self.backoff_s[0]
        retried_login = False
        while not self._stop.is_set():
            try:
                token = self._login()
                response = requests.get(_url(self.url, STREAM_PATH), stream=True, timeout=READ_TIMEOUT_S,
                                        headers={"Authorization": token, "Accept": "text/event-stream; charset=utf-8"})
                self._response = response
                if response.status_code == 401:
                    self._forget_token(token)
                    if not retried_login:  # log in again at once; a second 401 in a row backs off
                        retried_login = True
                        response.close()
                        continue
                response.raise_for_status()
                retried_login = False
                if down:
                    self.writer.gap(self.wall_ns(), "stream", "reconnect")
                down, delay = False, self.backoff_s[0]
                self.status.stream_connected = True
                for event in iter_events(response.iter_content(1024)):
                    if event.event == "order":
                        self._on_book(event.data)
                if self._stop.is_set():
                    break
                raise ConnectionError("the stream ended")
            except Exception as error:  # noqa: BLE001 - any failure: mark the gap, back off, reconnect
                self.status.stream_connected = False
                if self._stop.is_set():
                    break
                down, delay = self._outage("stream", down, f"{type(error).__name__}: {error}", delay)
                self._stop.wait(delay)
            finally:
                self.status.stream_connected = False
                if self._response is not None:
                    self._response.close()
                    self._response = None

    def _on_book(self, data: str) -> None:
        recv_ns = self.wall_ns()
        book = json.loads(data)
        product = book["productsymbol"]
        self.writer.book(recv_ns, product, levels(book.get("buyOrders"), True), levels(book.get("sellOrders"), False))
        self.status.books[product] += 1

    def _trade_loop(self) -> None:
        down, delay = False, self.backoff_s[0]
        have_products = False
        while not self._stop.is_set():
            try:
                if not have_products:
                    self.writer.products(self._get("/api/product"))
                    have_products = True
                token_before = self._token
                params = {"from": self._last_trade_text} if self._last_trade_text else None
                trades = self._get("/api/trade", params)
                if down:
                    self.writer.gap(self.wall_ns(), "trades", "reconnect")
                down, delay = False, self.backoff_s[0]
                if params is not None and self._tape_restarted(trades, token_before):
                    continue  # read the new tape from its start (the gate spaces the next request)
                self._on_trades(trades)
            except InterruptedError:
                break
            except Exception as error:  # noqa: BLE001
                if self._stop.is_set():
                    break
                down, delay = self._outage("trades", down, f"{type(error).__name__}: {error}", delay)
                self._stop.wait(delay)

    def _tape_restarted(self, trades: list[dict[str, Any]], token_before: str | None) -> bool:
        """Whether a poll `from` our last trade shows another tape (and a new segment was started)."""
        if token_before is not None and self._token != token_before:
            self._new_segment("the exchange forgot our login (401): it restarted")
            return True
        first = trades[0] if trades else None
        if first is None or parse_timestamp(first["timestamp"]) != self._last_trade_ts:
            self._new_segment("the exchange's tape no longer holds our last trade: it restarted")
            return True
        return False

    def _on_trades(self, trades: list[dict[str, Any]]) -> None:
        recv_ns = self.wall_ns()
        for trade in trades:
            ts = parse_timestamp(trade["timestamp"])
            # `from` is inclusive and tape times strictly increase: anything not newer was stored already.
            if self._last_trade_ts is not None and ts <= self._last_trade_ts:
                continue
            self.writer.trade(recv_ns, trade["timestamp"], ts, trade["product"], trade["buyer"], trade["seller"],
                              int(trade["volume"]), float(trade["price"]))
            self._last_trade_ts, self._last_trade_text = ts, trade["timestamp"]
            self.status.trades += 1

    def _world_loop(self, name: str, url: str) -> None:
        # Failures are data too: a line with the error, so a later reader knows what was unavailable.
        while not self._stop.is_set():
            recv_ns = self.wall_ns()
            try:
                response = requests.get(url, timeout=REST_TIMEOUT_S)
                try:
                    body: Any = response.json()
                except ValueError:
                    body = response.text[:10_000]
                self.writer.world(recv_ns, name, url, response.status_code, body, None)
                if not response.ok:
                    self.status.world_errors[name] += 1
            except Exception as error:  # noqa: BLE001
                self.writer.world(recv_ns, name, url, None, None, f"{type(error).__name__}: {error}")
                self.status.world_errors[name] += 1
            self.status.world_polls[name] += 1
            self._stop.wait(self.world_interval_s)
