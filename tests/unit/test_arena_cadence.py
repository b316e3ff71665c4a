"""The coordinator's delivery times: at once by default; with a cadence, at its next multiple from the open."""

from __future__ import annotations

from types import SimpleNamespace

from cmi_sim.arena.coordinator import INF, Coordinator

OPEN = 1_000_000_000_000


def coordinator(cadence_ns: int) -> Coordinator:
    venue = SimpleNamespace(session=SimpleNamespace(open_ns=OPEN), simulation=SimpleNamespace(market=None))
    return Coordinator(venue, [], end_ns=OPEN + 10**12, latency_ns=20_000_000, settle=False,  # type: ignore[arg-type]
                       cadence_ns=cadence_ns)


def test_without_a_cadence_frames_reach_the_bots_at_their_events_instant():
    exact = coordinator(0)
    assert [exact._delivery_time(OPEN + t) for t in (0, 1, 999_999_999)] == [OPEN, OPEN + 1, OPEN + 999_999_999]


def test_with_a_cadence_frames_wait_for_its_next_multiple_from_the_open():
    batched = coordinator(1_000_000_000)
    assert batched._delivery_time(OPEN) == OPEN  # an instant on the cadence is its own delivery time
    assert batched._delivery_time(OPEN + 1) == OPEN + 1_000_000_000
    assert batched._delivery_time(OPEN + 1_000_000_000) == OPEN + 1_000_000_000
    assert batched._delivery_time(OPEN + 1_000_000_001) == OPEN + 2_000_000_000
    assert batched._delivery_time(INF) == INF  # "never" stays never
