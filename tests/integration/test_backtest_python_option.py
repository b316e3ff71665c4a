"""`--python`: a clear one-line error when the interpreter is missing or cannot load the runtime.
(Runs under another interpreter are in test_bot_corpus.py: a venv per SSE library, another requests.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BOT = "import time\ntime.sleep(1)\n"


def _backtest(tmp_path: Path, python: str, clean_env) -> subprocess.CompletedProcess:
    bot = tmp_path / "bot.py"
    bot.write_text(BOT)
    return subprocess.run([sys.executable, "-m", "cmi_sim", "backtest", str(bot), "--until", "10m", "--python", python,
                           "--out", str(tmp_path / "run"), "--no-progress"], capture_output=True, text=True,
                          timeout=120, env=clean_env, cwd=tmp_path)


def test_a_missing_interpreter_is_a_one_line_error(tmp_path, clean_env) -> None:
    done = _backtest(tmp_path, str(tmp_path / "nowhere" / "python"), clean_env)
    assert done.returncode == 1
    assert "no Python interpreter there" in done.stderr and "Traceback" not in done.stderr


def test_an_interpreter_that_cannot_load_the_runtime_is_explained(tmp_path, clean_env) -> None:
    fake = tmp_path / "venv" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text(f"#!/bin/sh\nexec {sys.executable} -I -c \"raise ModuleNotFoundError('No module named gevent')\"\n")
    fake.chmod(0o755)
    done = _backtest(tmp_path, str(tmp_path / "venv"), clean_env)  # the virtualenv folder works too
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "runtime does not load there (ModuleNotFoundError: No module named gevent)" in lines[0]
    assert "pip install cmi-sim" in lines[0]


def test_the_probe_also_imports_the_environment_factorys_module() -> None:
    """The sandbox's probe knows no environment: the parent names the factory's module, and a module that
    does not import under that interpreter is reported in the same one line."""
    from cmi_sim.sandbox.interpreter import InterpreterError, check_interpreter

    described = check_interpreter(sys.executable, ("cmi_sim.backtest.adapter.exchange_environment",))
    assert described.startswith("python ") and " gevent " in described
    with pytest.raises(InterpreterError, match="No module named 'no_such_environment_module'"):
        check_interpreter(sys.executable, ("no_such_environment_module",))
