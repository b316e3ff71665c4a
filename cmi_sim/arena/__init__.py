"""Several unmodified bots in one deterministic session, each in its own sandboxed process (docs/arena.md).

    from cmi_sim.arena import ArenaSpec, participant_from_path, run_arena
    spec = ArenaSpec(participants=(participant_from_path("bots/quoter.py"),
                                   participant_from_path("bots/etf_arb.py")), until="6h")
    outcome = run_arena(spec)
    outcome.leaderboard[0]["name"], outcome.run_dir

Importing this package imports nothing more: a bot process (`cmi_sim.arena.bot_process`) must not load
the coordinator's modules before its sandbox is set up.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {"ArenaOutcome": "run", "run_arena": "run", "ArenaSpec": "spec", "Participant": "spec",
            "SpecError": "spec", "load_spec": "spec", "participant_from_path": "spec"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"cmi_sim.arena.{_EXPORTS[name]}"), name)
