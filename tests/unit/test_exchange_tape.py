"""The trade tape: strictly increasing timestamps, same-nanosecond fills spread 1 ns apart, `since`."""

from __future__ import annotations

from cmi_sim.engine import BUY, SELL
from cmi_sim.exchange import Exchange, TradeTape
from cmi_sim.products import Product


def test_trades_in_the_same_nanosecond_are_spread_one_ns_apart():
    tape = TradeTape()
    stamps = [tape.record(100, "P", "a", "b", 1, 10).ts for _ in range(3)]
    assert stamps == [100, 101, 102]


def test_trade_stamped_before_the_last_one_moves_after_it():
    tape = TradeTape()
    tape.record(100, "P", "a", "b", 1, 10)
    tape.record(100, "P", "a", "b", 1, 10)
    assert tape.record(50, "P", "a", "b", 1, 10).ts == 102
    assert tape.record(500, "P", "a", "b", 1, 10).ts == 500


def test_since_returns_trades_at_or_after_a_time():
    tape = TradeTape()
    for ts in (10, 20, 30):
        tape.record(ts, "P", "a", "b", 1, ts)
    assert [t.ts for t in tape.since(20)] == [20, 30]
    assert [t.ts for t in tape.since(21)] == [30]
    assert [t.ts for t in tape.since(31)] == []
    assert [t.ts for t in tape.since()] == [10, 20, 30]
    assert tape.since() is not tape.trades


def test_last_price_per_product():
    tape = TradeTape()
    assert tape.last_price("P") is None
    tape.record(1, "P", "a", "b", 1, 10)
    tape.record(2, "Q", "a", "b", 1, 20)
    tape.record(3, "P", "a", "b", 1, 11)
    assert (tape.last_price("P"), tape.last_price("Q"), len(tape)) == (11, 20, 3)


def test_one_order_sweeping_several_makers_prints_increasing_stamps():
    ex = Exchange([Product("P")])
    for owner in "bcd":
        ex.place(1_000, owner, "P", SELL, 10, 1)
    result = ex.place(2_000, "a", "P", BUY, 10, 3)
    assert [t.ts for t in result.trades] == [2_000, 2_001, 2_002]
    assert [(t.buyer, t.seller) for t in result.trades] == [("a", "b"), ("a", "c"), ("a", "d")]
    # The fills keep the caller's timestamp; only the tape spreads them.
    assert {e.ts for e in result.events} == {2_000}
    times = [t.ts for t in ex.tape.trades]
    assert all(a < b for a, b in zip(times, times[1:]))
