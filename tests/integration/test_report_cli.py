"""`cmi-sim report RUN_DIR` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys


def report(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cmi_sim", "report", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def test_report_rebuilds_report_html_of_a_run_directory(tmp_path, clean_env):
    (tmp_path / "run.json").write_text(json.dumps({"summary": {"user": "bot", "status": "ok"}}))
    (tmp_path / "events.jsonl").write_text("")
    done = report(str(tmp_path), env=clean_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"cmi-sim: wrote {tmp_path / 'report.html'}"
    assert "<canvas" in (tmp_path / "report.html").read_text()


def test_report_of_no_run_directory_is_one_line_error(tmp_path, clean_env):
    for target in (tmp_path, tmp_path / "absent"):
        done = report(str(target), env=clean_env)
        assert done.returncode == 1
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("cmi-sim: error: "), done.stderr
        assert not (tmp_path / "report.html").exists()
