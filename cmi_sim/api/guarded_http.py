"""uvicorn's h11 protocol with a header timeout: a connection that does not finish sending a request's
headers within `HEADER_TIMEOUT_SECONDS` (after connecting, or after its previous response) is closed.

uvicorn times out only idle keep-alive connections, and any byte resets that timer, so a client that
sends half a request line and waits (slowloris) holds a connection forever. Header size is already
bounded by h11 (`h11_max_incomplete_event_size`); body reads are bounded in time by the front door.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_SECONDS = 10.0


class GuardedH11Protocol(H11Protocol):
    header_timeout = HEADER_TIMEOUT_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_timer: asyncio.TimerHandle | None = None
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._header_timer is not None and self.cycle is not self._waiting_after:
            self._header_timer.cancel()  # a request's headers arrived: it runs under the app's timeouts
            self._header_timer = None

    def on_response_complete(self) -> None:
        self._arm_header_timer()  # before a pipelined request may start a new cycle in super()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._waiting_after = self.cycle  # the cycle before the awaited request (None at first)
        self._header_timer = self.loop.call_later(self.header_timeout, self._on_header_timeout)

    def _on_header_timeout(self) -> None:
        self._header_timer = None
        if self.cycle is self._waiting_after and not self.transport.is_closing():
            self.transport.close()
