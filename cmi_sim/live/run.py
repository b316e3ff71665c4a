"""`cmi-sim run BOT.py --exchange URL`: an unmodified bot in real (scaled) time against a running serve.

The bot runs in the backtest's sandbox (child process, greenlets, patched clocks, network guard), with
two differences: the loop is a `PacedLoop`, so virtual time is the server's session clock (offset and
speed read from `GET /cmi-sim/clock`), and the world is `remote_world`, so every exchange and data-API
request goes over real HTTP to the server. Several such bots, the dashboard and people can share one
server. The bot's output goes to this terminal.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cmi_sim.sandbox.config import RunConfig
from cmi_sim.sandbox.utc import parse_iso_ns
from cmi_sim.sandbox.parent import child_env
from cmi_sim.exchange import format_timestamp
from cmi_sim.live.clock_info import ClockError, ServerClock, read_server_clock

ENVIRONMENT_FACTORY = "cmi_sim.live.remote_environment:make_environment"
PACED_LOOP = "cmi_sim.live.paced_loop:PacedLoop"
NO_END_S = 366 * 86_400.0  # a server without a session has no end: run for at most a year


class LiveRunError(ValueError):
    """A user error: no bot file, a bad URL, a server that does not answer, a session already over."""


@dataclass(frozen=True)
class LiveRunOptions:
    bot: Path
    exchange: str
    out: Path | None = None  #: where the config and result go (default: a temporary directory)
    seed: int = 0
    watchdog_s: float = 30.0
    bot_args: tuple[str, ...] = field(default_factory=tuple)


def plan(options: LiveRunOptions, clock: ServerClock | None = None) -> tuple[RunConfig, Path, ServerClock]:
    bot = options.bot.resolve()
    if not bot.is_file():
        raise LiveRunError(f"no bot file {options.bot}")
    url = urlsplit(options.exchange)
    if url.scheme != "http" or not url.hostname:
        raise LiveRunError(f"--exchange: expected the URL of a cmi-sim serve, like http://127.0.0.1:8000, "
                           f"got {options.exchange!r}")
    if clock is None:
        try:
            clock = read_server_clock(options.exchange)
        except ClockError as error:
            raise LiveRunError(str(error)) from None
    if clock.end_ns is not None and clock.end_ns <= clock.session_ns:
        raise LiveRunError(f"the session at {options.exchange} has ended ({format_timestamp(clock.end_ns)})")
    run_dir = (options.out or Path(tempfile.mkdtemp(prefix=f"cmi-run-{bot.stem}-"))).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    duration_s = NO_END_S if clock.end_ns is None else (clock.end_ns - clock.session_ns) / 1e9
    start = format_timestamp(clock.session_ns)
    # The sandbox's virtual time 0 is `start` as parse_iso_ns reads it (to the microsecond): the local
    # monotonic time at which the server's session clock read exactly that is the loop's anchor.
    anchor = clock.local_monotonic_ns - round((clock.session_ns - parse_iso_ns(start)) / clock.speed)
    config = RunConfig(
        bot=str(bot), environment=ENVIRONMENT_FACTORY, result_path=str(run_dir / "result.json"),
        start=start, duration_s=duration_s, argv=tuple(options.bot_args),
        seed=options.seed, latency_ms=0.0,  # the round trip is real
        watchdog_s=options.watchdog_s, fast_path=False, cwd=str(Path.cwd()),
        environment_args={"exchange": f"http://{url.netloc}"},
        loop=PACED_LOOP, loop_args={"speed": clock.speed, "anchor_monotonic_ns": anchor},
    )
    return config, run_dir, clock


def run_live(options: LiveRunOptions) -> tuple[int, dict[str, Any]]:
    """Run the bot until it stops or the session ends; (exit code, the sandbox's result)."""
    config, run_dir, _clock = plan(options)
    config_path = run_dir / "config.json"
    config.dump(config_path)
    # Its own session: a terminal's Ctrl-C reaches this process only, which stops the child; and the
    # child dies with this process, however it ends (Linux: the parent-death signal).
    process = subprocess.Popen([sys.executable, "-m", "cmi_sim.sandbox.child", str(config_path)],
                               stdin=subprocess.DEVNULL, env=child_env(), start_new_session=True,
                               preexec_fn=_die_with_parent)
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        code = process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        return 130, {"status": "interrupted"}
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    result_path = Path(config.result_path)
    result = json.loads(result_path.read_text()) if result_path.exists() else {"status": "child_died"}
    return code, result


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGTERM when the parent dies (Linux only; elsewhere a no-op)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
