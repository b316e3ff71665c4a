"""The ordering contract of the virtual loop (see cmi_sim/sandbox/runtime.py), tested on the loop alone."""

from __future__ import annotations

import pytest

from cmi_sim.sandbox.vloop import PRIORITY_WORLD, NoRealIO, VirtualLoop


def record(log: list, name: str, loop: VirtualLoop):
    return lambda: log.append((name, loop.now_ns))


def test_equal_time_timers_fire_in_priority_then_start_order() -> None:
    loop, log = VirtualLoop(), []
    for name, prio in (("bot-a", 0), ("world-a", PRIORITY_WORLD), ("bot-b", 0), ("world-b", PRIORITY_WORLD), ("end", -50)):
        loop.timer(5.0, priority=prio).start(record(log, name, loop))
    loop.run()
    assert log == [(n, 5_000_000_000) for n in ("world-a", "world-b", "end", "bot-a", "bot-b")]


def test_earlier_due_time_wins_over_priority() -> None:
    loop, log = VirtualLoop(), []
    loop.timer(2.0, priority=PRIORITY_WORLD).start(record(log, "world", loop))
    loop.timer(1.0).start(record(log, "bot", loop))
    loop.run()
    assert log == [("bot", 1_000_000_000), ("world", 2_000_000_000)]


def test_callbacks_are_fifo_and_drained_before_the_next_timer() -> None:
    loop, log = VirtualLoop(), []

    def first() -> None:
        log.append(("cb1", loop.now_ns))
        loop.run_callback(lambda: log.append(("cb3-added-while-draining", loop.now_ns)))

    def at_timer() -> None:
        log.append(("timer1", loop.now_ns))
        loop.run_callback(lambda: log.append(("cb-from-timer", loop.now_ns)))

    loop.timer(0).start(at_timer)
    loop.timer(0).start(record(log, "timer2", loop))
    loop.run_callback(first)
    loop.run_callback(lambda: log.append(("cb2", loop.now_ns)))
    loop.run()
    assert [n for n, _ in log] == ["cb1", "cb2", "cb3-added-while-draining", "timer1", "cb-from-timer", "timer2"]
    assert {t for _, t in log} == {0}


def test_clock_is_integer_nanoseconds_without_drift() -> None:
    loop, fired = VirtualLoop(), []

    def tick() -> None:
        fired.append(loop.now_ns)
        if len(fired) < 1000:
            loop.timer(0.1).start(tick)

    loop.timer(0.1).start(tick)
    loop.run()
    assert fired[-1] == 100_000_000_000 and all(isinstance(t, int) for t in fired)


def test_stopped_and_restarted_timers_fire_once_at_the_new_time() -> None:
    loop, log = VirtualLoop(), []
    timer = loop.timer(1.0)
    timer.start(record(log, "t", loop))
    timer.stop()
    loop.timer(0.5).start(lambda: timer.start(record(log, "restarted", loop)))
    loop.run()
    assert log == [("restarted", 1_500_000_000)]


def test_repeating_timer_and_callback_stop() -> None:
    loop, log = VirtualLoop(), []
    rep = loop.timer(1.0, repeat=2.0)
    rep.start(lambda: log.append(loop.now_ns) if len(log) < 3 else rep.stop())
    cancelled = loop.run_callback(lambda: log.append("never"))
    cancelled.stop()
    loop.run()
    assert log == [1_000_000_000, 3_000_000_000, 5_000_000_000]
    assert not cancelled.pending


def test_run_returns_when_only_unreferenced_timers_are_left() -> None:
    loop, log = VirtualLoop(), []
    loop.timer(10.0, ref=False).start(record(log, "unref", loop))
    loop.timer(1.0).start(record(log, "ref", loop))
    loop.run()
    assert log == [("ref", 1_000_000_000)] and loop.now_ns == 1_000_000_000


def test_counters_track_progress() -> None:
    loop = VirtualLoop()
    loop.run_callback(lambda: None)
    loop.timer(1).start(lambda: None)
    loop.run()
    assert (loop.n_callbacks, loop.n_timer_fires, loop.progress) == (1, 1, 2)


def test_real_io_is_refused_when_waited_on_and_quiet_fds_never_fire() -> None:
    loop = VirtualLoop()
    watcher = loop.io(3, 1)  # gevent sockets create their watchers up front: that is allowed
    with pytest.raises(NoRealIO, match="real I/O"):
        watcher.start(lambda: None)
    loop.quiet_fds.add(4)
    quiet = loop.io(4, 1)
    fired = []
    quiet.start(fired.append, "ready")
    loop.timer(1).start(lambda: None)
    loop.run()
    assert fired == [] and loop.now_ns == 1_000_000_000


def test_errors_in_callbacks_go_to_the_error_handler_and_the_loop_goes_on() -> None:
    loop, seen = VirtualLoop(), []
    loop.error_handler = lambda context, t, v, tb: seen.append(t)
    loop.run_callback(lambda: 1 / 0)
    loop.timer(1).start(lambda: seen.append("after"))
    loop.run()
    assert seen == [ZeroDivisionError, "after"]


def test_fast_forward_moves_the_clock_only_when_nothing_could_run_first() -> None:
    loop = VirtualLoop()
    later = loop.timer(5.0)
    later.start(lambda: None)
    assert loop.fast_forward(4_000_000_000) and loop.now_ns == 4_000_000_000  # the timer at 5 s is later
    assert not loop.fast_forward(5_000_000_000)  # a timer due at the same instant may have to go first
    assert not loop.fast_forward(6_000_000_000) and loop.now_ns == 4_000_000_000
    later.stop()  # a stopped timer's stale heap entry no longer counts
    assert loop.fast_forward(6_000_000_000) and loop.now_ns == 6_000_000_000
    loop.run_callback(lambda: None)
    assert not loop.fast_forward(7_000_000_000)  # a runnable callback runs before time moves
    loop.run()
    assert loop.fast_forward(7_000_000_000) and loop.progress == 4  # three jumps and one callback


def test_fast_forwarded_sleeps_keep_the_order_of_events() -> None:
    """Greenlets sleeping through the fast-forwarding sleep wake in the same order, at the same virtual
    times, as with plain gevent sleeps (the same script in a child process, both ways)."""
    import subprocess
    import sys

    script = '''
import sys
import gevent
from cmi_sim.sandbox.vloop import VirtualLoop
gevent.config.loop = VirtualLoop
import gevent.hub
from cmi_sim.sandbox.runtime import _fast_forwarding_sleep
hub = gevent.get_hub()
sleep = _fast_forwarding_sleep(hub, hub.loop, gevent.sleep) if sys.argv[1] == "fast" else gevent.sleep
log = []
def worker(name, pauses):
    for pause in pauses:
        sleep(pause)
        log.append((name, hub.loop.now_ns))
        if name == "b":
            gevent.spawn(lambda: log.append(("spawned", hub.loop.now_ns)))
gevent.joinall([gevent.spawn(worker, "a", [0.001, 0.5, 0.0005, 2]), gevent.spawn(worker, "b", [0.25, 0.25, 1]),
                gevent.spawn(worker, "c", [3])])
print(log, hub.loop.n_iterations)
'''
    outputs = [subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, check=True).stdout
               for mode in ("fast", "plain")]
    (fast_log, fast_iterations), (plain_log, plain_iterations) = (out.rsplit(" ", 1) for out in outputs)
    assert fast_log == plain_log and "('c', 3000000000)" in fast_log
    assert int(fast_iterations) < int(plain_iterations)  # some sleeps did skip the loop
