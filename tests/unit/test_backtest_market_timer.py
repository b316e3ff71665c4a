"""The backtest world's market runs step by step from world-priority timers, and reports its failures."""

from __future__ import annotations

from cmi_sim.backtest.adapter.exchange_environment import ExchangeEnvironment
from cmi_sim.sandbox.vloop import PRIORITY_WORLD
from cmi_sim.sessions import load_session


class FakeContext:
    """The parts of `EnvironmentContext` the world uses, with a clock the test moves by hand."""

    def __init__(self, session_name: str, hours: float) -> None:
        session = load_session(session_name)
        self.config = {"session": session_name, "seed": None}
        self.now = session.open_ns
        self.end_ns = session.open_ns + round(hours * 3600e9)
        self.timers: list[tuple[int, object, int]] = []
        self.errors: list[tuple[str, BaseException]] = []

    def now_ns(self) -> int:
        return self.now

    def call_at(self, t_ns, callback, priority=0):
        self.timers.append((t_ns, callback, priority))

    def report_error(self, where, exc):
        self.errors.append((where, exc))

    def run_timers(self) -> int:
        """Fire the timers in time order, as the loop would; returns how many fired."""
        fired = 0
        while self.timers:
            self.timers.sort(key=lambda timer: timer[0])
            t_ns, callback, _ = self.timers.pop(0)
            self.now = t_ns
            callback()
            fired += 1
        return fired


def test_each_market_step_schedules_the_next_at_world_priority_until_the_end():
    ctx = FakeContext("synthetic", hours=0.25)
    world = ExchangeEnvironment(ctx)
    world.run_market()
    assert len(ctx.timers) == 1
    first_wake, callback, priority = ctx.timers[0]
    assert priority == PRIORITY_WORLD and ctx.now < first_wake < ctx.end_ns
    fired = ctx.run_timers()
    assert fired > 10  # a quarter of an hour of a busy market
    assert ctx.now < ctx.end_ns  # no step is scheduled at or after the end
    assert not ctx.errors
    assert world.simulation.exchange.journal.count > 0


def test_a_failing_market_step_is_reported_and_stops_the_market_not_the_run(monkeypatch):
    ctx = FakeContext("synthetic", hours=0.25)
    world = ExchangeEnvironment(ctx)
    world.run_market()
    calls = []

    def broken(now_ns):
        calls.append(now_ns)
        raise RuntimeError("agent bug")

    monkeypatch.setattr(world.simulation, "market_step", broken)
    ctx.run_timers()
    assert len(calls) == 1  # the market stopped after its failure
    assert [(where, str(exc)) for where, exc in ctx.errors] == [("market", "agent bug")]
