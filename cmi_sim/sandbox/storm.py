"""Request storms: a bot stuck reconnecting or retrying, in a loop that only moves virtual time by the
request latency, crawls at about real time and floods its output. The monitor counts, per window of
virtual time, stream opens and failed requests (refused, or an answer of 400 or more) against
successful ones; past a threshold with no other progress it stops the run with a message that names
the loop (the bot's innermost frame making the request).

It wraps the world's router, so every client (requests, aiohttp, httpx, urllib) is counted; the
cost on the hot path is one call and two comparisons per request.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

from cmi_sim.sandbox.environment import ConnectionRefused, Reply, StreamReply

__all__ = ["StormMonitor"]

_NS = 1_000_000_000


class StormMonitor:
    def __init__(self, router: Any, runtime: Any, bot_dir: Path) -> None:
        self._router = router
        self._runtime = runtime
        config = runtime.config
        self._window_ns = round(config.storm_window_s * _NS)
        self._max_opens = config.storm_stream_opens
        self._max_failures = config.storm_failures
        self._now_ns = runtime.clock.now_ns
        self._bot_dir = str(bot_dir) + os.sep
        self._window_start = -1
        self._opens = self._failures = self._successes = 0

    def route(self, method: str, url: str, headers: Any, body: Any) -> Reply | StreamReply:
        try:
            reply = self._router(method, url, headers, body)
        except ConnectionRefused:
            self._count(url, failed=True)
            raise
        if reply.status >= 400:
            self._count(url, failed=True)
        elif type(reply) is StreamReply:
            self._count(url, opened=True)
        else:
            self._successes += 1
        return reply

    def _count(self, url: str, *, failed: bool = False, opened: bool = False) -> None:
        now = self._now_ns()
        if now - self._window_start >= self._window_ns:
            self._window_start, self._opens, self._failures, self._successes = now, 0, 0, 0
        self._opens += opened
        self._failures += failed
        if self._opens >= self._max_opens and self._successes < self._opens:
            self._stop(url, f"{self._opens} stream opens")
        elif self._failures >= self._max_failures and self._successes * 10 < self._failures:
            self._stop(url, f"{self._failures} failed requests")

    def _stop(self, url: str, what: str) -> None:
        frame = _bot_frame(sys._getframe(2), self._bot_dir)
        where = f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}" if frame else "unknown"
        seconds = self._window_ns / _NS
        message = (f"request storm: {what} in {seconds:g} virtual s ({url}) with {self._successes} successful "
                   f"requests: the loop at {where} retries without backing off; the run was stopped")
        stack = "".join(traceback.format_stack(frame)) if frame else ""
        self._runtime.on_storm({"message": message, "where": where, "url": url, "stack": stack,
                                "stream_opens": self._opens, "failures": self._failures,
                                "successes": self._successes})


def _bot_frame(frame: Any, bot_dir: str) -> Any:
    """The innermost frame in the bot's own folder, else the innermost outside libraries."""
    fallback = None
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(bot_dir):
            return frame
        if fallback is None and "site-packages" not in name and "/cmi_sim/" not in name and \
                not name.startswith(sys.prefix) and not name.startswith("<"):
            fallback = frame
        frame = frame.f_back
    return fallback
