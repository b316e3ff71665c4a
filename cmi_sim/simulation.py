"""A run assembled from a session: the exchange, its API service, the world's data APIs and the market.

The caller owns time. It passes a clock (a callable giving UTC nanoseconds) that the API service stamps
requests with, and calls `market_step(now_ns)` whenever the market asked to be woken:

    sim = Simulation(load_session("london-2026-02-28"), clock)
    wake = sim.market_step(sim.session.open_ns)
    while wake is not None:          # a backtest moves its virtual clock to `wake` (running the bot
        wake = sim.market_step(wake)  # in between); `serve` sleeps until then in scaled wall time
    pnl = sim.settle(sim.session.end_ns)

Everything here is single-writer: the caller serialises `market_step` with the service's requests.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from cmi_sim.api.service import ExchangeService
from cmi_sim.exchange import Accounts, EventSink, Exchange, ExchangeRules, TradingHours
from cmi_sim.market import MarketParams, SyntheticMarket
from cmi_sim.market.as_of import WorldAsOf
from cmi_sim.products import cmi_products
from cmi_sim.sessions import Session, SessionError
from cmi_sim.world import WorldDataService

if TYPE_CHECKING:
    from replay.market import ReplayMarket

# A stored hash no password matches: market accounts cannot be logged into, even in open mode.
_NO_LOGIN = "reserved-for-the-synthetic-market"


class Simulation:
    """One run of a session.

    - `clock`: the current time in UTC ns, for the API service (virtual in a backtest, wall in `serve`).
    - `accounts`: the login book; by default open mode with tokens and salts from a seeded generator.
    - `seed`: the run's seed (default the session's); it seeds order ids and, with the session's
      `[market].seed`, the synthetic market.
    - `rules`, `hours`: override the session's exchange rules and trading hours (flags of `serve`).
    - `journal`: where the exchange's events go (see `cmi_sim.exchange.journal`; default: kept in memory).
    """

    def __init__(self, session: Session, clock: Callable[[], int], accounts: Accounts | None = None,
                 seed: int | None = None, rules: ExchangeRules | None = None,
                 hours: TradingHours | None = None, journal: EventSink | None = None) -> None:
        self.session = session
        self.seed = session.seed if seed is None else seed
        try:
            rules = rules or ExchangeRules.from_mapping(dict(session.rules))
        except ValueError as error:
            raise SessionError(f"{session.name}: {error}") from None
        hours = hours or TradingHours(session.open_ns, session.close_ns)
        accounts = accounts if accounts is not None else Accounts(rng=random.Random(f"accounts {self.seed}"))
        self.exchange = Exchange(cmi_products(dict(session.products)), rules, hours, accounts, journal)
        self.service = ExchangeService(self.exchange, clock, self.seed)
        self.data: WorldDataService = session.data_service()
        self.market = self._build_market(session, hours)
        if self.market is not None:
            for name in self.market.accounts:
                if name not in accounts:
                    accounts.add_hashed(name, _NO_LOGIN)

    def _build_market(self, session: Session, hours: TradingHours) -> SyntheticMarket | ReplayMarket | None:
        kind = session.market.get("kind", "none")
        if kind == "none":
            return None
        if kind == "replay":
            from replay.market import ReplayMarket  # replay sits beside the API layer; only replays need it

            try:
                return ReplayMarket.from_recording(self.exchange, session.market["recording"], hours.open_ns,
                                                   hours.close_ns, session.market.get("params", {}))
            except (OSError, ValueError) as error:
                raise SessionError(f"{session.name}: [market].recording: {error}") from None
        if kind != "synthetic":
            raise SessionError(f"{session.name}: unknown [market].kind {kind!r}")
        try:
            params = MarketParams.from_mapping(session.market.get("params", {}))
        except ValueError as error:
            raise SessionError(f"{session.name}: {error}") from None
        market_seed = f"{self.seed}/{session.market.get('seed', 0)}"
        data = WorldAsOf(session.world, session.tide_publication_lag_ns)
        return SyntheticMarket(self.exchange, data, session.start_ns, session.end_ns, hours.open_ns,
                               hours.close_ns, market_seed, params)

    def market_step(self, now_ns: int) -> int | None:
        """Let the market act at `now_ns`; the next time it wants to act, or None (no market, or it is
        done). Call it again at (or after) that time; calling earlier is harmless."""
        if self.market is None:
            return None
        return self.market.step(now_ns)

    def fair_value(self, product: str, ts: int) -> int | None:
        """The synthetic market's fair value in ticks (None without a synthetic market)."""
        return self.market.fair_value(product, ts) if self.market is not None else None

    def settle(self, now_ns: int) -> dict[str, dict[str, float]]:
        """Close the market at the session's settlement values; final PnL per account and product."""
        return self.exchange.settle(now_ns, self.session.settlement_values)
