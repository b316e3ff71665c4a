"""The bot process's loop: timers at or past the limit wait for the gate (the coordinator)."""

from __future__ import annotations

from cmi_sim.arena.loop import ArenaLoop


def test_timers_before_the_limit_fire_and_the_gate_moves_the_limit():
    loop = ArenaLoop()
    fired: list[tuple[str, int]] = []
    gates: list[int | None] = []

    def gate(next_due):
        gates.append(next_due)
        if len(gates) == 1:
            loop.limit_ns = 25  # the grant: run up to (not including) 25
        elif len(gates) == 2:
            late = loop.timer_ns(40 - loop.now_ns)  # a delivery the grant brought
            late.start(lambda: fired.append(("delivery", loop.now_ns)))
            loop.limit_ns = 100
        else:
            loop.break_()

    loop.gate = gate
    for due in (10, 20, 30):
        timer = loop.timer_ns(due)
        timer.start(lambda due=due: fired.append(("timer", due)))
    loop.run()
    assert gates == [10, 30, None]  # first report before anything fired; then at 30 >= 25; then idle
    assert fired == [("timer", 10), ("timer", 20), ("timer", 30), ("delivery", 40)]


def test_fast_forward_stops_at_the_limit():
    loop = ArenaLoop()
    loop.limit_ns = 50
    assert loop.fast_forward(49)
    assert loop.now_ns == 49
    assert not loop.fast_forward(50)
    assert loop.now_ns == 49


def test_waiting_for_the_coordinator_counts_as_progress_for_the_watchdog():
    loop = ArenaLoop()
    before = loop.progress
    loop.n_gate_ticks += 1
    assert loop.progress == before + 1
