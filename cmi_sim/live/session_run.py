"""A session served live: its simulation on a scaled session clock, the market driven on the server's
event loop, and settlement at the session's end (the library behind `cmi-sim serve --session`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from cmi_sim.exchange import Accounts, EventSink, ExchangeRules, TradingHours, format_timestamp
from cmi_sim.market.live import SessionClock, drive_market
from cmi_sim.sessions import Session
from cmi_sim.simulation import Simulation


class LiveSession:
    """One session on a wall clock running `speed` times as fast, starting at `start_ns` (default: the
    trading open). `journal`: where the exchange's events go (a server keeps none: `NullSink`). Raises
    ValueError or SessionError on bad settings."""

    def __init__(self, session: Session, rules: ExchangeRules, hours: TradingHours, accounts: Accounts,
                 seed: int | None = None, speed: float = 1.0, start_ns: int | None = None,
                 journal: EventSink | None = None) -> None:
        self.session = session
        self.hours = hours
        self.clock = SessionClock(session.open_ns if start_ns is None else start_ns, speed)
        self.simulation = Simulation(session, self.clock, accounts=accounts, seed=seed, rules=rules, hours=hours,
                                     journal=journal)
        self.service = self.simulation.service
        self.data = self.simulation.data

    async def run_market(self, say: Callable[[str], None], warn: Callable[[str], None]) -> None:
        """Drive the market until it is done, then settle at the session's end (PnL is then final)."""
        clock, session = self.clock, self.session
        try:
            await drive_market(self.simulation.market_step, clock)
            while clock() < session.end_ns:
                await asyncio.sleep(min(clock.wall_seconds_until(session.end_ns), 0.5))
            if self.simulation.exchange.settlement is None:  # a journal may hold the settlement already
                self.simulation.settle(clock())
            values = ", ".join(f"{symbol} {value:.2f}" for symbol, value in session.settlement_values.items())
            say(f"cmi-sim: the session has ended and settled: {values}")
        except Exception as error:  # the server keeps serving; say why the market stopped
            warn(f"cmi-sim: the market stopped: {type(error).__name__}: {error}")
            raise

    def banner(self) -> list[str]:
        market = self.session.market.get("kind", "none")
        clock, hours = self.clock, self.hours
        return [
            f"  session: {self.session.name} ({market} market, seed {self.simulation.seed})",
            f"  clock: starts at {format_timestamp(clock.start_ns)[:19]}Z, speed {clock.speed:g}x; trading "
            f"{format_timestamp(hours.open_ns)[:19]}Z -> {format_timestamp(hours.close_ns)[:19]}Z",
        ]

    def clock_info(self) -> dict:
        """What `/cmi-sim/clock` answers (see `cmi_sim.live.clock_info`)."""
        from cmi_sim.live.clock_info import describe

        session = self.session
        return describe(self.clock(), self.clock.speed, session.name, session.start_ns, session.end_ns,
                        self.hours.open_ns, self.hours.close_ns)
