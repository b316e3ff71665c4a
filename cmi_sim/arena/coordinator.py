"""The arena's coordinator: one virtual clock, one exchange, one OS process per bot, in lock-step.

A conservative parallel discrete-event simulation. Each bot process runs its sandbox until nothing
is runnable before its *horizon*, then reports (the requests it sent, its next timer) and blocks.
The coordinator owns the venue (exchange, market, data APIs) and the only global order of events.

The lookahead is half the request latency ``d``: a request sent at ``s`` reaches the venue at
``s + d``. For each bot ``b`` the coordinator keeps ``S_b``, the earliest arrival of a request it
has not heard of yet: ``next timer + d`` after a report, lowered to ``t + d`` whenever something is
delivered to ``b`` at ``t`` (the bot may react at once).

One round:

1. Process every venue event that is safe, in virtual time order. A world event (market step,
   the session end with settlement) at ``W`` is safe when ``W <= min S``; the requests arriving at
   ``R`` are safe when ``R < min S`` (then all of them are known) and run in the order
   (arrival, participant index, sequence number). At an equal instant world events come first, as
   "market data at T is published before bot wake-ups at T" in a backtest. Replies and the frames
   of every stream are queued for their bots with the event's time.
2. Grant each bot the horizon ``H_b = min(next world event, next queued request, min over the other
   bots of S_c)``: nothing can be delivered to ``b`` before it. Bots with something queued or a timer
   before their horizon are sent a grant (replies, frames at their times, ``H_b``) and all run in
   parallel; the coordinator waits for every one of their reports, checks them (a request arriving
   before the bot's ``S_b`` breaks causality: the bot process is stopped and reported failed) and
   goes on.

Nothing here depends on real time or on the order in which reports come in, so the same spec gives
the same events. A bot process that exits (its bot ended, crashed, called ``os._exit``, hit a limit)
is dropped from the bounds and the others run on. Latency must be above zero (no lookahead, no
progress).
"""

from __future__ import annotations

import heapq
import os
import resource
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from cmi_sim.arena.protocol import MessageReader, ProtocolError, decode_report, encode_grant, set_timeouts, \
    write_message
from cmi_sim.arena.venue import Venue

__all__ = ["BotLaunch", "Coordinator", "BotState"]

INF = 1 << 62
MESSAGE_TIMEOUT_S = 10.0  # real seconds a bot process may take to finish a message it started
TICK_S = 1.0  # the coordinator's receive timeout: how often it looks at the wall clock while it waits
BOT_TICK_S = 0.5  # the bot process's receive timeout: it tells its watchdog it is waiting, not stuck
EXIT_TIMEOUT_S = 5.0  # real seconds a bot process that closed its channel gets to exit
FLUSH_EVERY_NS = 600_000_000_000


@dataclass
class BotLaunch:
    """How to start one bot process (built by the run planner)."""

    index: int
    name: str
    command: list[str]  #: the bot process's argv, with ``{fd}`` standing for its end of the socketpair
    env: dict[str, str]
    cwd: str
    stdout_path: Path
    stderr_path: Path
    memory_mb: int | None = None
    cpu_s: float | None = None


@dataclass
class BotState:
    launch: BotLaunch
    proc: Any = None
    sock: Any = None
    fd: int = -1
    reader: Any = None
    alive: bool = True
    bound: int = 0  # S_b: earliest arrival of a request not yet reported
    next_due: int = INF
    frames: list = field(default_factory=list)
    replies: list = field(default_factory=list)
    n_requests: int = 0
    n_grants: int = 0
    end_reason: str | None = None  # why the coordinator stopped it (protocol, wall limit)
    exit_code: int | None = None
    left_at_ns: int | None = None  # virtual time of its last report


class Coordinator:
    def __init__(self, venue: Venue, launches: list[BotLaunch], end_ns: int, latency_ns: int, settle: bool,
                 wall_limit_s: float = 3600.0, progress: Callable[[int], None] | None = None,
                 cadence_ns: int = 0) -> None:
        if latency_ns < 2:
            raise ValueError("the arena needs a request latency above zero: half of it is the lookahead that "
                             "lets bots run in parallel")
        self.venue = venue
        self.bots = [BotState(launch) for launch in launches]
        self.start_ns = venue.session.open_ns
        self.end_ns = end_ns
        self.half_ns = latency_ns // 2
        self.cadence_ns = cadence_ns  #: 0: stream frames at once; else at multiples of it from the open
        self.settle_at_end = settle
        self.wall_limit_s = wall_limit_s
        self.progress = progress
        self.queue: list[tuple[int, int, int, tuple]] = []  # (arrival, participant, seq, request)
        self.market_at = self.start_ns if venue.simulation.market is not None else INF
        self.end_at = end_ns  # the session end (settlement when `settle`), a world event
        self.n_rounds = 0
        self._next_flush = 0
        self.n_messages = 0
        self.wall_limited = False

    # -- processes -----------------------------------------------------------------------------------
    def start(self) -> None:
        for bot in self.bots:
            ours, theirs = socket.socketpair()
            set_timeouts(theirs, receive_s=BOT_TICK_S)
            launch = bot.launch
            command = [part.replace("{fd}", str(theirs.fileno())) for part in launch.command]
            limits = (launch.memory_mb, launch.cpu_s)
            with open(launch.stdout_path, "wb") as out, open(launch.stderr_path, "wb") as err:
                bot.proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=launch.env,
                                            cwd=launch.cwd, pass_fds=(theirs.fileno(),),
                                            preexec_fn=lambda limits=limits: _apply_limits(*limits))
            theirs.close()
            set_timeouts(ours, receive_s=TICK_S, send_s=MESSAGE_TIMEOUT_S)
            bot.sock = ours
            bot.fd = ours.fileno()
            bot.reader = MessageReader(bot.fd)
            bot.bound = self.start_ns + self.half_ns  # bots start at the open without a grant
            bot.next_due = self.start_ns

    # -- the run -------------------------------------------------------------------------------------
    def run(self) -> None:
        self._deadline = time.monotonic() + self.wall_limit_s
        self._message_started: float | None = None
        self._collect(list(self.bots))  # each bot runs its start-up and first code, then reports
        while True:
            live = [bot for bot in self.bots if bot.alive]
            if not live:
                break
            self._advance_venue(live)
            chosen = self._choose(live)
            if not chosen:
                self._stall(live)
                break
            for bot, horizon in chosen:
                self._grant(bot, horizon)
            self.n_rounds += 1
            self._collect([bot for bot, _ in chosen])
        self.venue.close()

    def _advance_venue(self, live: list[BotState]) -> None:
        """Every safe venue event, in virtual time order."""
        queue = self.queue
        while True:
            bound = min([bot.bound for bot in live])
            world = self.market_at if self.market_at < self.end_at else self.end_at
            arrival = queue[0][0] if queue else INF
            if world <= arrival and world <= bound and world < INF:
                self._world_event(world)
            elif arrival < bound and arrival < INF:
                self._requests_at(arrival)
            else:
                return

    def _choose(self, live: list[BotState]) -> list[tuple[BotState, int]]:
        """The bots to grant, each with its horizon: the earliest time something could be delivered to it
        that the coordinator does not know yet (the next venue event, or another bot's next request)."""
        world = self.market_at if self.market_at < self.end_at else self.end_at
        arrival = self.queue[0][0] if self.queue else INF
        deliver_at = self._delivery_time
        # stream frames of a world event reach the bots at its delivery time; a queued request may bring
        # its sender a reply at its arrival, so it stays as it is
        venue_next = min(deliver_at(world), arrival)
        lowest = second = INF
        lowest_bot = None
        for bot in live:
            if bot.bound < lowest:
                lowest, second, lowest_bot = bot.bound, lowest, bot
            elif bot.bound < second:
                second = bot.bound
        lowest, second = deliver_at(lowest), deliver_at(second)
        chosen = []
        for bot in live:
            other = second if bot is lowest_bot else lowest
            horizon = venue_next if venue_next < other else other
            if bot.replies or (bot.frames and bot.frames[0][0] < horizon) or bot.next_due < horizon:
                chosen.append((bot, horizon))
        return chosen

    def _delivery_time(self, t_ns: int) -> int:
        """When the stream frames of a venue event at `t_ns` reach the bots: at once, or with a
        publication cadence, at the next multiple of it from the open."""
        cadence = self.cadence_ns
        if not cadence or t_ns >= INF:
            return t_ns
        offset = t_ns - self.start_ns
        return self.start_ns + -(-offset // cadence) * cadence

    def _world_event(self, t_ns: int) -> None:
        venue = self.venue
        if t_ns == self.market_at:
            try:
                wake = venue.market_step(t_ns)
            except Exception as error:  # noqa: BLE001 - the market stops, the run goes on
                self.market_error = repr(error)
                wake = None
            # as in a backtest: a wake asked for the past or now runs at once, nothing at or after the end
            self.market_at = max(wake, t_ns) if wake is not None and wake < self.end_ns else INF
            if t_ns >= self._next_flush:  # the journal reaches the OS every 10 virtual minutes
                venue.journal.flush()
                self._next_flush = t_ns + FLUSH_EVERY_NS
                if self.progress is not None:
                    self.progress(t_ns)
        else:
            self.end_at = INF
            if self.settle_at_end:
                venue.settle(t_ns)
            else:
                venue.now_ns = t_ns
        self._route_frames(t_ns)

    def _requests_at(self, t_ns: int) -> None:
        queue, venue, bots, half = self.queue, self.venue, self.bots, self.half_ns
        while queue and queue[0][0] == t_ns:
            _, index, seq, (method, url, headers, body) = heapq.heappop(queue)
            bot = bots[index]
            if not bot.alive:
                continue  # its process left after sending: nobody waits for the reply
            kind, status, reply_headers, payload = venue.handle(index, t_ns, method, url, headers, body)
            bot.replies.append((seq, kind, status, reply_headers, payload))
            if t_ns + half < bot.bound:
                bot.bound = t_ns + half
            self._route_frames(t_ns)

    def _route_frames(self, t_ns: int) -> None:
        bots = self.bots
        at = self._delivery_time(t_ns)
        reach = at + self.half_ns
        batched = self.cadence_ns != 0  # with a cadence, a stream's frames of one publication are one chunk
        for participant, stream_id, chunk in self.venue.take_frames():
            bot = bots[participant]
            if not bot.alive:
                continue
            frames = bot.frames
            if batched and chunk and frames and frames[-1][0] == at and frames[-1][1] == stream_id and frames[-1][2]:
                frames[-1] = (at, stream_id, frames[-1][2] + chunk)
            else:
                frames.append((at, stream_id, chunk))
            if reach < bot.bound:
                bot.bound = reach

    def _grant(self, bot: BotState, horizon: int) -> None:
        try:
            write_message(bot.fd, encode_grant(horizon, bot.frames, bot.replies))
        except BlockingIOError:  # the send timeout: its socket buffer stayed full
            self._leave(bot, "protocol: the bot process stopped reading its grants")
            return
        except OSError:
            pass  # the process is gone: its end of file shows up in _collect
        bot.frames, bot.replies = [], []
        bot.n_grants += 1
        self.n_messages += 1

    def _collect(self, waiting: list[BotState]) -> None:
        """Wait for a report (or the end) of every bot in `waiting` and apply them, in participant order.

        The bots run in parallel meanwhile; reading them in a fixed order costs nothing (every report is
        needed before the run goes on) and keeps the order of effects independent of real time."""
        if time.monotonic() >= self._deadline:
            self._wall_limit()
            return
        for bot in waiting:
            if not bot.alive:
                continue
            try:
                payload = bot.reader.read(self._waiting)
                report = None if payload is None else decode_report(payload)
            except _WallLimit:
                self._wall_limit()
                return
            except (ProtocolError, OSError) as error:
                report = error
            self._apply_report(bot, report)

    def _waiting(self, in_message: bool) -> None:
        """At every receive timeout: the wall limit, and a message that started but never ends."""
        now = time.monotonic()
        if now >= self._deadline:
            raise _WallLimit()
        if not in_message:
            self._message_started = None
        elif self._message_started is None:
            self._message_started = now
        elif now - self._message_started > MESSAGE_TIMEOUT_S:
            self._message_started = None
            raise ProtocolError("the bot process stopped in the middle of a message")

    def _apply_report(self, bot: BotState, report: Any) -> None:
        if report is None:
            self._leave(bot, None)
            return
        if isinstance(report, Exception):
            self._leave(bot, f"protocol: {report}")
            return
        now_ns, next_due, requests, closed = report
        for stream_id in closed:
            self.venue.close_stream(stream_id, bot.launch.index)
        index = bot.launch.index
        for arrival, seq, method, url, headers, body in requests:
            if arrival < bot.bound:
                self._leave(bot, f"protocol: a request arriving at {arrival} before the bound {bot.bound}")
                return
            heapq.heappush(self.queue, (arrival, index, seq, (method, url, headers, body)))
        bot.n_requests += len(requests)
        bot.left_at_ns = now_ns
        bot.next_due = INF if next_due is None else next_due
        bot.bound = bot.next_due + self.half_ns if next_due is not None else INF

    def _leave(self, bot: BotState, reason: str | None) -> None:
        """The bot's process ended (or is stopped for `reason`): the others run on without it."""
        if not bot.alive:
            return
        bot.alive = False
        bot.bound = bot.next_due = INF
        bot.end_reason = reason
        bot.frames, bot.replies = [], []
        if reason is not None and bot.proc.poll() is None:
            bot.proc.kill()
        try:
            bot.exit_code = bot.proc.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # it closed its channel but lives on: it is done all the same
            bot.proc.kill()
            bot.exit_code = bot.proc.wait()
        bot.sock.close()
        self.venue.close_streams_of(bot.launch.index)

    def _stall(self, live: list[BotState]) -> None:
        """Nobody can move (every bot waits on nothing): stop them all."""
        for bot in live:
            self._leave(bot, "stalled: every bot process waits and nothing is scheduled")

    def _wall_limit(self) -> None:
        self.wall_limited = True
        for bot in self.bots:
            if bot.alive:
                self._leave(bot, "wall_limit")

    def shutdown(self) -> None:
        """Kill every bot process still running (after an error in the coordinator)."""
        for bot in self.bots:
            if bot.proc is not None and bot.proc.poll() is None:
                bot.proc.kill()
                bot.proc.wait()


class _WallLimit(Exception):
    """The run's wall-clock limit passed while the coordinator waited for a report."""


def _apply_limits(memory_mb: int | None, cpu_s: float | None) -> None:
    """In the bot process before exec: its own session and the resource limits (its network namespace
    comes first thing in the process, see `cmi_sim.sandbox.netns`)."""
    os.setsid()  # a Ctrl-C to the arena reaches the coordinator, which stops the bots itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_mb:
        size = int(memory_mb) << 20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    if cpu_s:
        seconds = max(1, int(cpu_s))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
