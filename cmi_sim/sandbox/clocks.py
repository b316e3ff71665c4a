"""Virtual clocks: every clock a bot can read comes from the loop's ``now_ns``.

- Wall clock (``time.time``, ``time_ns``, ``gmtime``, ``localtime``, ``strftime``,
  ``clock_gettime(CLOCK_REALTIME)``, ``datetime.now/utcnow/today``, ``date.today``): time-machine's
  C-level patch, with a duck-typed traveller on its stack whose ``time_ns()`` is
  ``epoch_ns + loop.now_ns``. The C patch works in place, so ``from time import time`` done earlier
  is covered too.
- ``monotonic(_ns)``, ``perf_counter(_ns)``, ``ctime``, ``asctime`` and ``clock_gettime(_ns)`` for
  every clock id: module-attribute replacements, plus :func:`sweep_module_globals` for references
  captured before (``threading._time``, ``queue.time``, ``from time import sleep`` in user code).
  CPU-time clock ids (process/thread) stay real, like ``time.process_time`` (a known limit).
- A busy-wait guard: :data:`BUSY_WAIT_READS` clock reads without the loop making progress turn
  into a 1 ms virtual sleep, so ``while time.time() < t0 + 5: pass`` advances deterministically.

The runner's own real clocks live in :data:`REAL` (a container the sweep does not rewrite).
"""

from __future__ import annotations

import sys
import time
import types
from typing import Any, Callable, Iterable

from cmi_sim.sandbox.vloop import VirtualLoop

__all__ = ["REAL", "VirtualClock", "install_clocks", "sweep_module_globals", "MONOTONIC_BASE_NS"]

#: Real clocks for the runner (watchdog, wall-time reporting). Captured at import, before patching.
REAL = types.SimpleNamespace(
    perf_counter=time.perf_counter,
    monotonic=time.monotonic,
    process_time=time.process_time,
    time=time.time,
    sleep=time.sleep,
)

#: Virtual ``time.monotonic()`` at the start of a run (seconds), so it never looks like an epoch.
MONOTONIC_BASE_NS = 1000 * 1_000_000_000
#: Clock reads without scheduler progress before the guard forces a virtual sleep.
BUSY_WAIT_READS = 10_000
#: Once a greenlet is known to busy-wait (nothing else ran since its last forced sleep), the next
#: forced sleep comes after this many reads: a 5 s busy-wait then costs 0.5 M reads, not 50 M.
BUSY_WAIT_READS_AGAIN = 100
BUSY_WAIT_SLEEP_S = 0.001

_REALTIME_IDS = {
    getattr(time, name)
    for name in ("CLOCK_REALTIME", "CLOCK_REALTIME_COARSE", "CLOCK_TAI")
    if hasattr(time, name)
}
_MONOTONIC_IDS = {
    getattr(time, name)
    for name in ("CLOCK_MONOTONIC", "CLOCK_MONOTONIC_RAW", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME", "CLOCK_UPTIME", "CLOCK_HIGHRES")
    if hasattr(time, name)
}


class VirtualClock:
    """Reads of the virtual clock, with the busy-wait guard; also time-machine's traveller."""

    def __init__(
        self,
        loop: VirtualLoop,
        epoch_ns: int,
        *,
        busy_wait_reads: int = BUSY_WAIT_READS,
        sleep: Callable[[float], None] | None = None,
        in_hub: Callable[[], bool] | None = None,
    ) -> None:
        self.loop = loop
        self.epoch_ns = epoch_ns
        self.busy_wait_reads = busy_wait_reads
        self.n_forced_sleeps = 0
        self._sleep = sleep
        self._in_hub = in_hub
        self._reads = 0
        self._last_progress = -1
        self._progress_after_forced = -2

    # The traveller contract of time-machine's C extension: only time_ns() is called.
    def time_ns(self) -> int:
        self._guard()
        return self.epoch_ns + self.loop.now_ns

    def monotonic_ns(self) -> int:
        self._guard()
        return MONOTONIC_BASE_NS + self.loop.now_ns

    def monotonic(self) -> float:
        return self.monotonic_ns() / 1e9

    def wall(self) -> float:
        return self.time_ns() / 1e9

    def now_ns(self) -> int:
        """Absolute virtual epoch time in ns, without counting as a bot clock read."""
        return self.epoch_ns + self.loop.now_ns

    def _guard(self) -> None:
        loop = self.loop
        progress = loop.n_callbacks + loop.n_timer_fires
        if progress != self._last_progress:
            self._last_progress = progress
            self._reads = 0
            return
        self._reads += 1
        limit = BUSY_WAIT_READS_AGAIN if progress == self._progress_after_forced else self.busy_wait_reads
        if self._reads < limit or self._sleep is None:
            return
        self._reads = 0
        if self._in_hub is not None and self._in_hub():
            return  # hub callbacks must never block
        self.n_forced_sleeps += 1
        self._sleep(BUSY_WAIT_SLEEP_S)
        self._progress_after_forced = self._last_progress = loop.n_callbacks + loop.n_timer_fires


def _make_replacements(clock: VirtualClock, orig: types.SimpleNamespace) -> dict[str, Any]:
    """Python replacements for the clock functions time-machine does not patch."""

    def monotonic() -> float:
        return clock.monotonic_ns() / 1e9

    def monotonic_ns() -> int:
        return clock.monotonic_ns()

    def ctime(secs: float | None = None) -> str:
        return orig.ctime(clock.wall() if secs is None else secs)

    def asctime(t: Any = None) -> str:
        return orig.asctime(time.localtime() if t is None else t)

    def clock_gettime_ns(clk_id: int) -> int:
        if clk_id in _REALTIME_IDS:
            return clock.time_ns()
        if clk_id in _MONOTONIC_IDS:
            return clock.monotonic_ns()
        return orig.clock_gettime_ns(clk_id)  # CPU-time clocks stay real

    def clock_gettime(clk_id: int) -> float:
        if clk_id in _REALTIME_IDS or clk_id in _MONOTONIC_IDS:
            return clock_gettime_ns(clk_id) / 1e9
        return orig.clock_gettime(clk_id)

    for fn, name in ((monotonic, "monotonic"), (monotonic_ns, "monotonic_ns")):
        fn.__name__ = fn.__qualname__ = name
    return {
        "monotonic": monotonic,
        "monotonic_ns": monotonic_ns,
        "perf_counter": monotonic,
        "perf_counter_ns": monotonic_ns,
        "ctime": ctime,
        "asctime": asctime,
        "clock_gettime": clock_gettime,
        "clock_gettime_ns": clock_gettime_ns,
    }


#: ``{id(original): (original, replacement)}``; holding the original keeps its id from being reused.
Swaps = dict[int, tuple[Any, Any]]


def _import_time_machine() -> types.ModuleType:
    """``time_machine`` imports pytest, for its pytest plugin, whenever it can: a quarter of a second of
    every backtest's start-up, for nothing. Hide pytest during that one import (a bot that imports
    pytest later still gets it)."""
    if "time_machine" in sys.modules or "pytest" in sys.modules:
        import time_machine

        return time_machine
    sys.modules["pytest"] = None  # type: ignore[assignment]  # `import pytest` now raises ImportError
    try:
        import time_machine
    finally:
        del sys.modules["pytest"]
    return time_machine


def install_clocks(clock: VirtualClock) -> Swaps:
    """Patch the clocks; return the swaps for :func:`sweep_module_globals`."""
    time_machine = _import_time_machine()

    orig = types.SimpleNamespace(
        **{
            name: getattr(time, name)
            for name in ("monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "ctime", "asctime", "clock_gettime", "clock_gettime_ns")
        }
    )
    # travel() does the C patch and the uuid1 bits; then our traveller takes its place on the stack.
    time_machine.travel(clock.epoch_ns / 1e9, tick=False).start()
    time_machine.traveller_stack[-1] = clock  # type: ignore[assignment]

    replacements = _make_replacements(clock, orig)
    swaps: Swaps = {}
    for name, fn in replacements.items():
        original = getattr(orig, name)
        swaps[id(original)] = (original, fn)
        setattr(time, name, fn)
    return swaps


def sweep_module_globals(swaps: Swaps, *, skip_prefixes: Iterable[str] = ()) -> list[str]:
    """Replace captured originals in every loaded module's globals; return ``module.name`` swept.

    Only module globals are reached: references in closures, default arguments or class
    attributes are not (load bots after the clocks are installed; the runtime does).
    """
    skip = tuple(skip_prefixes)
    swept: list[str] = []
    for mod_name, module in list(sys.modules.items()):
        if module is None or mod_name.startswith(skip):
            continue
        try:
            namespace = vars(module)
        except TypeError:
            continue
        for key, value in list(namespace.items()):
            if type(value) in (types.BuiltinFunctionType, types.FunctionType, types.MethodType):
                pair = swaps.get(id(value))
                if pair is not None and pair[0] is value:
                    namespace[key] = pair[1]
                    swept.append(f"{mod_name}.{key}")
    return swept
