"""What a run's child result means: `completed` or `failed`, and every error that made it fail.

A run completed when the bot returned 0, or was still running at the close (or `--until`), and nothing
went wrong meanwhile. Anything else fails it: a non-zero exit, an exception in any bot thread, tracebacks
that an event handler caught and printed (the bot kept running, its strategy did not), the watchdog, the
simulator's own errors, the wall-clock limit, a child that died. Pure functions over the result dict.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

COMPLETED = "completed"
FAILED = "failed"


def run_errors(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every error of a run, most decisive first: `{kind, count, message, traceback}`."""
    errors: list[dict[str, Any]] = []
    status = result.get("status")
    if status == "wall_limit":
        errors.append(_error("wall_limit", 1, "the run passed its wall-clock limit and was stopped"
                                              + (" (the figures are partial)" if result.get("partial") else "")))
    elif status == "storm":
        storm = result.get("storm") or {}
        errors.append(_error("storm", 1, result.get("note") or "a request storm", storm.get("stack", "")))
    elif status == "child_died":
        errors.append(_error("child_died", 1, f"the backtest process died (exit code "
                                              f"{result.get('child_exit_code')}) without a result"))
    elif status == "runtime_error":
        text = result.get("traceback") or ""
        errors.append(_error("runtime_error", 1, _last_line(text) or "the simulator failed", text))
    watchdog = result.get("watchdog")
    if watchdog:
        errors.append(_error("watchdog", 1, f"the bot stopped making progress: {watchdog.get('message')}",
                             watchdog.get("stuck_stack", "")))
    bot = result.get("bot") or {}
    known_tracebacks = 0
    if bot.get("outcome") == "raised":
        known_tracebacks += 1
        errors.append(_error("bot_raised", 1, f"the bot raised {bot.get('exception')}", bot.get("traceback", "")))
    elif bot.get("exit_code") not in (None, 0):
        how = "called os._exit" if bot.get("outcome") == "os._exit" else "exited"
        errors.append(_error("bot_exit", 1, f"the bot {how} with code {bot['exit_code']}"))
    threads = result.get("thread_errors") or []
    if threads:
        known_tracebacks += len(threads)
        first = threads[0]
        errors.append(_error("thread_error", len(threads),
                             f"uncaught in bot thread {first.get('thread')!r}: {first.get('exception')}",
                             first.get("traceback", "")))
    printed = result.get("stderr_tracebacks") or {}
    caught = int(printed.get("count") or 0) - known_tracebacks
    if caught > 0:
        text = printed.get("first") or ""
        if _last_line(text) in {_last_line(t.get("traceback", "")) for t in threads} | {bot.get("exception")}:
            text = ""  # the first printed one was an uncaught error already listed
        errors.append(_error("caught_tracebacks", caught,
                             f"{caught} traceback(s) printed on the bot's stderr by code that caught the "
                             f"exception and went on (e.g. an event handler): {_last_line(text) or 'see bot.stderr'}",
                             text))
    world = result.get("world_errors") or []
    if world:
        errors.append(_error("simulator_error", len(world), f"the simulated world failed: "
                                                            f"{world[0].get('exception') or _last_line(world[0].get('traceback', ''))}",
                             world[0].get("traceback", "")))
    world_result = result.get("world") or {}
    if world_result.get("error"):  # the world's summary failed: no figures to trust
        errors.append(_error("simulator_error", 1, f"the world's result failed: {_last_line(world_result['error'])}",
                             world_result["error"]))
    mismatches = world_result.get("record_errors") or []
    if mismatches:
        errors.append(_error("simulator_error", len(mismatches), f"the trading record disagrees with the exchange: "
                                                                 f"{mismatches[0]}"))
    return errors


def run_status(errors: list[dict[str, Any]]) -> str:
    return FAILED if errors else COMPLETED


def _error(kind: str, count: int, message: str, traceback: str = "") -> dict[str, Any]:
    return {"kind": kind, "count": count, "message": message, "traceback": traceback}


def _last_line(text: str) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def last_lines(path: str | Path | None, count: int = 10, max_bytes: int = 64_000) -> list[str]:
    """The last `count` lines of a (possibly huge) output file, without reading all of it."""
    if not path:
        return []
    try:
        with open(path, "rb") as file:
            file.seek(0, 2)
            size = file.tell()
            file.seek(max(0, size - max_bytes))
            tail = file.read()
    except OSError:
        return []
    lines = tail.decode("utf-8", "replace").splitlines()
    if size > max_bytes and lines:
        lines = lines[1:]  # the first may be cut
    return lines[-count:]
