"""The coordinator's side of the arena: one exchange, its market and data APIs, many participants.

`Venue.handle` answers one participant's request at the venue's current virtual time, the way the
backtest's `ExchangeEnvironment.route` does for a single bot (data API hosts, then `/api/...`, anything
else refused), plus one arena rule: an account belongs to the first participant that logs into it;
another participant's login to it gets a 401 (two copies of a bot must trade as two accounts).

Stream frames are collected per open stream after every event (`take_frames`) so the coordinator
can deliver them to the owning bot process at the event's virtual time.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from cmi_sim.api.order_request import BadRequest, parse_login
from cmi_sim.api.service import STREAM_PATH, error_reply
from cmi_sim.api.streams import Subscription
from cmi_sim.arena.protocol import REFUSED, REPLY, STREAM
from cmi_sim.sandbox.reply import JSON_HEADERS
from cmi_sim.backtest.adapter.exchange_environment import STREAM_HEADERS, _target
from cmi_sim.backtest.adapter.rejections import RejectionCount, count_reply
from cmi_sim.exchange import JsonlSink
from cmi_sim.sessions import Session
from cmi_sim.simulation import Simulation

__all__ = ["Venue", "LOGIN_PATH"]

LOGIN_PATH = "/api/user/authenticate"


class Venue:
    def __init__(self, session: Session, seed: int | None, events_path: Path, market: bool = True) -> None:
        if not market:
            session = dataclasses.replace(session, market={"kind": "none"})
        self.session = session
        self.now_ns = session.open_ns
        # The event journal: every event on file as it happens (a killed run keeps what it did), none in memory.
        self.journal = JsonlSink(events_path)
        self.simulation = Simulation(session, self._clock, seed=seed, journal=self.journal)
        self.exchange = self.simulation.exchange
        self.service = self.simulation.service
        self.data = self.simulation.data
        self.market_accounts = frozenset(self.simulation.market.accounts) if self.simulation.market else frozenset()
        self.owner: dict[str, int] = {}  # account -> participant index, in order of first login
        self._streams: dict[int, tuple[int, Subscription]] = {}  # stream id -> (participant, subscription)
        self._next_stream = 0
        self.settled_pnl: dict[str, dict[str, float]] | None = None
        self.rejected = RejectionCount()  # refused requests, counted as a backtest counts them

    def _clock(self) -> int:
        return self.now_ns

    # -- world events ------------------------------------------------------------------------------
    def market_step(self, t_ns: int) -> int | None:
        self.now_ns = t_ns
        return self.simulation.market_step(t_ns)

    def settle(self, t_ns: int) -> None:
        self.now_ns = t_ns
        self.settled_pnl = self.simulation.settle(t_ns)

    # -- requests ----------------------------------------------------------------------------------
    def handle(self, participant: int, t_ns: int, method: str, url: str, headers: dict[str, str],
               body: bytes | None) -> tuple:
        """(kind, status, headers, payload) for one request of `participant` at `t_ns`."""
        self.now_ns = t_ns
        host, path, query = _target(url)
        if host in self.data.hosts:
            status, payload = self.data.handle(method, url, headers, body, now_ns=t_ns)
            return REPLY, status, dict(JSON_HEADERS), json.dumps(payload).encode()
        if not path.startswith("/api/"):
            return REFUSED, 0, {}, b""
        if path == STREAM_PATH and method.upper() == "GET":
            opened = self.service.open_stream(headers)
            if not isinstance(opened, Subscription):
                return REPLY, opened.status, dict(opened.headers), opened.body
            self._next_stream += 1
            self._streams[self._next_stream] = (participant, opened)
            return STREAM, 200, dict(STREAM_HEADERS), self._next_stream
        if path == LOGIN_PATH and method.upper() == "POST":
            refusal = self._foreign_account(participant, body)
            if refusal is not None:
                count_reply(self.rejected, self.service, method, path, headers, refusal)
                return REPLY, refusal.status, dict(refusal.headers), refusal.body
        reply = self.service.handle(method, path, dict(query), headers, body or b"")
        count_reply(self.rejected, self.service, method, path, headers, reply)
        if path == LOGIN_PATH and reply.status == 200:
            self.owner.setdefault(parse_login(body or b"")[0], participant)
        return REPLY, reply.status, dict(reply.headers), reply.body

    def _foreign_account(self, participant: int, body: bytes | None) -> Any:
        try:
            username, _ = parse_login(body or b"")
        except BadRequest:
            return None  # the service explains what is wrong with the body
        owner = self.owner.get(username)
        if owner is None or owner == participant:
            return None
        return error_reply(401, f"account {username!r} already trades for another participant of this arena "
                                f"(#{owner + 1}); give each bot its own account")

    def accounts_of(self, participant: int) -> list[str]:
        return [name for name, owner in self.owner.items() if owner == participant]

    # -- streams -----------------------------------------------------------------------------------
    def take_frames(self) -> list[tuple[int, int, bytes]]:
        """(participant, stream id, chunk) for every stream with new frames; b"" for one the server closed."""
        out = []
        closed = []
        for stream_id, (participant, subscription) in self._streams.items():
            if subscription.frames:
                out.append((participant, stream_id, subscription.take()))
            if subscription.closed:
                out.append((participant, stream_id, b""))
                closed.append(stream_id)
        for stream_id in closed:
            self.close_stream(stream_id)
        return out

    def close_stream(self, stream_id: int, participant: int | None = None) -> None:
        entry = self._streams.get(stream_id)
        if entry is None or (participant is not None and entry[0] != participant):
            return  # unknown, already closed, or not this participant's
        del self._streams[stream_id]
        self.service.close_stream(entry[1])

    def close_streams_of(self, participant: int) -> None:
        for stream_id in [sid for sid, (owner, _) in self._streams.items() if owner == participant]:
            self.close_stream(stream_id)

    # -- the end -----------------------------------------------------------------------------------
    def pnl(self) -> dict[str, dict[str, float]]:
        if self.settled_pnl is not None:
            return self.settled_pnl
        return {name: self.exchange.pnl(name) for name in self.exchange.ledger.accounts()}

    def close(self) -> None:
        self.journal.close()
