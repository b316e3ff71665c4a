"""The dashboard's market-wide view of an exchange: one frame for everyone, history sampled per frame."""

from __future__ import annotations

from cmi_sim.dashboard.view import MarketView
from cmi_sim.exchange import Accounts, Exchange, ExchangeRules, TradingHours
from cmi_sim.products import CMI_SYMBOLS, cmi_products

BUY, SELL = 1, -1


def make_view(now=1_000):
    accounts = Accounts()
    accounts.add_hashed("mm", "reserved-for-the-synthetic-market")
    exchange = Exchange(cmi_products(), ExchangeRules(rate_limit="off"), TradingHours(0, 10_000), accounts)
    clock = [now]
    return exchange, MarketView(exchange, lambda: clock[0]), clock


def test_a_change_only_bumps_a_counter_and_the_frame_reads_the_books():
    exchange, view, _ = make_view()
    assert view.changed  # never rendered
    view.frame()
    assert not view.changed
    exchange.place(10, "mm", "TIDE_SPOT", BUY, 100, 5)
    exchange.place(11, "mm", "TIDE_SPOT", BUY, 99, 4)
    exchange.place(12, "mm", "TIDE_SPOT", SELL, 103, 2)
    assert view.version == 3 and view.changed  # one per command
    frame = view.frame()
    assert [p["symbol"] for p in frame["products"]] == list(CMI_SYMBOLS)
    tide = frame["products"][0]
    assert tide["bids"] == [[100, 5], [99, 4]] and tide["asks"] == [[103, 2]]
    assert tide["bidDepth"] == 9 and tide["last"] is None
    assert frame["points"]["TIDE_SPOT"] == [[1_000, 100, 103, None]]
    assert frame["hours"] == [None, 10_000] and frame["open"] is True and frame["settlement"] is None


def test_history_keeps_only_moves_and_a_snapshot_does_not_take_a_frames_points():
    exchange, view, clock = make_view()
    exchange.place(10, "mm", "WX_SPOT", BUY, 50, 1)
    view.frame()
    clock[0] = 2_000
    assert "WX_SPOT" not in view.frame()["points"]  # nothing moved
    exchange.place(20, "mm", "WX_SPOT", BUY, 51, 1)
    clock[0] = 3_000
    snapshot = view.snapshot()
    assert snapshot["snapshot"] and snapshot["points"]["WX_SPOT"] == [[1_000, 50, None, None]]
    assert view.frame()["points"]["WX_SPOT"] == [[3_000, 51, None, None]]  # still there for the others
    assert view.history["WX_SPOT"] == [[1_000, 50, None, None], [3_000, 51, None, None]]


def test_leaderboard_scores_the_players_among_themselves_and_lists_the_market_after_them():
    exchange, view, _ = make_view()
    for name in ("alice", "bob"):
        exchange.login(name, "pw")
    exchange.place(10, "mm", "LON_ETF", SELL, 100, 5)
    exchange.place(11, "alice", "LON_ETF", BUY, 100, 3)
    exchange.place(12, "mm", "LON_ETF", BUY, 90, 5)
    exchange.place(13, "bob", "LON_ETF", SELL, 90, 1)  # last trade 90: alice -30, bob 0, mm +30
    rows = view.leaderboard()
    assert [(r["account"], r["pnl"], r["score"], r["market"]) for r in rows] == [
        ("bob", 0.0, 0.0, False), ("alice", -30.0, -4.0, False), ("mm", 30.0, None, True)]  # LON_ETF weighs 4
    assert rows[1]["positions"] == {"LON_ETF": 3}


def test_own_lists_a_users_open_volume_by_side_and_price():
    exchange, view, _ = make_view()
    exchange.place(10, "alice", "LHR_COUNT", BUY, 70, 2)
    exchange.place(11, "alice", "LHR_COUNT", BUY, 70, 3)
    exchange.place(12, "alice", "LHR_COUNT", SELL, 80, 1)
    own = view.own("alice")
    assert own["orders"]["LHR_COUNT"] == {"BUY": {"70": 5}, "SELL": {"80": 1}}
    assert own["orders"]["TIDE_SPOT"] == {"BUY": {}, "SELL": {}}
    assert own["positions"] == {} and own["totalPnl"] == 0


def test_trades_printed_while_nobody_watched_join_the_history():
    exchange, view, clock = make_view()
    exchange.place(10, "mm", "TIDE_SWING", SELL, 100, 5)
    exchange.place(20, "alice", "TIDE_SWING", BUY, 100, 1)
    exchange.place(30, "alice", "TIDE_SWING", BUY, 100, 1)
    view.catch_up()
    assert view.history["TIDE_SWING"] == [[20, None, None, 100], [30, None, None, 100]]
    view.frame()  # sampled at 1_000
    clock[0] = 5_000
    exchange.place(2_000, "alice", "TIDE_SWING", BUY, 100, 1)
    view.catch_up()  # only what came after the last frame
    assert [p[0] for p in view.history["TIDE_SWING"]] == [20, 30, 1_000, 2_000]
