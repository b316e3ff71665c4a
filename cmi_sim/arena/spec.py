"""What an arena run is: participants (bot scripts with their arguments and limits) and the session.

A frozen value, the user's side of the run model: `run_spec()` gives the one frozen, hashed
`RunSpec` (cmi_sim.backtest.spec: participants with their code digests, the session's content digest,
rules, seed, end, latency; validated as for a backtest) and `digest()` the run's id (the `RunSpec`'s,
marked when the market is off). `load_spec(path)` reads an `arena.toml`:

    session = "london-2026-02-28"      # optional; also: seed, until, latency_ms, market, grace_s
    until = "6h"

    [[bot]]
    path = "bots/quoter.py"            # relative to the spec file
    args = ["--username", "quoter_a"]

    [[bot]]
    path = "bots/quoter.py"
    name = "quoter-wide"
    copies = 2                         # two participants; "{copy}" in args becomes 1, 2
    args = ["--username", "wide_{copy}", "--width", "9"]
    memory_mb = 1024                   # per-bot limits (default: DEFAULT_MEMORY_MB, DEFAULT_CPU_S)
    cpu_s = 600
    env = { MY_SETTING = "x" }
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cmi_sim.backtest.spec import REAL_EXCHANGE_LATENCY_MS
from cmi_sim.sandbox.utc import parse_iso_ns
from cmi_sim.sessions import DEFAULT_SESSION

__all__ = ["ArenaSpec", "Participant", "SpecError", "load_spec", "DEFAULT_MEMORY_MB", "DEFAULT_CPU_S"]

DEFAULT_MEMORY_MB = 2048  #: address-space limit of each bot process (RLIMIT_AS)
DEFAULT_CPU_S = 3600.0  #: CPU-time limit of each bot process (RLIMIT_CPU)
_BOT_KEYS = {"path", "args", "name", "copies", "env", "cwd", "python", "memory_mb", "cpu_s"}
_TOP_KEYS = {"session", "seed", "until", "latency_ms", "market", "stream_cadence_ms", "grace_s", "watchdog_s",
             "bot"}


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class SpecError(ValueError):
    """A spec that cannot run (one line for the user)."""


def parse_until(text: str, open_ns: int) -> int:
    """An ISO UTC time, or a duration from the trading open such as `90m`, `6h` (as `backtest --until`)."""
    match = _DURATION.match(str(text).strip())
    if match:
        return open_ns + round(float(match.group(1)) * _UNIT_S[match.group(2)] * 1e9)
    try:
        return parse_iso_ns(str(text))
    except ValueError:
        raise SpecError(f"--until: expected a UTC time like 2026-02-28T18:00Z or a duration like 6h, "
                        f"got {text!r}") from None


@dataclass(frozen=True)
class Participant:
    bot: str  #: absolute path of the bot script
    args: tuple[str, ...] = ()
    name: str = ""  #: label on the leaderboard (default: the script's stem, numbered if repeated)
    env: tuple[tuple[str, str], ...] = ()
    cwd: str | None = None
    python: str | None = None  #: interpreter (default: the one running cmi-sim)
    memory_mb: int | None = DEFAULT_MEMORY_MB
    cpu_s: float | None = DEFAULT_CPU_S


@dataclass(frozen=True)
class ArenaSpec:
    participants: tuple[Participant, ...]
    session: str = DEFAULT_SESSION
    seed: int | None = None
    until: str | None = None
    latency_ms: float = REAL_EXCHANGE_LATENCY_MS  #: as every user-facing run (half of it is the lookahead)
    market: bool = True
    #: 0 (default): each stream frame reaches its bot at the instant of its event, as on the exchange. Above
    #: 0: frames are published in batches at multiples of it from the open (an approximation that lets the
    #: bots run much further between meetings; see docs/arena.md)
    stream_cadence_ms: float = 0.0
    grace_s: float = 10.0
    watchdog_s: float = 30.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # not hashed: outputs, wall limits

    def run_spec(self) -> Any:
        """The one frozen, hashed run model (`cmi_sim.backtest.spec.RunSpec`) with these participants:
        every setting validated as for a backtest (a backtest is the one-participant case)."""
        from cmi_sim.backtest.plan import ConfigError, build_spec, participant

        cadence = self.stream_cadence_ms
        if isinstance(cadence, bool) or not isinstance(cadence, (int, float)) or not 0 <= cadence < 86_400_000:
            raise SpecError(f"stream_cadence_ms: expected milliseconds, 0 (every frame at its event's instant) "
                            f"or more, got {cadence!r}")
        try:
            participants = tuple(participant(p.bot, args=p.args, env=dict(p.env), cwd=p.cwd, python=p.python)
                                 for p in self.participants)
            return build_spec(participants, session=self.session, seed=self.seed, until=self.until,
                              latency_ms=self.latency_ms, grace_s=self.grace_s, watchdog_s=self.watchdog_s)
        except (ConfigError, ValueError) as error:
            raise SpecError(str(error)) from None

    def arena_options(self) -> dict[str, Any]:
        """What the arena adds to the run model: the market switch (part of the identity), and the names
        and limits of the participants (not part of it: they decide nothing that happens)."""
        return {"market": self.market, "stream_cadence_ms": self.stream_cadence_ms,
                "participants": [{"name": p.name, "memory_mb": p.memory_mb, "cpu_s": p.cpu_s}
                                 for p in self.participants]}

    def digest(self, run_spec: Any = None) -> str:
        """The run's id: the run model's id, whether the synthetic market trades alongside, and the stream
        cadence (the defaults, market and no cadence, leave the run model's id as it is)."""
        run_spec = run_spec if run_spec is not None else self.run_spec()
        marks = ([] if self.market else ["without the market"]) + (
            [f"stream cadence {float(self.stream_cadence_ms)!r} ms"] if self.stream_cadence_ms else [])
        if not marks:
            return run_spec.id
        return hashlib.sha256(" ".join([run_spec.id, *marks]).encode()).hexdigest()[:16]

    def with_names(self) -> ArenaSpec:
        """Unique names: a script's stem, numbered where several participants share one."""
        names = [p.name or Path(p.bot).stem for p in self.participants]
        seen: dict[str, int] = {}
        unique = []
        for name in names:
            seen[name] = seen.get(name, 0) + 1
            unique.append(name if names.count(name) == 1 else f"{name}-{seen[name]}")
        return replace(self, participants=tuple(replace(p, name=n) for p, n in zip(self.participants, unique)))


def participant_from_path(path: str | Path, args: tuple[str, ...] = (), **options: Any) -> Participant:
    bot = Path(path).expanduser().resolve()
    if not bot.is_file():
        raise SpecError(f"no bot file {path}")
    return Participant(bot=str(bot), args=tuple(args), **options)


def load_spec(path: str | Path) -> ArenaSpec:
    """An `arena.toml` as a spec (bot paths relative to the file)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SpecError(f"{path}: {error}") from None
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise SpecError(f"{path}: unknown keys {sorted(unknown)} (known: {sorted(_TOP_KEYS)})")
    bots = data.get("bot", [])
    if not isinstance(bots, list) or not all(isinstance(b, dict) for b in bots):
        raise SpecError(f"{path}: [[bot]] must be a list of tables")
    participants: list[Participant] = []
    for number, entry in enumerate(bots, 1):
        participants.extend(_participants(path, number, entry))
    top = {key: data[key] for key in sorted(_TOP_KEYS - {"bot"}) if key in data}
    try:
        return ArenaSpec(participants=tuple(participants), **top)
    except TypeError as error:
        raise SpecError(f"{path}: {error}") from None


def _participants(path: Path, number: int, entry: dict[str, Any]) -> list[Participant]:
    where = f"{path}: bot #{number}"
    unknown = set(entry) - _BOT_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(_BOT_KEYS)})")
    if not isinstance(entry.get("path"), str):
        raise SpecError(f"{where}: needs path = \"bot.py\"")
    args = entry.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, (str, int, float)) for a in args):
        raise SpecError(f"{where}: args must be a list of strings")
    copies = entry.get("copies", 1)
    if not isinstance(copies, int) or copies < 1:
        raise SpecError(f"{where}: copies must be a positive integer")
    env = entry.get("env", {})
    if not isinstance(env, dict):
        raise SpecError(f"{where}: env must be a table of strings")
    bot = (path.parent / entry["path"]).resolve()
    if not bot.is_file():
        raise SpecError(f"{where}: no bot file {entry['path']}")
    cwd = entry.get("cwd")
    result = []
    for copy in range(1, copies + 1):
        name = entry.get("name", "")
        result.append(Participant(
            bot=str(bot),
            args=tuple(str(a).replace("{copy}", str(copy)) for a in args),
            name=(f"{name}-{copy}" if name and copies > 1 else name),
            env=tuple(sorted((str(k), str(v)) for k, v in env.items())),
            cwd=str((path.parent / cwd).resolve()) if cwd else None,
            python=entry.get("python"),
            memory_mb=entry.get("memory_mb", DEFAULT_MEMORY_MB),
            cpu_s=entry.get("cpu_s", DEFAULT_CPU_S),
        ))
    return result
