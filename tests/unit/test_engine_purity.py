"""The engine is pure: importing it pulls in no web framework, dataframe library or network client, and
its modules import only the standard library, each other and sortedcontainers."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import cmi_sim.engine

FORBIDDEN = ("fastapi", "starlette", "uvicorn", "pandas", "numpy", "requests", "gevent", "pydantic")
ENGINE_DIR = Path(cmi_sim.engine.__file__).parent


def test_importing_engine_in_fresh_interpreter_loads_no_heavy_or_io_library():
    code = ("import sys; before = set(sys.modules); import cmi_sim.engine; import json; "
            "print(json.dumps(sorted(set(sys.modules) - before)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    loaded = json.loads(out.stdout)
    assert "cmi_sim.engine" in loaded
    assert not [m for m in loaded if m.split(".")[0] in FORBIDDEN]
    foreign = [m for m in loaded if m.split(".")[0] not in sys.stdlib_module_names
               and not m.startswith("cmi_sim") and m.split(".")[0] != "sortedcontainers"
               and not m.startswith("_")]
    assert foreign == []
    # The engine sits below every other layer; importing it must not drag in the package's upper layers.
    assert not [m for m in loaded if m.startswith("cmi_sim.") and not m.startswith("cmi_sim.engine")]


def test_engine_modules_import_only_stdlib_themselves_and_sortedcontainers():
    files = sorted(ENGINE_DIR.glob("*.py"))
    assert {f.name for f in files} >= {"__init__.py", "book.py", "events.py", "matching.py"}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else ["cmi_sim.engine"]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                allowed = (top in sys.stdlib_module_names or top == "sortedcontainers"
                           or name == "cmi_sim.engine" or name.startswith("cmi_sim.engine."))
                assert allowed, f"{path.name} imports {name}"
