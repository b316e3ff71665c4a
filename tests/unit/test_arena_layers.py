"""Import directions around the arena: a bot process loads nothing of the coordinator's side (no exchange,
no market, no API), and nothing below the arena imports it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import cmi_sim

PACKAGE = Path(cmi_sim.__file__).parent
BOT_SIDE = ("loop.py", "protocol.py", "bot_side.py", "bot_process.py")
COORDINATOR_ONLY = ("cmi_sim.arena.coordinator", "cmi_sim.arena.venue", "cmi_sim.arena.run",
                    "cmi_sim.arena.spec", "cmi_sim.arena.figures", "cmi_sim.arena.leaderboard",
                    "cmi_sim.api", "cmi_sim.exchange", "cmi_sim.engine", "cmi_sim.market", "cmi_sim.simulation",
                    "cmi_sim.sessions", "cmi_sim.world")


def imported_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_the_bot_side_modules_import_nothing_of_the_coordinators():
    for name in BOT_SIDE:
        for imported in imported_names(PACKAGE / "arena" / name):
            assert not imported.startswith(COORDINATOR_ONLY), f"arena/{name} imports {imported}"


def test_a_bot_process_starts_without_loading_the_exchange():
    code = ("import sys, json; import cmi_sim.arena.bot_process, cmi_sim.arena.bot_side, cmi_sim.arena.loop; "
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    loaded = json.loads(out.stdout)
    assert "cmi_sim.arena.bot_side" in loaded
    # The bot side stands on the sandbox alone (cmi_sim.sandbox imports nothing else of cmi_sim).
    assert not [m for m in loaded if m.startswith(COORDINATOR_ONLY + ("cmi_sim.backtest",))]
    assert "gevent" not in loaded  # the runtime sets gevent's loop up before anything imports it


def test_nothing_below_the_arena_imports_it():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("arena", "cli"):
            continue
        for imported in imported_names(path):
            assert not imported.startswith("cmi_sim.arena"), f"{relative} imports {imported}"
