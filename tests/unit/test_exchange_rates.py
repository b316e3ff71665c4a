"""Rate accounting: requests counted per whole second of exchange time, per account; off/report/enforce."""

from __future__ import annotations

from cmi_sim.exchange import Exchange, ExchangeRules
from cmi_sim.exchange.rates import RateMeter
from cmi_sim.products import cmi_products

S = 1_000_000_000


def test_report_mode_accepts_every_request_but_counts_violations():
    ex = Exchange(cmi_products(), ExchangeRules(rate_limit="report"))
    assert all(ex.record_request(10 * S + i, "a") for i in range(3))
    stats = ex.rates.stats("a")
    assert (stats.requests, stats.violations) == (3, 2)


def test_enforce_mode_refuses_requests_beyond_the_allowance():
    ex = Exchange(cmi_products(), ExchangeRules(rate_limit="enforce", requests_per_second=2))
    assert [ex.record_request(10 * S + i, "a") for i in range(4)] == [True, True, False, False]
    assert ex.record_request(11 * S, "a")  # a new second
    assert ex.rates.stats("a").violations == 2


def test_off_mode_neither_refuses_nor_counts():
    ex = Exchange(cmi_products(), ExchangeRules(rate_limit="off"))
    assert all(ex.record_request(10 * S, "a") for _ in range(5))
    assert ex.rates.stats("a").requests == 0 and ex.rates.accounts() == []


def test_requests_are_counted_per_whole_second_not_sliding_window():
    meter = RateMeter(1)
    assert meter.record("a", 10 * S + 999_999_999)
    assert meter.record("a", 11 * S)  # 1 ns later, but a new second
    assert not meter.record("a", 11 * S + 999_999_999)  # same second as the previous one
    assert meter.stats("a").violations == 1


def test_accounts_are_counted_separately():
    meter = RateMeter(1)
    assert meter.record("a", 5 * S)
    assert meter.record("b", 5 * S)
    assert not meter.record("a", 5 * S + 1)
    assert (meter.stats("a").violations, meter.stats("b").violations) == (1, 0)
    assert meter.accounts() == ["a", "b"]


def test_unknown_account_has_empty_stats():
    assert RateMeter().stats("nobody").requests == 0
