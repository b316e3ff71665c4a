"""Collects the benchmarks' operations per second and prints them side by side at the end of the run."""

from __future__ import annotations

import pytest

_KEY = pytest.StashKey[dict]()


@pytest.fixture
def ops_results(request) -> dict:
    """name -> operations per second; filled by the benchmarks, printed in the terminal summary."""
    return request.config.stash.setdefault(_KEY, {})


def pytest_terminal_summary(terminalreporter, config) -> None:
    results = config.stash.get(_KEY, {})
    if not results:
        return
    write = terminalreporter.write_line
    terminalreporter.section("operations per second (N commands / mean batch time; best round)")
    for name, ops in results.items():
        # compare like with like: a best round with the baseline's best round
        baseline = results.get("naive_book (best round)" if name.endswith("(best round)") else "naive_book")
        ratio = f"  {ops / baseline:5.2f}x naive book" if baseline else ""
        write(f"{name:<36} {ops:>12,.0f} ops/s{ratio}")
