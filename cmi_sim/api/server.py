"""Running the live API under uvicorn: in the foreground (`cmi-sim serve`) or in a thread (tests)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Sequence

import uvicorn
from fastapi import FastAPI

from cmi_sim.api.app import FrontDoor
from cmi_sim.api.guarded_http import GuardedH11Protocol


class ExchangeServer(uvicorn.Server):
    """A uvicorn server that closes open SSE streams as soon as shutdown starts, so it never waits on
    clients that keep reading."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning",
                 background: Sequence[Callable[[], Awaitable[None]]] = ()) -> None:
        """`background`: coroutine functions run on the server's loop while it serves (for example a
        synthetic market); they share the loop with the endpoints, so they too are single writers."""
        config = uvicorn.Config(FrontDoor(app), host=host, port=port, log_level=log_level, lifespan="off",
                                ws="none", timeout_graceful_shutdown=3, access_log=False, proxy_headers=False,
                                http=GuardedH11Protocol)
        super().__init__(config)
        self.app = app
        self.background = tuple(background)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets=None) -> None:
        self._loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(job()) for job in self.background]
        try:
            await super().serve(sockets)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def handle_exit(self, sig, frame) -> None:
        self._close_streams()
        super().handle_exit(sig, frame)

    @property
    def port(self) -> int:
        return self.servers[0].sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    def start_in_thread(self, timeout: float = 10.0) -> str:
        """Start serving in a background thread; returns the base URL once it accepts connections."""
        self._thread = threading.Thread(target=self.run, name="cmi-sim-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self.url

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit, close its streams and wait for the thread."""
        self._close_streams()
        self.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)

    def call(self, fn, *args):
        """Run `fn(*args)` on the server's event loop (the single writer) and return its result."""
        if self._loop is None:
            return fn(*args)
        future = asyncio.run_coroutine_threadsafe(_call(fn, *args), self._loop)
        return future.result(timeout=10)

    def _close_streams(self) -> None:
        loop, state = self._loop, self.app.state
        if loop is None or loop.is_closed():
            return

        def close() -> None:
            state.shutdown.set()
            state.service.streams.close_all()
            for watch in list(state.stream_watches):
                watch.give_up(only_if_sending=True)  # a reader that stopped reading would hold shutdown

        loop.call_soon_threadsafe(close)


async def _call(fn, *args):
    return fn(*args)
