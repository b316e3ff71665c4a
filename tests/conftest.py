"""Fixtures shared by every test tier."""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from cmi_sim.engine.matching import MatchingEngine, PyMatchingEngine

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"  # copies of the reference data, so a clone stands alone

_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
               "no_proxy")


@pytest.fixture(autouse=True)
def _no_machine_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's proxy settings must not leak into tests (requests reads them from the environment)."""
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture
def clean_env() -> dict[str, str]:
    """An environment for subprocesses without proxies."""
    return {k: v for k, v in os.environ.items() if k not in _PROXY_VARS}


# The engine's two implementations: the Python reference and the compiled hot path (the same class when
# the accelerator was not built; tests/property/test_compiled_engine.py checks that it was).
ENGINES = {"python-engine": PyMatchingEngine, "compiled-engine": MatchingEngine}


@pytest.fixture(params=list(ENGINES))
def each_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    """Run the test once per engine implementation: the test module's `MatchingEngine` name is rebound."""
    engine_class = ENGINES[request.param]
    monkeypatch.setattr(request.module, "MatchingEngine", engine_class)
    return engine_class


@pytest.fixture
def assert_no_leak() -> Callable[..., None]:
    """`check(rounds, warm=1)`: after `warm` rounds (caches, interned ints), eight more rounds of
    `rounds(n)` must not hold more traced memory than one did, give or take 64 KiB."""

    def check(rounds: Callable[[int], None], warm: int = 1) -> None:
        rounds(warm)
        tracemalloc.start()
        try:
            rounds(1)
            after_one = tracemalloc.get_traced_memory()[0]
            rounds(8)
            after_nine = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert after_nine - after_one < 64 * 1024, (after_one, after_nine)

    return check
