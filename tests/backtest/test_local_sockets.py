"""A bot's own server: binding succeeds, nothing ever connects, and it is reported."""

from __future__ import annotations


def test_a_dashboard_server_binds_waits_for_ever_and_is_reported(run_bot) -> None:
    result = run_bot("dashboard.py", duration_s=30)
    assert result["status"] == "ok", result.stderr
    assert result.lines() == ["dashboard on port 40000", "polls 5"]
    assert [(b["kind"], b["target"]) for b in result["blocked"]] == [("listen", "127.0.0.1:40000")]
    assert result["bot"]["outcome"] == "returned"
