"""`cmi-sim record`: record a live (or served) CMI session for replay as a market."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import typer

from cmi_sim.cli.errors import user_error

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | None) -> float | None:
    """'90', '90s', '5m', '2h', '1d' -> seconds."""
    if text is None:
        return None
    match = _DURATION.match(text)
    if match is None:
        raise user_error(f"--duration: expected a number of seconds or e.g. 30m, 2h; got {text!r}")
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def record(
    url: str = typer.Option(..., help="The exchange's base URL, e.g. http://127.0.0.1:8000."),
    username: str = typer.Option(..., help="Account to log in with (a spare one: the recorder never trades)."),
    password: str = typer.Option(..., help="Its password."),
    out: Path = typer.Option(..., help="Directory to write the recording to (created; must not hold one)."),
    duration: str | None = typer.Option(None, help="Stop after this long (wall time: 90, 90s, 30m, 2h); default: until Ctrl-C."),
    world: bool = typer.Option(False, "--world", help="Also poll the tide and weather data APIs (failures are recorded, not fatal)."),
    world_url: list[str] = typer.Option([], metavar="NAME=URL", help="With --world: poll this URL too (repeatable; NAME=URL)."),
    world_interval: float = typer.Option(60.0, help="With --world: seconds between polls of each data API."),
    speed: float = typer.Option(1.0, help="The exchange clock's speed over wall time: 1 for a live exchange, "
                                          "the --speed of a `cmi-sim serve --session` being recorded."),
) -> None:
    """Record an exchange's books (SSE), trade tape, products and optionally world data into OUT.

    \b
    Examples:
      cmi-sim record --url http://ec2-...amazonaws.com --username rec --password pw --out rec/day1
      cmi-sim serve --session synthetic --speed 60 &
      cmi-sim record --url http://127.0.0.1:8000 --username rec --password pw --out rec/syn --speed 60 --duration 60
    Then replay it: a session with [market] kind = "replay", recording = "rec/day1".
    """
    from replay.recorder import DEFAULT_WORLD_URLS, Recorder
    from replay.writer import RecordingWriter

    seconds = parse_duration(duration)
    if not speed > 0:
        raise user_error(f"--speed must be positive, got {speed}")
    urls: dict[str, str] = dict(DEFAULT_WORLD_URLS) if world else {}
    for item in world_url:
        name, sep, target = item.partition("=")
        if not sep or not name or not target.startswith(("http://", "https://")):
            raise user_error(f"--world-url: expected NAME=http(s)://..., got {item!r}")
        urls[name] = target
    if world_url and not world:
        raise user_error("--world-url needs --world")
    try:
        writer = RecordingWriter(out, url, username, time.time_ns(), speed=speed)
    except (FileExistsError, OSError) as error:
        raise user_error(str(error)) from None
    recorder = Recorder(url, username, password, writer, world_urls=urls, world_interval_s=world_interval)
    typer.echo(f"cmi-sim: recording {url} as {username} into {out}"
               f"{f' for {duration}' if seconds else ''}; Ctrl-C to stop.", err=True)
    tty = sys.stderr.isatty()
    deadline = None if seconds is None else time.monotonic() + seconds
    recorder.start()
    last_line = 0.0
    try:
        while not recorder.stopping:
            if deadline is not None and time.monotonic() >= deadline:
                break
            if recorder.wait(0.5 if tty else 1.0):
                break
            writer.flush()  # a kill loses at most the last second
            now = time.monotonic()
            if tty:
                sys.stderr.write("\r" + recorder.status.line()[:200].ljust(120))
                sys.stderr.flush()
            elif now - last_line >= 10:
                typer.echo(recorder.status.line(), err=True)
                last_line = now
    except KeyboardInterrupt:
        pass
    finally:
        recorder.stop()
        writer.close(time.time_ns())
        if tty:
            sys.stderr.write("\n")
        typer.echo(f"cmi-sim: stopped. {recorder.status.line()}", err=True)
        typer.echo(f"cmi-sim: recording in {out}", err=True)


def register(app: typer.Typer) -> None:
    app.command("record")(record)
