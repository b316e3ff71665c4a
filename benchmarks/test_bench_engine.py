"""Throughput of the engine and the exchange core against a bare sortedcontainers book.

One seeded stream for all: ~2,000 resting orders after warm-up, then N timed commands, half adds and
half cancels, ~20% of adds crossing. Every round rebuilds the warm state untimed (`pedantic` setup) and
times the batch through a minimal driver loop. Targets on one core: engine >= 1,000,000 ops/s, exchange
core >= 500,000 ops/s. Speed is reported, never asserted; the assertions are about correctness (every
target ends with the same book).

Run: `pytest benchmarks/ -q` (not part of the default `pytest` run).
"""

from __future__ import annotations

import pytest
from command_stream import ADD, command_stream
from naive_book import NaiveBook

from cmi_sim.engine import Fill, MatchingEngine, OrderCancelled
from cmi_sim.exchange import Exchange, ExchangeRules
from cmi_sim.products import CMI_SYMBOLS, cmi_products

N_COMMANDS = 20_000
ROUNDS = 15
WARMUP, COMMANDS = command_stream(N_COMMANDS)
TS = 1_772_289_000_000_000_000


def drive_naive(book: NaiveBook, commands) -> int:
    add, cancel = book.add, book.cancel
    for cmd in commands:
        if cmd[0] is ADD:
            add(cmd[2], cmd[3], cmd[4], cmd[5])
        else:
            cancel(cmd[1])
    return book.resting_count()


def drive_engine(engine: MatchingEngine, commands) -> None:
    submit, cancel = engine.submit, engine.cancel
    ts = TS
    for cmd in commands:
        if cmd[0] is ADD:
            submit(ts, cmd[1], cmd[2], cmd[3], cmd[4], cmd[5])
        else:
            cancel(ts, cmd[1], cmd[2])


def drive_exchange(exchange: Exchange, commands) -> None:
    place, cancel = exchange.place, exchange.cancel
    ts = TS
    for cmd in commands:
        if cmd[0] is ADD:
            place(ts, cmd[1], cmd[2], cmd[3], cmd[4], cmd[5])
        else:
            cancel(ts, cmd[2], cmd[1])


def warm_naive() -> NaiveBook:
    book = NaiveBook(CMI_SYMBOLS)
    drive_naive(book, WARMUP)
    return book


def warm_engine() -> MatchingEngine:
    engine = MatchingEngine(CMI_SYMBOLS)
    drive_engine(engine, WARMUP)
    return engine


def warm_exchange(rules: ExchangeRules) -> Exchange:
    exchange = Exchange(cmi_products(), rules)
    drive_exchange(exchange, WARMUP)
    return exchange


@pytest.fixture(scope="module")
def ops_results(request):
    """name -> operations per second, printed side by side once the module's benchmarks have run."""
    results: dict[str, float] = {}
    yield results
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if not results or reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line("operations per second (N commands / mean batch time; best round)")
        for name, ops in results.items():
            # compare like with like: a best round with the baseline's best round
            baseline = results.get("naive_book (best round)" if name.endswith("(best round)") else "naive_book")
            ratio = f"  {ops / baseline:5.2f}x naive book" if baseline else ""
            reporter.write_line(f"  {name:<36} {ops:>12,.0f} ops/s{ratio}")


def run_benchmark(benchmark, ops_results, name, warm, drive):
    """Time `drive(state, COMMANDS)` on a fresh warm state per round; record ops/s; return the last state."""
    states = []

    def setup():
        state = warm()
        states[:] = [state]  # keep only the latest, so old states do not load the collector
        return (state, COMMANDS), {}

    benchmark.pedantic(drive, setup=setup, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    ops = N_COMMANDS / benchmark.stats.stats.mean
    best = N_COMMANDS / benchmark.stats.stats.min
    benchmark.extra_info.update(ops_per_second=round(ops), best_ops_per_second=round(best), commands=N_COMMANDS)
    ops_results[name] = ops
    ops_results[f"{name} (best round)"] = best
    return states[-1]


def expected_state() -> tuple[int, int]:
    """(resting orders, fills) after the stream, from the engine run once outside any timing."""
    engine = warm_engine()
    submit = engine.submit
    fills = 0
    for cmd in COMMANDS:
        if cmd[0] is ADD:
            fills += sum(1 for e in submit(TS, *cmd[1:]) if type(e) is Fill)
        else:
            engine.cancel(TS, cmd[1], cmd[2])
    engine._check()
    return len(engine.resting_order_ids()), fills


def test_stream_has_the_advertised_shape():
    adds = [c for c in COMMANDS if c[0] is ADD]
    assert len(WARMUP) == 2000
    assert 0.45 < len(adds) / len(COMMANDS) < 0.55
    engine = warm_engine()
    engine._check()
    crossing = 0
    for cmd in adds:
        bid, ask = engine.best_prices(cmd[2])
        _, _, _, side, price, _ = cmd
        crossing += (ask is not None and price >= ask) if side == 1 else (bid is not None and price <= bid)
    # measured against the warm book, which keeps ~2,000 orders around the same mid during the run
    assert 0.15 < crossing / len(adds) < 0.25
    resting, _ = expected_state()
    assert 1900 < resting < 2100


def test_naive_book(benchmark, ops_results):
    book = run_benchmark(benchmark, ops_results, "naive_book", warm_naive, drive_naive)
    assert book.resting_count() == expected_state()[0]


def test_engine(benchmark, ops_results):
    engine = run_benchmark(benchmark, ops_results, "engine", warm_engine, drive_engine)
    engine._check()
    assert len(engine.resting_order_ids()) == expected_state()[0]


def test_exchange_core(benchmark, ops_results):
    """Default rules, but a limit the stream never reaches: the limit check runs and passes."""
    exchange = run_benchmark(benchmark, ops_results, "exchange", lambda: warm_exchange(
        ExchangeRules(position_limit=1_000_000)), drive_exchange)
    exchange.engine._check()
    resting, fills = expected_state()
    assert len(exchange.engine.resting_order_ids()) == resting
    assert len(exchange.tape) - len(warm_exchange(ExchangeRules(position_limit=1_000_000)).tape) == fills
    ledger = exchange.ledger
    for product in CMI_SYMBOLS:
        assert sum(p.get(product, 0) for p in ledger.positions.values()) == 0


def test_exchange_core_default_limit(benchmark, ops_results):
    """The real ±100 limit: many orders are rejected, which shows what a rejection costs."""
    exchange = run_benchmark(benchmark, ops_results, "exchange (limit 100)", lambda: warm_exchange(
        ExchangeRules()), drive_exchange)
    exchange.engine._check()
    rejected = sum(1 for e in exchange.log if type(e).__name__ == "OrderRejected")
    assert rejected > 0
    assert any(type(e) is OrderCancelled for e in exchange.log)
