"""A corpus of bot shapes (tests/corpus/), each run unmodified against `serve` (a real uvicorn on
127.0.0.1) and through `cmi-sim backtest` twice, with identical results.

Bots on an SSE library run in a virtualenv of their own, made from the wheels in tests/vendor without
the base interpreter's packages, so one `sseclient` never shadows the other; their backtests use
`--python` with that virtualenv. The corpus is copied to a temporary folder first, so files a bot
writes (a cache) never touch the repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "corpus"
VENDOR = ROOT / "tests" / "vendor"
HARD_CODED = "http://exchange.cmi-challenge.example"
BASE_WHEELS = ["requests", "urllib3", "idna", "certifi", "charset-normalizer"]

# bot -> (environment, a line its output must start with against serve and in a backtest)
BOTS = {
    "template_style.py": ("sseclient-py", "template_style placed 10 books seen True"),
    "sse27_bot.py": ("sseclient-0.0.27", "sse27 library 0.0.27 placed 5 events True"),
    "aiohttp_gather.py": ("base", "aiohttp statuses [200] stream b'"),
    "httpx_async.py": ("base", "httpx placed 10 stream ok True"),
    "pool_orders.py": ("base", "pool user corpus-user orders 30 accepted 30"),
    "files_cache.py": ("base", "files params {'volume': 1, 'factor': 1.2} cwd sees data True cache runs 1"),
    "dashboard_bot.py": ("base", "dashboard orders 5 port given True"),
}


def _make_venv(path: Path, packages: list[str]) -> str:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120)
    python = str(path / "bin" / "python")
    pip = [python, "-m", "pip", "install", "-q", "--no-index", "--find-links", str(VENDOR)]
    subprocess.run([*pip, "wheel"], check=True, timeout=300, capture_output=True)  # builds the 0.0.27 sdist
    subprocess.run([*pip, "--no-build-isolation", *packages], check=True, timeout=300, capture_output=True)
    return python


@pytest.fixture(scope="module")
def pythons(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One interpreter per SSE library (each venv sees only its own packages), plus the base one."""
    root = tmp_path_factory.mktemp("venvs")
    return {
        "base": sys.executable,
        "sseclient-py": _make_venv(root / "sseclient-py", [*BASE_WHEELS, "sseclient-py==1.9.0"]),
        "sseclient-0.0.27": _make_venv(root / "sseclient-0.0.27", [*BASE_WHEELS, "six", "sseclient==0.0.27"]),
        "requests-2.32": _make_venv(root / "requests-2.32", ["requests==2.32.3", *BASE_WHEELS[1:]]),
    }


def test_each_library_venv_imports_its_own_sseclient(pythons) -> None:
    probe = "import sseclient; print(getattr(sseclient, '__version__', 'sseclient-py'), sseclient.__file__)"
    py = subprocess.run([pythons["sseclient-py"], "-c", probe], capture_output=True, text=True, check=True)
    legacy = subprocess.run([pythons["sseclient-0.0.27"], "-c", probe], capture_output=True, text=True, check=True)
    assert py.stdout.startswith("sseclient-py ") and "sseclient-py" in py.stdout.split()[1]
    assert legacy.stdout.startswith("0.0.27 ") and "sseclient-0.0.27" in legacy.stdout.split()[1]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder, ignore=shutil.ignore_patterns("__pycache__", "cache.json"))
    return folder


def _env(clean_env: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in clean_env.items() if k not in ("PYTHONPATH",)}
    env.update(CMI_USER="corpus-user", CMI_PASSWORD="pw", **extra)
    return env


@pytest.mark.parametrize("bot", list(BOTS))
def test_the_bot_runs_unmodified_against_serve(bot, pythons, corpus, live, clean_env) -> None:
    kind, expected = BOTS[bot]
    env = _env(clean_env, CMI_URL=live.url, HTTP_PROXY=live.url)  # hard-coded URLs go through the proxy
    done = subprocess.run([pythons[kind], bot], cwd=corpus, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].startswith(expected), done.stdout + done.stderr


def _backtest(bot: Path, out: Path, python: str, clean_env: dict[str, str]) -> dict:
    command = [sys.executable, "-m", "cmi_sim", "backtest", str(bot), "--until", "10m", "--out", str(out),
               "--no-progress", "--wall-limit", "300"]
    if python != sys.executable:
        command += ["--python", python]
    done = subprocess.run(command, cwd=bot.parent, env=_env(clean_env), capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads((out / "run.json").read_text())
    record["stdout"] = (out / "bot.stdout").read_text()
    record["events_sha256"] = hashlib.sha256((out / "events.jsonl").read_bytes()).hexdigest()
    return record


@pytest.mark.parametrize("bot", list(BOTS))
def test_the_bot_backtests_unmodified_and_identically_twice(bot, pythons, corpus, tmp_path, clean_env) -> None:
    kind, expected = BOTS[bot]
    first = _backtest(corpus / bot, tmp_path / "first", pythons[kind], clean_env)
    second = _backtest(corpus / bot, tmp_path / "second", pythons[kind], clean_env)
    assert first["run"]["status"] == "ok"
    assert first["stdout"].splitlines()[-1].startswith(expected), first["stdout"]
    assert first["run"]["transport"]["n_requests"] >= 5
    assert first["summary"]["fills"] > 0, first["summary"]
    assert first["run"]["watchdog"] is None
    assert (first["stdout"], first["events_sha256"], first["summary"]) == \
        (second["stdout"], second["events_sha256"], second["summary"])
    assert not (corpus / "cache.json").exists()  # the cache went to the scratch copy
    assert first["run"]["scratch"]
    if bot == "files_cache.py":  # its data file was saved after the session's day: likely look-ahead
        assert [f["path"] for f in first["run"]["files_after_virtual_moment"]] == ["data/params.json"]
    if bot == "dashboard_bot.py":
        assert [b["kind"] for b in first["run"]["blocked"]] == ["listen"]


def test_another_requests_version_takes_the_full_stack_with_the_same_results(pythons, corpus, tmp_path,
                                                                             clean_env) -> None:
    """The fast path mirrors requests 2.34's internals: under --python with requests 2.32 the run takes
    the full requests stack, and gives the same result."""
    base = _backtest(corpus / "pool_orders.py", tmp_path / "base", pythons["base"], clean_env)
    other = _backtest(corpus / "pool_orders.py", tmp_path / "other", pythons["requests-2.32"], clean_env)
    assert base["run"]["transport"]["fast_path"] is True and base["run"]["transport"]["n_fast"] > 0
    assert other["run"]["transport"]["fast_path"] is False and other["run"]["transport"]["n_fast"] == 0
    assert other["run"]["transport"]["requests_version"] == "2.32.3"
    same = {key: value for key, value in base["summary"].items() if key != "run_id"}  # the interpreter is in the id
    assert (other["stdout"], other["events_sha256"]) == (base["stdout"], base["events_sha256"])
    assert {key: value for key, value in other["summary"].items() if key != "run_id"} == same
