"""The sandbox knows nothing of CMI: its modules import only the standard library, the sandbox itself and
the libraries it virtualises; nothing in it names the exchange. The backtest (the CMI adapter, runs and
reports) and the arena build on it, never the other way."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import cmi_sim
from cmi_sim.exchange.timestamps import format_timestamp, parse_iso_ns
from cmi_sim.sandbox import instants

PACKAGE = Path(cmi_sim.__file__).parent
SANDBOX = PACKAGE / "sandbox"
ALLOWED_THIRD_PARTY = ("gevent", "greenlet", "time_machine", "requests", "urllib3")


def imported_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_sandbox_modules_import_only_stdlib_the_sandbox_and_what_they_virtualise():
    files = sorted(SANDBOX.glob("*.py"))
    assert {f.name for f in files} >= {"vloop.py", "clocks.py", "entropy.py", "guard.py", "watchdog.py",
                                      "transport.py", "runtime.py", "child.py", "parent.py", "router.py"}
    for path in files:
        for name in imported_names(path):
            top = name.split(".")[0]
            allowed = (top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY
                       or name == "cmi_sim.sandbox" or name.startswith("cmi_sim.sandbox."))
            assert allowed, f"sandbox/{path.name} imports {name}"


def test_importing_the_sandbox_loads_nothing_of_cmi():
    code = ("import sys, json; import cmi_sim.sandbox, cmi_sim.sandbox.runtime, cmi_sim.sandbox.transport; "
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    loaded = json.loads(out.stdout)
    ours = [m for m in loaded if m.startswith("cmi_sim.")]
    assert ours and all(m.startswith("cmi_sim.sandbox") for m in ours), ours


def test_nothing_in_the_sandbox_is_imported_from_above_the_other_way():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("backtest", "arena", "live", "cli", "sandbox"):
            continue
        for name in imported_names(path):
            assert not name.startswith(("cmi_sim.sandbox", "cmi_sim.backtest", "cmi_sim.arena")), \
                f"{relative} imports {name}"


def test_the_sandbox_writes_instants_as_the_exchange_does():
    for ns in (0, 1_772_288_739_048_403_030, 1_772_289_000_000_000_001):
        assert instants.format_ns(ns) == format_timestamp(ns)
    for text in ("2026-02-28T18:00Z", "2026-02-28 18:00", "2026-02-28T18:00:00.123456+01:00"):
        assert instants.parse_iso_ns(text) == parse_iso_ns(text)
