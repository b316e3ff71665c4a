"""What the dashboard shows, read from the exchange: one JSON-ready frame for everyone.

The exchange listener only counts changes (O(1) per change, on the API's hot path); the work of reading
books, the tape and the accounts happens here, when the hub renders a frame.
"""

from __future__ import annotations

from collections.abc import Callable

from cmi_sim.exchange import Exchange, competition_score

BOOK_LEVELS = 8  # price levels per side shown in a ladder
RECENT_TRADES = 40
HISTORY_POINTS = 2_400  # per product; older points are thinned, never the latest ones


class MarketView:
    """Market-wide state for the dashboard, with a bounded price history sampled at each frame."""

    def __init__(self, exchange: Exchange, clock: Callable[[], int]) -> None:
        self.exchange = exchange
        self.clock = clock
        self.version = 0  # bumped by every exchange change
        self._rendered_version = -1
        self.history: dict[str, list[list]] = {symbol: [] for symbol in exchange.products}
        self._sampled_until: int | None = None  # the time of the last frame's samples
        exchange.subscribe(self._on_change)

    def _on_change(self, events, trades) -> None:
        self.version += 1

    @property
    def changed(self) -> bool:
        return self.version != self._rendered_version

    def frame(self) -> dict:
        """The current state, plus the history points this frame adds (`points`): for every viewer."""
        self._rendered_version = self.version
        frame = self._state()
        self._sampled_until = frame["now"]
        points = {}
        for product in frame["products"]:
            bids, asks = product["bids"], product["asks"]
            point = [frame["now"], bids[0][0] if bids else None, asks[0][0] if asks else None, product["last"]]
            if self._append_point(product["symbol"], point):
                points[product["symbol"]] = [point]
        frame["points"] = points
        return frame

    def catch_up(self) -> None:
        """Add the trades printed while nobody watched (no frames were sampled then) to the history, as
        last-price points: a dashboard opened mid-session still charts the day so far."""
        exchange = self.exchange
        missed: dict[str, list[list]] = {}
        for trade in exchange.tape.since(None if self._sampled_until is None else self._sampled_until + 1):
            tick = exchange.products[trade.product].tick_size
            missed.setdefault(trade.product, []).append([trade.ts, None, None, trade.price * tick])
        for symbol, points in missed.items():
            step = max(1, len(points) // (HISTORY_POINTS // 4))  # keep room for live samples
            kept = points[::step]
            if kept[-1] is not points[-1]:
                kept.append(points[-1])
            history = self.history[symbol]
            history.extend(kept)
            history.sort(key=lambda point: point[0])

    def snapshot(self) -> dict:
        """A new viewer's first frame: the current state with the whole history (samples nothing, so the
        other viewers' next frame still carries every new point)."""
        frame = self._state()
        frame["points"] = {symbol: list(points) for symbol, points in self.history.items()}
        frame["snapshot"] = True
        return frame

    def _state(self) -> dict:
        exchange = self.exchange
        now = self.clock()
        products = []
        for symbol, product in exchange.products.items():
            tick = product.tick_size
            depth = exchange.depth(symbol)
            last = exchange.tape.last_price(symbol)
            products.append({"symbol": symbol, "tick": tick, "start": product.starting_price * tick,
                             "bids": [[lv.price * tick, lv.volume] for lv in depth.bids[:BOOK_LEVELS]],
                             "asks": [[lv.price * tick, lv.volume] for lv in depth.asks[:BOOK_LEVELS]],
                             "last": last * tick if last is not None else None,
                             "bidDepth": sum(lv.volume for lv in depth.bids),
                             "askDepth": sum(lv.volume for lv in depth.asks)})
        return {"now": now, "speed": getattr(self.clock, "speed", 1.0), "hours": self._hours(),
                "open": exchange.is_open(now), "settlement": exchange.settlement, "products": products,
                "trades": self._recent_trades(), "tradeCount": len(exchange.tape),
                "leaderboard": self.leaderboard()}

    def leaderboard(self) -> list[dict]:
        """Every account that traded: PnL per product and in total, position per product; the players
        (not the simulated market's accounts) ranked by their competition score among themselves, then
        the market's accounts by PnL, without a score (they are not competing)."""
        exchange = self.exchange
        pnl = {account: exchange.pnl(account) for account in exchange.ledger.accounts()}
        reserved = _market_accounts(exchange)
        scores = competition_score({a: by_product for a, by_product in pnl.items() if a not in reserved})
        rows = [{"account": account, "pnl": sum(by_product.values()), "score": scores.get(account),
                 "byProduct": by_product, "positions": exchange.positions(account),
                 "market": account in reserved}
                for account, by_product in pnl.items()]
        rows.sort(key=lambda row: (row["market"], -(row["score"] or 0.0), -row["pnl"], row["account"]))
        return rows

    def own(self, user: str) -> dict:
        """One user's open volume per product, side and price, with their positions and PnL."""
        exchange = self.exchange
        orders: dict[str, dict[str, dict[str, int]]] = {}
        for symbol, product in exchange.products.items():
            tick = product.tick_size
            sides: dict[str, dict[str, int]] = {"BUY": {}, "SELL": {}}
            for (side, price), volume in exchange.engine.own_volumes(user, symbol).items():
                if volume:
                    sides["BUY" if side == 1 else "SELL"][str(price * tick)] = volume
            orders[symbol] = sides
        pnl = exchange.pnl(user)
        return {"user": user, "orders": orders, "positions": exchange.positions(user), "pnl": pnl,
                "totalPnl": sum(pnl.values())}

    def _hours(self) -> list[int] | None:
        """[open, close] in ns, None for an open end (JSON numbers past 2**53 would lose their meaning)."""
        hours = self.exchange.hours
        if hours is None:
            return None
        return [hours.open_ns if hours.open_ns > 0 else None, hours.close_ns if hours.close_ns < 2**62 else None]

    def _recent_trades(self) -> list[list]:
        exchange = self.exchange
        trades = exchange.tape.trades[-RECENT_TRADES:]
        products = exchange.products
        return [[t.ts, t.product, t.price * products[t.product].tick_size, t.volume, t.buyer, t.seller]
                for t in reversed(trades)]

    def _append_point(self, symbol: str, point: list) -> bool:
        """Keep `point` unless it repeats the last one's prices; thin the oldest half when full."""
        history = self.history[symbol]
        if history and history[-1][1:] == point[1:]:
            return False
        history.append(point)
        if len(history) > HISTORY_POINTS:
            half = len(history) // 2
            history[:half] = history[:half:2]
        return True


def _market_accounts(exchange: Exchange) -> set[str]:
    """The simulated market's own accounts (nobody can log into them), to tell them from players."""
    accounts = exchange.accounts
    return {name for name in exchange.ledger.accounts() if accounts.is_reserved(name)}
