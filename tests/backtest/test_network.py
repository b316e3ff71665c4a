"""The network: the transport's responses, SSE through both libraries, and the guard."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "vendor"
BOTS = Path(__file__).resolve().parent / "bots"


def test_notebook_style_bot_sees_rest_and_sse(run_bot) -> None:
    result = run_bot("simple.py", duration_s=10)
    assert result["status"] == "ok", result.stderr
    lines = result.lines()
    assert lines[0] == "2026-02-28T12:00:00.001000+00:00 products ['TIDE', 'WX']"
    assert lines[1] == '2026-02-28T12:00:00.002000+00:00 echo 200 {"i": 0} 0.001'
    ticks = [line for line in lines if " sse order " in line]
    assert len(ticks) == 7 and ticks[0].startswith("2026-02-28T12:00:01+00:00 sse order")


def test_sseclient_py_read_timeout_closes_the_stream_and_reconnects(run_bot) -> None:
    result = run_bot("sse_timeout.py", duration_s=200, environment_args={"tick_s": 40})
    assert result["status"] == "ok", result.stderr
    lines = result.lines()
    # stream opened at 0.001 s (latency), 30 s read timeout, reconnect, tick at 40 s, and so on
    assert lines[0] == "1772280030.001 reconnect ConnectionError True"
    assert lines[1].startswith('1772280040.0 event order {"productsymbol": "TIDE", "tick": 1')
    assert sum("reconnect" in line for line in lines) == 5
    assert sum(" event order " in line for line in lines) == 5
    # every timed-out stream was closed on the server side: no subscription leaks
    assert result["world"]["subscribed"] == result["world"]["dropped"] == 6
    assert result["world"]["open_streams"] == 0


def test_sseclient_0_0_27_receives_events_and_resumes_with_last_event_id(run_bot, tmp_path: Path) -> None:
    # sseclient 0.0.27 and sseclient-py share the module name: give the bot its own folder, first
    # on sys.path (as `python bot.py` would), with the released sdist's module and its dep `six`.
    bot_dir = tmp_path / "bot27"
    bot_dir.mkdir()
    with tarfile.open(VENDOR / "sseclient-0.0.27.tar.gz") as sdist:
        member = sdist.getmember("sseclient-0.0.27/sseclient.py")
        (bot_dir / "sseclient.py").write_bytes(sdist.extractfile(member).read())  # type: ignore[union-attr]
    with zipfile.ZipFile(VENDOR / "six-1.17.0-py2.py3-none-any.whl") as wheel:
        (bot_dir / "six.py").write_bytes(wheel.read("six.py"))
    shutil.copy(BOTS / "sse27.py", bot_dir / "sse27.py")

    result = run_bot(bot_dir / "sse27.py", duration_s=20, environment_args={"sse_ids": True, "close_after": 3})
    assert result["status"] == "ok", result.stderr
    events = [line for line in result.lines() if " event " in line]
    assert result.lines()[0] == "library 0.0.27 sseclient.py"
    # 3 events per stream; the server closes; the client sleeps retry=3 s and reconnects
    ticks = [int(line.split(" ")[3]) for line in events]
    assert ticks == [1, 2, 3, 7, 8, 9, 13, 14, 15, 19, 20]
    assert events[0] == '1772280001.0 event order 1 {"productsymbol": "TIDE", "tick": 1, "t_ns": 1772280001000000000}'
    assert result["world"]["last_event_ids"] == [None, "3", "9", "15"]


def test_unknown_hosts_and_direct_network_use_fail_loudly_and_are_reported(run_bot) -> None:
    result = run_bot("network.py", duration_s=5)
    assert result["status"] == "ok", result.stderr
    assert result.lines() == [
        "requests: network is disabled: no route for https://api.open-meteo.com/v1/forecast?latitude=51.5",
        "urlopen: network is disabled: no route for http://environment.data.gov.uk/flood-monitoring/id/stations",
        "socket: real network access is disabled in a backtest: example.com:80",
        "getaddrinfo: real network access is disabled in a backtest: example.com:443",
        "exchange still works: 200",
    ]
    assert [r["url"] for r in result["refused"]] == [
        "https://api.open-meteo.com/v1/forecast?latitude=51.5",
        "http://environment.data.gov.uk/flood-monitoring/id/stations",
    ]
    assert [b["kind"] for b in result["blocked"]] == [
        "socket.create_connection",
        "socket.getaddrinfo",
    ]


RAW_SOCKET_BOT = Path(__file__).resolve().parents[1] / "integration" / "arena_bots" / "raw_socket.py"


def _listener():
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    return listener


def test_a_network_namespace_stops_what_goes_around_the_guard(run_bot) -> None:
    """The guard sees Python-level sockets only; with `isolate_network` (every backtest) the child also has
    a network namespace of its own, so even the C-level `_socket` module reaches nothing, not even this
    machine's loopback. Without it, such a bot does reach a local port: the namespace is what stops it."""
    listener = _listener()
    try:
        port = str(listener.getsockname()[1])
        isolated = run_bot(RAW_SOCKET_BOT, argv=(port,), duration_s=30, isolate_network=True)
        assert isolated["network"] == "namespace"
        assert isolated.lines()[0].startswith("no network:")
        open_run = run_bot(RAW_SOCKET_BOT, argv=(port,), duration_s=30)
        assert open_run["network"] == "guard"
        assert open_run.lines()[0] == "connected"
        listener.accept()[0].close()  # the one connection came from the run without a namespace
    finally:
        listener.close()


def test_every_backtest_runs_in_a_network_namespace(tmp_path) -> None:
    from cmi_sim.backtest.launch import backtest

    listener = _listener()
    try:
        result = backtest(RAW_SOCKET_BOT, args=(str(listener.getsockname()[1]),), until="1m", out=tmp_path / "run")
        assert result.child["network"] == "namespace"
        assert (tmp_path / "run" / "bot.stdout").read_text().startswith("no network:")
    finally:
        listener.close()
