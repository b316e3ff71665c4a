"""The compiled hot path (`_cmatching`) against the Python reference engine.

The two must give the same events, field for field and type for type, for any command sequence,
including malformed commands; leave the same books; and the compiled one must not leak. The engine's
scenario tests, the differential matcher and the exchange state machine also run on both (see
`each_engine` in tests/conftest.py); this module adds the head-to-head comparison on arbitrary input.
"""

from __future__ import annotations

import gc
import itertools
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmi_sim.engine import BUY, SELL, MatchingEngine
from cmi_sim.engine.events import MAX_QUANTITY
from cmi_sim.engine.matching import COMPILED, PyMatchingEngine

PRODUCTS = ("P", "Q")
OWNERS = ("a", "b", "c")
REPO = Path(__file__).resolve().parents[2]


def test_the_compiled_engine_was_built():
    """The install compiles the accelerator (a C compiler is part of the supported setup); without it the
    engine still works, at about half the speed (see the fallback test below)."""
    assert COMPILED
    assert MatchingEngine is not PyMatchingEngine
    for hot in ("submit", "cancel", "accepted", "own_volumes"):
        assert getattr(MatchingEngine, hot) is not getattr(PyMatchingEngine, hot)
        assert type(getattr(MatchingEngine, hot)).__name__ == "method_descriptor"  # defined in C


def same_events(got: list, want: list) -> None:
    assert [type(e) for e in got] == [type(e) for e in want]
    assert got == want
    # field types too: 1 and True compare equal, but the wire would show them differently
    assert [[type(field) for field in e] for e in got] == [[type(field) for field in e] for e in want]


def book_snapshot(engine) -> tuple:
    return (tuple(engine.depth(p) for p in PRODUCTS), tuple(engine.order(i) for i in engine.resting_order_ids()),
            tuple(engine.orders_of(o) for o in OWNERS),
            tuple(list(engine.own_volumes(o, p).items()) for o in (*OWNERS, "nobody") for p in PRODUCTS))


def apply(engine, step: int, command: tuple) -> list:
    kind, *args = command
    if kind == "submit":
        return engine.submit(step, *args)
    if kind == "cancel":
        return engine.cancel(step, *args)
    if kind == "cancel_kw":
        order_id, owner, reason = args
        return engine.cancel(step, order_id=order_id, owner=owner, reason=reason)
    if kind == "reduce":
        return engine.reduce(step, *args)
    return engine.cancel_at_price(step, *args)


def run_head_to_head(commands: list[tuple], self_trade: str, check_every_step: bool = False) -> None:
    compiled = MatchingEngine(PRODUCTS, self_trade=self_trade)
    reference = PyMatchingEngine(PRODUCTS, self_trade=self_trade)
    for step, command in enumerate(commands):
        same_events(apply(compiled, step, command), apply(reference, step, command))
        if check_every_step:
            compiled._check()
            assert book_snapshot(compiled) == book_snapshot(reference), f"after step {step}: {command}"
    compiled._check()
    reference._check()
    assert book_snapshot(compiled) == book_snapshot(reference)
    for order_id in (*range(len(commands) + 2), True, "1", None):
        assert compiled.accepted(order_id) == reference.accepted(order_id)


odd_values = st.sampled_from([0, -1, 2, True, False, 1.0, None, "1", MAX_QUANTITY, MAX_QUANTITY + 1, 2**64, -2**64])
owners = st.sampled_from(OWNERS)
order_ids = st.one_of(st.integers(min_value=1, max_value=10), st.sampled_from([0, True, 1.0, "3", None, 2**70]))
good_submits = st.tuples(st.just("submit"), owners, st.sampled_from(PRODUCTS), st.sampled_from([BUY, SELL]),
                         st.integers(min_value=97, max_value=103), st.integers(min_value=1, max_value=6))
odd_submits = st.tuples(st.just("submit"), owners, st.sampled_from(PRODUCTS + ("NOPE",)),
                        st.one_of(st.sampled_from([BUY, SELL]), odd_values),
                        st.one_of(st.integers(min_value=97, max_value=103), odd_values),
                        st.one_of(st.integers(min_value=1, max_value=6), odd_values))
cancels = st.tuples(st.just("cancel"), st.integers(min_value=1, max_value=10), st.one_of(owners, st.just(None)))
commands = st.one_of(
    good_submits, good_submits, good_submits, cancels, cancels,  # mostly orders that trade and cancels that hit
    odd_submits,
    st.tuples(st.just("cancel"), order_ids, st.one_of(owners, st.just(None), st.just(""))),
    st.tuples(st.just("cancel_kw"), order_ids, st.one_of(owners, st.just(None)), st.sampled_from(["user", "x"])),
    st.tuples(st.just("reduce"), order_ids, st.integers(min_value=0, max_value=6), st.one_of(owners, st.just(None))),
    st.tuples(st.just("cancel_at_price"), owners, st.sampled_from(PRODUCTS), st.integers(min_value=97, max_value=103)),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(commands, min_size=10, max_size=80), st.sampled_from(["allow", "prevent"]))
def test_compiled_engine_gives_the_reference_events_for_any_commands(command_list, self_trade):
    run_head_to_head(command_list, self_trade, check_every_step=True)


@pytest.mark.parametrize("self_trade", ["allow", "prevent"])
def test_compiled_engine_gives_the_reference_events_on_a_long_busy_stream(self_trade):
    rng = random.Random(11)
    stream = []
    for issued in range(1, 6000):
        roll = rng.random()
        if roll < 0.55:
            stream.append(("submit", rng.choice(OWNERS), rng.choice(PRODUCTS), rng.choice((BUY, SELL)),
                           100 + rng.randint(-8, 8), rng.randint(1, 9)))
        elif roll < 0.9:
            stream.append(("cancel", rng.randint(1, issued), rng.choice(OWNERS + (None,))))
        elif roll < 0.97:
            stream.append(("reduce", rng.randint(1, issued), rng.randint(1, 4), None))
        else:
            stream.append(("cancel_at_price", rng.choice(OWNERS), rng.choice(PRODUCTS), 100 + rng.randint(-8, 8)))
    run_head_to_head(stream, self_trade)


def test_both_engines_draw_from_a_shared_sequence_alike():
    for engine_class in (MatchingEngine, PyMatchingEngine):
        seq = itertools.count(50)
        engine = engine_class(PRODUCTS, sequence=seq)
        assert [e.seq for e in engine.submit(1, "a", "P", BUY, 100, 1)] == [50]
        assert next(seq) == 51
        assert [e.seq for e in engine.cancel(2, 1)] == [52]


def test_an_exhausted_sequence_is_an_error_not_a_crash():
    for engine_class in (MatchingEngine, PyMatchingEngine):
        engine = engine_class(PRODUCTS, sequence=iter([1]))
        engine.submit(1, "a", "P", BUY, 100, 1)
        with pytest.raises((RuntimeError, StopIteration)):
            engine.submit(2, "a", "P", BUY, 100, 1)


@pytest.mark.parametrize("call", [
    lambda e: e.submit(1, "a", "P", BUY, 100),
    lambda e: e.cancel(1),
    lambda e: e.cancel(1, 2, "a", "user", "extra"),
    lambda e: e.cancel(1, 2, colour="red"),
    lambda e: e.cancel(1, 2, owner="a", order_id=3),
    lambda e: e.submit(1, "a", ["unhashable"], BUY, 100, 1),
    lambda e: e.cancel(1, ["unhashable"]),
    lambda e: e.accepted(["unhashable"]),
    lambda e: e.own_volumes("a"),
    lambda e: e.own_volumes(["unhashable"], "P"),
])
def test_malformed_calls_raise_type_errors_on_both(call):
    for engine_class in (MatchingEngine, PyMatchingEngine):
        engine = engine_class(PRODUCTS)
        with pytest.raises(TypeError):
            call(engine)
        engine._check()


def test_own_volumes_of_an_unknown_product_is_a_key_error_once_the_owner_has_orders():
    for engine_class in (MatchingEngine, PyMatchingEngine):
        engine = engine_class(PRODUCTS)
        assert engine.own_volumes("a", "NOPE") == {}
        engine.submit(1, "a", "P", BUY, 100, 1)
        with pytest.raises(KeyError):
            engine.own_volumes("a", "NOPE")


def test_python_code_reads_and_writes_the_compiled_layouts():
    """Reduce, depth views and the wire renderer work on the compiled Level and BookSide."""
    engine = MatchingEngine(PRODUCTS)
    engine.submit(1, "a", "P", BUY, 100, 5)
    engine.submit(1, "b", "P", BUY, 100, 2)
    bids = engine.books["P"].bids
    level = bids.levels[100]
    assert (bids.side, bids.sign, bids.keys, bids.best_price()) == (BUY, -1, [-100], 100)
    assert (level.price, level.volume, dict(level.orders)) == (100, 7, {1: 5, 2: 2})
    engine.reduce(2, 1, 3)
    assert level.volume == 5 and [lv.price for lv in bids.sorted_levels()] == [100]
    with pytest.raises(AttributeError):
        level.orders = {}  # the structure is fixed; only the volume is written from Python
    engine._check()


def test_the_compiled_engine_does_not_leak(assert_no_leak):
    """Many rounds of a busy stream on fresh engines: traced memory stays flat once they are gone."""
    rng = random.Random(3)
    stream = [("submit", rng.choice(OWNERS), "P", rng.choice((BUY, SELL)), 100 + rng.randint(-3, 3),
               rng.randint(1, 5)) if i % 2 else ("cancel", rng.randint(1, i + 1), None) for i in range(3000)]
    stream += [("submit", "a", "P", BUY, 0, 1), ("cancel", 10**9, "b"), ("submit", "a", "NOPE", BUY, 1, 1)]

    def rounds(n: int) -> None:
        for _ in range(n):
            engine = MatchingEngine(PRODUCTS, self_trade="prevent")
            for step, command in enumerate(stream):
                apply(engine, step, command)
            del engine
        gc.collect()

    assert_no_leak(rounds, warm=2)


def test_without_the_compiled_module_the_engine_is_the_python_reference():
    """A machine without a C compiler installs without the accelerator: the engine tests pass on the
    Python engine alone."""
    code = ("import sys; sys.modules['cmi_sim.engine._cmatching'] = None; "
            "from cmi_sim.engine import matching, book; "
            "assert not matching.COMPILED and matching.MatchingEngine is matching.PyMatchingEngine; "
            "assert book.Level.__module__ == 'cmi_sim.engine.book'; "
            "import pytest; "
            "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-x', "
            "'tests/unit/test_engine_matching.py', 'tests/unit/test_engine_reduce.py', "
            "'tests/property/test_differential_matching.py']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout
