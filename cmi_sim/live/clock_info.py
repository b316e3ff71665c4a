"""The session clock over HTTP: what `GET /cmi-sim/clock` answers, and how a client maps it onto its own
clock (the server's session time at the midpoint of the request's round trip)."""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass

from cmi_sim.exchange import format_timestamp

CLOCK_PATH = "/cmi-sim/clock"


def describe(now_ns: int, speed: float, session: str | None, start_ns: int | None, end_ns: int | None,
             open_ns: int | None, close_ns: int | None) -> dict:
    """The clock document: session time now, its speed, the session's window and trading hours."""
    def stamp(ns: int | None) -> str | None:
        return None if ns is None else format_timestamp(ns)

    return {"now": stamp(now_ns), "now_ns": now_ns, "speed": speed, "session": session,
            "start": stamp(start_ns), "end": stamp(end_ns), "end_ns": end_ns,
            "open": stamp(open_ns), "close": stamp(close_ns)}


def wall_clock_info() -> dict:
    """The clock of a `serve` without a session: the wall clock, at speed 1, without an end."""
    return describe(time.time_ns(), 1.0, None, None, None, None, None)


@dataclass(frozen=True)
class ServerClock:
    """A server's session clock mapped onto this machine's monotonic clock: the session time was
    `session_ns` when `time.monotonic_ns()` read `local_monotonic_ns`, and it runs `speed` times as fast."""

    session_ns: int
    local_monotonic_ns: int
    speed: float
    session: str | None
    end_ns: int | None

    def now_ns(self, monotonic_ns: int | None = None) -> int:
        local = time.monotonic_ns() if monotonic_ns is None else monotonic_ns
        return self.session_ns + int((local - self.local_monotonic_ns) * self.speed)


class ClockError(RuntimeError):
    """The server did not answer its clock (not a cmi-sim serve, or not reachable)."""


def read_server_clock(base_url: str, timeout_s: float = 10.0) -> ServerClock:
    """Ask a running `cmi-sim serve` for its session clock."""
    url = base_url.rstrip("/") + CLOCK_PATH
    sent = time.monotonic_ns()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - a URL the user gave
            info = json.loads(response.read())
    except (OSError, ValueError) as error:
        raise ClockError(f"cannot read the session clock at {url}: {error}") from None
    received = time.monotonic_ns()
    try:
        return ServerClock(int(info["now_ns"]), (sent + received) // 2, float(info["speed"]), info.get("session"),
                           None if info.get("end_ns") is None else int(info["end_ns"]))
    except (KeyError, TypeError, ValueError):
        raise ClockError(f"{url} did not answer a cmi-sim session clock: {info!r}"[:300]) from None
