"""The requests fast path gives the same results as the full requests stack.

- Call by call (``bots/fastpath_diff.py``): ~115 call shapes, each made twice at the same virtual
  state inside one backtest, fast path on and off; every field of the response (and of its
  ``request``, history, links, errors, pickling) and every side effect (virtual time taken, clock
  reads as seen by the busy-wait guard, transport counters, refused records) must be equal.
- Whole runs: bots give byte-identical output, end time and loop counters with ``fast_path`` on
  and off, with the default latency and with zero latency plus tight budgets (where every clock
  read the full stack makes counts).
- ``identity_url``: the URLs the fast path does not parse are exactly those ``prepare_url`` leaves
  alone (hypothesis).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from requests.models import PreparedRequest

from cmi_sim.sandbox.fastpath import identity_url

DIFF_WORLD = "tests.backtest.scripts.fastpath_world:make_environment"
N_SHAPES, N_FAST = 117, 91


@pytest.mark.parametrize("latency_ms", [1.0, 0.0, 3.0])
def test_fast_path_matches_the_full_stack_call_by_call(run_bot, latency_ms: float) -> None:
    result = run_bot("fastpath_diff.py", environment=DIFF_WORLD, latency_ms=latency_ms, duration_s=3600)
    assert result["status"] == "ok", result.stderr
    lines = result.lines()
    mismatches = [line for line in lines if not line.startswith("ok ")]
    assert mismatches == [f"mismatches 0 shapes {N_SHAPES} fast {N_FAST}"], "\n".join(mismatches)
    assert len(lines) == N_SHAPES + 1
    assert result["transport"]["n_fast"] == N_FAST
    # the refused hosts were recorded by both paths, in order
    assert [r["url"] for r in result["refused"]] == [
        "http://other.test/api/product", "http://other.test/api/product",
        "https://other.test/api/order", "https://other.test/api/order",
        "http://other.test/x", "http://other.test/x",
    ]


def _same_run(run_bot, bot: str, **settings) -> tuple[dict, dict]:
    fast = run_bot(bot, fast_path=True, **settings)
    full = run_bot(bot, fast_path=False, **settings)
    for result in (fast, full):
        assert result["status"] == "ok", (result, result.stderr)
    assert fast.stdout == full.stdout
    assert fast.stderr == full.stderr
    for key in ("virtual_end_ns", "loop", "refused", "blocked", "thread_errors", "world", "reached_end"):
        assert fast[key] == full[key], key
    for key in ("n_requests", "n_streams", "budget_sleeps"):
        assert fast["transport"][key] == full["transport"][key], key
    assert full["transport"]["n_fast"] == 0
    assert fast["transport"]["n_fast"] > 0
    return fast, full


def test_a_busy_bot_gives_identical_output_with_and_without_the_fast_path(run_bot) -> None:
    fast, _ = _same_run(run_bot, "fastpath_run.py", duration_s=4, environment_args={"tick_s": 0.5})
    assert fast["transport"]["n_requests"] > 1_000
    assert fast["transport"]["n_fast"] > 0.95 * (fast["transport"]["n_requests"] - fast["transport"]["n_streams"])
    assert "interrupted after" in fast.stdout and "sse order" in fast.stdout and "refused" in fast.stdout


@pytest.mark.parametrize(("budget", "reads", "guard_sleeps"), [(20, 70, True), (15, 100, False)])
def test_zero_latency_tight_budgets_identical_with_and_without_the_fast_path(
    run_bot, budget: int, reads: int, guard_sleeps: bool
) -> None:
    # No latency: requests are not yield points, so the busy-wait guard counts every clock read
    # the requests stack makes, and the same-instant budget forces sleeps.
    fast, _ = _same_run(
        run_bot, "fastpath_run.py", duration_s=2, latency_ms=0.0, same_instant_budget=budget,
        busy_wait_reads=reads, environment_args={"tick_s": 0.5},
    )
    assert fast["transport"]["budget_sleeps"] > 0
    assert (fast["loop"]["busy_wait_sleeps"] > 0) == guard_sleeps


@pytest.mark.parametrize("bot", ["deterministic.py", "simple.py", "probe.py"])
def test_other_bots_identical_with_and_without_the_fast_path(run_bot, bot: str) -> None:
    argv = ("http://exchange.test",) if bot == "probe.py" else ()
    _same_run(run_bot, bot, duration_s=20, seed=3, argv=argv)


# -- identity_url ------------------------------------------------------------------------------------
def _prepared(url: str, params) -> str:
    p = PreparedRequest()
    p.prepare_url(url, params)
    return p.url


_UNRESERVED = "abcXYZ019_.~-"
segment = st.text(_UNRESERVED, min_size=0, max_size=6)
structured_url = st.builds(
    lambda scheme, host, port, segs, slash, query: (
        f"{scheme}://{host}{port}/" + "/".join(segs) + ("/" if slash and segs else "") + query
    ),
    st.sampled_from(["http", "https", "HTTP", "Https", "ftp"]),
    st.sampled_from(["exchange.test", "a.b-c.d", "x", "Exchange.Test", "-bad.test", "a..b", "127.0.0.1", "ünï.test", "*.x"]),
    st.sampled_from(["", ":80", ":8080", ":080", ":99999", ":0", ":"]),
    st.lists(segment, max_size=4),
    st.booleans(),
    st.sampled_from(["", "?", "?a=1", "?a=1&b=2", "?a", "?x=%20", "?x=a+b", "?=&", "#f", "?a=1#f"]),
)
noisy_url = st.text("htps:/exampl.019-_~%?=&#@ é+[]!$'()*,;", max_size=40).map(lambda tail: "http://exchange.test/" + tail)
params = st.one_of(
    st.none(),
    st.dictionaries(st.text("ab é&=+/", max_size=4), st.one_of(st.text("xy é&=%+/~", max_size=4), st.integers(), st.none(),
                                                              st.lists(st.text("q ", max_size=2), max_size=2)), max_size=3),
)


@settings(max_examples=1500, deadline=None)
@given(url=st.one_of(structured_url, noisy_url), params=params)
@example(url="http://exchange.test/api/product", params=None)
@example(url="http://exchange.test/api/order/17", params={"a": "b"})
@example(url="https://exchange.test:8443/api/orderbook?product=TIDE", params={"depth": 5})
def test_identity_url_is_prepare_url_where_it_answers(url: str, params) -> None:
    fast = identity_url(url, params)
    if fast is not None:
        assert fast == _prepared(url, params)


def test_identity_url_answers_the_usual_api_urls() -> None:
    for url in ("http://exchange.test/api/product", "http://localhost:8000/api/order/123",
                "https://a.b-c.example/api/orderbook/TIDE/?depth=5&x=1"):
        assert identity_url(url, None) == url
        assert identity_url(url, {"k": "v w"}) == _prepared(url, {"k": "v w"})
    for url in ("http://exchange.test", "HTTP://x.test/", "http://x.test/a/../b", "http://x.test/a//b",
                "http://x.test/a?", "http://x.test/%41", "http://u:p@x.test/", "http://x.test:080/"):
        assert identity_url(url, None) is None


def test_the_fast_path_is_used_only_with_the_tested_requests_versions() -> None:
    from cmi_sim.sandbox.fastpath import supports

    assert supports("2.34.2") and supports("2.34.0")
    assert not supports("2.32.3") and not supports("2.35.0") and not supports("3.0") and not supports("dev")
