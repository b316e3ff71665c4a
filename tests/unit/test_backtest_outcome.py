"""What a child's result means: completed or failed, and each error named with its count; tracebacks
printed on the bot's stderr are counted in the child."""

from __future__ import annotations

import io
import logging
import traceback

from cmi_sim.backtest.outcome import COMPLETED, FAILED, last_lines, run_errors, run_status
from cmi_sim.sandbox.stderr_watch import TracebackWatch


def kinds(result):
    return [(e["kind"], e["count"]) for e in run_errors(result)]


def test_a_clean_run_completes_whether_the_bot_returned_or_ran_to_the_close():
    for bot in ({"outcome": "returned", "exit_code": 0}, {"outcome": "running at close", "exit_code": 0},
                {"outcome": "exit", "exit_code": 0}):
        assert run_status(run_errors({"status": "ok", "bot": bot})) == COMPLETED


def test_every_kind_of_failure_is_named_with_its_count():
    assert kinds({"status": "ok", "bot": {"outcome": "exit", "exit_code": 3}}) == [("bot_exit", 1)]
    assert kinds({"status": "ok", "bot": {"outcome": "os._exit", "exit_code": 2}}) == [("bot_exit", 1)]
    raised = {"status": "bot_error", "bot": {"outcome": "raised", "exit_code": 1, "exception": "ValueError: x",
                                             "traceback": "Traceback\nValueError: x\n"},
              "stderr_tracebacks": {"count": 1, "first": "Traceback\nValueError: x\n"}}
    assert kinds(raised) == [("bot_raised", 1)]  # its printed traceback is not counted twice
    threads = {"status": "ok", "bot": {"outcome": "running at close", "exit_code": 0},
               "thread_errors": [{"thread": "w", "exception": "RuntimeError: a", "traceback": "T\nRuntimeError: a"}] * 2,
               "stderr_tracebacks": {"count": 9, "first": "T\nRuntimeError: a"}}
    errors = run_errors(threads)
    assert [(e["kind"], e["count"]) for e in errors] == [("thread_error", 2), ("caught_tracebacks", 7)]
    assert errors[1]["traceback"] == ""  # the first printed one was the thread's, already shown
    assert kinds({"status": "watchdog", "watchdog": {"message": "stuck"}, "bot": {}}) == [("watchdog", 1)]
    assert kinds({"status": "wall_limit"}) == [("wall_limit", 1)]
    assert kinds({"status": "child_died", "child_exit_code": -9}) == [("child_died", 1)]
    assert kinds({"status": "ok", "bot": {"exit_code": 0}, "world_errors": [{"exception": "E"}]}) == [
        ("simulator_error", 1)]
    assert kinds({"status": "ok", "bot": {"exit_code": 0}, "world": {"record_errors": ["me: positions differ"]}}) == [
        ("simulator_error", 1)]
    assert kinds({"status": "ok", "bot": {"exit_code": 0}, "world": {"error": "Traceback\nKeyError: x"}}) == [
        ("simulator_error", 1)]
    assert run_status(run_errors({"status": "wall_limit"})) == FAILED


def test_the_watch_counts_printed_tracebacks_once_each_and_keeps_the_first():
    watch = TracebackWatch(io.StringIO())
    for _ in range(3):
        try:
            1 / 0
        except ZeroDivisionError:
            traceback.print_exc(file=watch)
    try:
        try:
            1 / 0
        except ZeroDivisionError as error:
            raise ValueError("chained") from error
    except ValueError:
        traceback.print_exc(file=watch)  # one exception, two tracebacks
    logger = logging.getLogger("test_watch")
    logger.addHandler(logging.StreamHandler(watch))
    try:
        {}["key"]
    except KeyError:
        logger.exception("handler failed")
    report = watch.report()
    assert report["count"] == 5
    assert report["first"].startswith("Traceback (most recent call last):")
    assert report["first"].rstrip().endswith("ZeroDivisionError: division by zero")


def test_the_watch_passes_everything_through():
    stream = io.StringIO()
    watch = TracebackWatch(stream)
    watch.write("hello\n")
    assert stream.getvalue() == "hello\n" and watch.getvalue() == "hello\n" and watch.report()["count"] == 0


def test_last_lines_of_a_large_file(tmp_path):
    path = tmp_path / "out"
    path.write_text("".join(f"line {i}\n" for i in range(100_000)))
    assert last_lines(path, 3) == ["line 99997", "line 99998", "line 99999"]
    assert last_lines(tmp_path / "missing", 3) == []
