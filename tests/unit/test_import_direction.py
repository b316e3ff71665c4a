"""Import directions of the backtest's three layers (like the engine's purity test):

- `cmi_sim.sandbox`, the generic virtual-time sandbox, imports nothing of `cmi_sim` outside itself (not
  the API, the exchange, the engine, sessions, the arena, the backtest ...), neither by its import
  statements nor by module names it imports at run time, and importing it loads nothing else of
  `cmi_sim` and no gevent;
- `cmi_sim.backtest.adapter`, the CMI exchange as a sandbox environment, does not import the run model
  and reports (the rest of `cmi_sim.backtest`) nor anything above them;
- nothing below the backtest imports the adapter or the run model.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import cmi_sim

PACKAGE = Path(cmi_sim.__file__).parent
SANDBOX = PACKAGE / "sandbox"
ADAPTER = PACKAGE / "backtest" / "adapter"
_MODULE_NAME = re.compile(r"cmi_sim(\.\w+)+")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[str]:
    """Every module `path` imports: import statements (relative ones resolved) and dotted `cmi_sim.*` names
    in string constants (`importlib.import_module("...")`, `sys.modules.get("...")`)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            else:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            names.append(base)
            names.extend(f"{base}.{alias.name}" for alias in node.names if base == "cmi_sim")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_NAME.fullmatch(
                node.value.partition(":")[0]):
            names.append(node.value.partition(":")[0])
    return names


def inside(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def sandbox_files() -> list[Path]:
    return sorted(SANDBOX.rglob("*.py"))


def test_the_sandbox_holds_the_generic_modules():
    names = {p.stem for p in sandbox_files()}
    assert names >= {"vloop", "clocks", "entropy", "guard", "watchdog", "transport", "child", "parent", "runtime",
                     "environment", "reply", "config"}


def test_the_sandbox_imports_nothing_of_cmi_sim_outside_itself():
    for path in sandbox_files():
        for name in imports_of(path):
            if inside(name, "cmi_sim"):
                assert name == "cmi_sim" or inside(name, "cmi_sim.sandbox"), \
                    f"{path.relative_to(PACKAGE)} imports {name}"


def test_importing_every_sandbox_module_loads_nothing_else_of_cmi_sim():
    modules = [module_name(p) for p in sandbox_files()]
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    loaded = json.loads(out.stdout)
    assert set(modules) <= set(loaded)
    foreign = [m for m in loaded if inside(m, "cmi_sim") and m != "cmi_sim" and not inside(m, "cmi_sim.sandbox")]
    assert foreign == []


def test_importing_the_sandbox_or_the_backtest_package_loads_no_gevent():
    for package in ("cmi_sim.sandbox", "cmi_sim.backtest"):
        code = f"import json, sys, {package}; print(json.dumps(sorted(sys.modules)))"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
        loaded = json.loads(out.stdout)
        assert package in loaded
        assert not [m for m in loaded if m.split(".")[0] in ("gevent", "greenlet", "time_machine")], package


def test_the_adapter_does_not_import_the_run_model_or_anything_above_it():
    files = sorted(ADAPTER.rglob("*.py"))
    assert {p.stem for p in files} >= {"exchange_environment", "run_sink", "trading_record"}
    above = ("cmi_sim.cli", "cmi_sim.arena", "cmi_sim.live", "cmi_sim.sweep", "cmi_sim.dashboard")
    for path in files:
        for name in imports_of(path):
            where = f"{path.relative_to(PACKAGE)} imports {name}"
            assert not inside(name, "cmi_sim.backtest") or inside(name, "cmi_sim.backtest.adapter"), where
            assert not name.startswith(above), where


def test_nothing_below_the_backtest_imports_it_or_the_adapter():
    """The engine, exchange, API, sessions, world, market and the sandbox are below the backtest."""
    below = ("engine", "exchange", "api", "sessions", "world", "market", "sandbox", "client")
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] not in below and relative.name not in ("products.py", "settlement.py", "simulation.py"):
            continue
        for name in imports_of(path):
            assert not inside(name, "cmi_sim.backtest"), f"{relative} imports {name}"
