"""Fans the dashboard's frames out to every open browser: rendered once, the same bytes for all.

A render task runs while at least one browser is connected: every `interval` seconds it renders a frame
if the exchange changed (and at least every `heartbeat` seconds, so the clock moves). A browser that falls
`MAX_BACKLOG` frames behind is dropped; its EventSource reconnects and starts from a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from cmi_sim.api.wire import dumps
from cmi_sim.dashboard.view import MarketView

MAX_BACKLOG = 64
log = logging.getLogger(__name__)


def sse_data(payload: object) -> bytes:
    return b"data: " + dumps(payload) + b"\n\n"


class Viewer:
    """One open dashboard stream: frames waiting to be written, and a wake-up for its writer."""

    def __init__(self) -> None:
        self.frames: deque[bytes] = deque()
        self.closed = False
        self.wake = asyncio.Event()

    def push(self, frame: bytes) -> None:
        if len(self.frames) >= MAX_BACKLOG:
            self.closed = True
        else:
            self.frames.append(frame)
        self.wake.set()

    def take(self) -> bytes:
        chunk = b"".join(self.frames)
        self.frames.clear()
        return chunk


class DashboardHub:
    def __init__(self, view: MarketView, interval: float = 0.25, heartbeat: float = 1.0) -> None:
        self.view = view
        self.interval = interval
        self.heartbeat = heartbeat
        self.viewers: list[Viewer] = []
        self.frames_rendered = 0
        self._task: asyncio.Task | None = None

    def open(self) -> Viewer:
        """A new viewer, primed with the snapshot; starts the render task if it was idle."""
        viewer = Viewer()
        idle = self._task is None or self._task.done()
        if idle:  # nothing was sampled while nobody watched
            self.view.catch_up()
        viewer.push(sse_data(self.view.snapshot()))
        self.viewers.append(viewer)
        if idle:
            self._task = asyncio.get_running_loop().create_task(self._render_loop())
        return viewer

    def close(self, viewer: Viewer) -> None:
        viewer.closed = True
        viewer.wake.set()
        if viewer in self.viewers:
            self.viewers.remove(viewer)

    def close_all(self) -> None:
        for viewer in list(self.viewers):
            self.close(viewer)

    async def _render_loop(self) -> None:
        last = time.monotonic()
        while self.viewers:
            await asyncio.sleep(self.interval)
            if not (self.view.changed or time.monotonic() - last >= self.heartbeat):
                continue
            last = time.monotonic()
            try:
                frame = sse_data(self.view.frame())
            except Exception:  # a bug must not stop the frames for good, nor touch the API
                log.exception("the dashboard could not render a frame")
                continue
            self.frames_rendered += 1
            for viewer in list(self.viewers):
                viewer.push(frame)
                if viewer.closed:
                    self.close(viewer)
