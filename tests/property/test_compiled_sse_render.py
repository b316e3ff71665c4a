"""The compiled SSE side renderer (`_csse.render_side`) against its Python reference.

Both must give the same bytes for any book and any viewer's own volumes, on the compiled engine's book
layout; the renderer falls back to Python where the C loop cannot go (a huge tick) and for mappings
that are not dicts; and the wire tests pass without the extension, as on a machine with no compiler.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cmi_sim.api import wire
from cmi_sim.api.wire import SseBookRenderer
from cmi_sim.engine import BUY, SELL
from cmi_sim.engine.book import OrderBook
from cmi_sim.engine.events import MAX_QUANTITY
from cmi_sim.exchange import Exchange, ExchangeRules
from cmi_sim.products import Product

REPO = Path(__file__).resolve().parents[2]
render_side = wire._render_side_compiled


def test_the_compiled_renderer_was_built():
    assert render_side is not None
    assert type(render_side).__name__ == "builtin_function_or_method"


def both(renderer: SseBookRenderer, own: dict | None) -> list[tuple[bytes, bytes]]:
    book = renderer.book
    return [(render_side(side, own, renderer.tick), renderer._render_side_py(side, own))
            for side in (book.bids, book.asks)]


orders = st.lists(
    st.tuples(st.sampled_from((BUY, SELL)), st.integers(1, MAX_QUANTITY), st.integers(1, MAX_QUANTITY),
              st.sampled_from(("me", "you"))),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(orders=orders, tick=st.sampled_from((1, 2, 5, 100, 2**31)), cancel_every=st.integers(2, 7))
def test_the_same_bytes_as_the_python_reference_for_any_book(orders, tick, cancel_every):
    exchange = Exchange([Product("P", tick_size=1, starting_price=100)],
                        ExchangeRules(position_limit=2**40))  # any size rests
    placed = []
    for i, (side, price, volume, owner) in enumerate(orders):
        result = exchange.place(i, owner, "P", side, price, volume)
        if result.accepted is not None:
            placed.append((owner, result.accepted.order_id))
    for owner, order_id in placed[::cancel_every]:
        exchange.cancel(len(orders), owner, order_id)
    renderer = SseBookRenderer(exchange.engine.books["P"], tick)
    for viewer in ("me", "you", "nobody"):
        own = exchange.engine.own_volumes(viewer, "P")
        for compiled, reference in both(renderer, own) + both(renderer, None) + both(renderer, {}):
            assert compiled == reference


def test_a_deep_book_with_own_volumes_on_both_sides():
    # A limit no depth here reaches: the default counts resting orders, and this book is deep.
    exchange = Exchange([Product("P", tick_size=1, starting_price=5000)], ExchangeRules(position_limit=2**40))
    for i in range(200):
        exchange.place(i, "me" if i % 3 == 0 else "mm", "P", BUY, 1000 + i, 1 + i % 17)
        exchange.place(i, "me" if i % 4 == 0 else "mm", "P", SELL, 3000 + i, 1 + i % 13)
    renderer = SseBookRenderer(exchange.engine.books["P"], 1)
    own = exchange.engine.own_volumes("me", "P")
    (bids, bids_py), (asks, asks_py) = both(renderer, own)
    assert (bids, asks) == (bids_py, asks_py)
    assert bids.startswith(b'"1199.0":{"marketVolume":') and asks.startswith(b'"3000.0":{"marketVolume":')
    assert b'"userVolume":1.0}' in bids  # own shares show


def test_an_empty_side_is_empty():
    book = OrderBook("P")
    assert render_side(book.bids, None, 1) == b"" == SseBookRenderer(book, 1)._render_side_py(book.bids, None)


def test_bad_arguments_are_errors_not_crashes():
    exchange = Exchange([Product("P", tick_size=1, starting_price=100)])
    exchange.place(0, "me", "P", BUY, 90, 5)
    bids = exchange.engine.books["P"].bids
    with pytest.raises(TypeError):
        render_side(bids, [("not", "a dict")], 1)
    with pytest.raises(TypeError):
        render_side(bids, None, 1.0)
    with pytest.raises(AttributeError):
        render_side(object(), None, 1)  # not a book side
    with pytest.raises(TypeError):
        render_side(bids, {(BUY, 90): "five"}, 1)
    with pytest.raises(OverflowError):
        render_side(bids, None, 2**62)


def test_the_renderer_falls_back_to_python_where_c_cannot_go():
    exchange = Exchange([Product("P", tick_size=1, starting_price=100)])
    exchange.place(0, "me", "P", SELL, 110, 5)
    huge = SseBookRenderer(exchange.engine.books["P"], 10**30)
    assert huge._render_side(huge.book.asks, None) == b'"11' + b"0" * 31 + b'.0":{"marketVolume":5.0,"userVolume":0.0}'

    class Own(dict):  # a mapping that is not exactly a dict: only Python reads it
        pass

    plain = SseBookRenderer(exchange.engine.books["P"], 1)
    own = Own({(SELL, 110): 5})
    assert plain._render_side(plain.book.asks, own) == b'"110.0":{"marketVolume":5.0,"userVolume":5.0}'


def test_without_the_compiled_module_the_wire_tests_pass_on_python():
    code = ("import sys; sys.modules['cmi_sim.api._csse'] = None; "
            "from cmi_sim.api import wire; assert wire._render_side_compiled is None; "
            "import pytest; "
            "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-x', 'tests/unit/test_api_wire.py', "
            "'tests/integration/test_api_sse_clients.py']))")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " passed" in done.stdout


def test_rendering_does_not_leak(assert_no_leak):
    import gc

    exchange = Exchange([Product("P", tick_size=1, starting_price=5000)])
    for i in range(30):
        exchange.place(i, "me" if i % 2 else "mm", "P", BUY, 1000 + i, 1 + i % 7)
        exchange.place(i, "me" if i % 3 else "mm", "P", SELL, 3000 + i, 1 + i % 5)
    book = exchange.engine.books["P"]
    own = exchange.engine.own_volumes("me", "P")

    def rounds(n: int) -> None:
        for _ in range(n * 1000):
            render_side(book.bids, own, 1)
            render_side(book.asks, None, 3)
            try:
                render_side(book.asks, {(SELL, 3000): "x"}, 1)  # the error path frees what it took
            except TypeError:
                pass
        gc.collect()

    assert_no_leak(rounds)
