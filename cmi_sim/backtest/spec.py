"""The one description of a run: a frozen, hashed `RunSpec`. Its id is the hash of everything that can
change the result, so two runs with the same id give the same result, and a different result always
comes with a different id (and run directory).

What it holds: the participants (each bot's script, account, arguments, environment, working directory,
interpreter, and a digest of its code: the script and the modules beside it that it imports), the
session with a digest of its content (manifest, data files, recording), the exchange rules as resolved,
the seed, the end time, latency and scheduling options, the events mode and the cmi-sim version. Limits
that only decide whether a run is abandoned (watchdog, wall-clock limit) are kept beside the identity.

Build one with `cmi_sim.backtest.plan.build_spec(...)`, which validates every setting first.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

#: A request's round trip from a laptop in London to the real exchange (an AWS EC2 host in eu-west-1,
#: Dublin): ~10-13 ms London-Dublin network RTT plus a few ms of home/venue Wi-Fi and broadband
#: access. The default of every user-facing run (`cmi-sim backtest`, `cmi_sim.backtest(...)`); see README.
REAL_EXCHANGE_LATENCY_MS = 20.0

SPEC_VERSION = 1
EVENTS_MODES = ("full", "compact", "none")


@dataclass(frozen=True)
class Participant:
    """One bot in the run."""

    script: str  #: absolute path of the bot script, run as ``__main__``
    code_digest: str  #: sha256 over the script and the local modules it imports
    account: str | None = None  #: the account reported on (None: the first the bot logs in with)
    args: tuple[str, ...] = ()  #: the bot's ``sys.argv[1:]``
    env: tuple[tuple[str, str], ...] = ()  #: extra environment variables, sorted
    cwd: str | None = None  #: working directory of the bot
    python: str | None = None  #: interpreter (None: the one running cmi-sim)
    entry: str | None = None  #: ``Class.method(args)`` for class-only bots

    @property
    def name(self) -> str:
        """A short label: the account if chosen, else the script's stem."""
        return self.account or Path(self.script).stem


@dataclass(frozen=True)
class SessionRef:
    """The session a run uses: what the user named, where it lives, and a digest of its content."""

    name: str  #: the manifest's name
    source: str  #: the built-in name or the directory the user gave
    path: str  #: the session directory
    digest: str  #: sha256 over the manifest and every data file and recording it names


@dataclass(frozen=True)
class RunSpec:
    """A run, completely. ``id`` is its identity hash; ``to_dict``/``from_dict`` round-trip it as JSON."""

    participants: tuple[Participant, ...]
    session: SessionRef
    seed: int  #: the run's seed (the session's unless overridden)
    seed_override: int | None  #: what the user passed (None: the session's); a seed also redraws synthetic data
    rules: tuple[tuple[str, Any], ...]  #: the exchange rules as resolved (session + options), sorted
    start: str  #: ISO UTC: the trading open, where virtual time starts
    end: str  #: ISO UTC: the close or `--until`
    settle: bool  #: the run reaches the close, so the market settles
    latency_ms: float = REAL_EXCHANGE_LATENCY_MS
    grace_s: float = 10.0
    events: str = "full"  #: full | compact | none: how much of the event log is written
    version: str = ""  #: cmi-sim version
    spec_version: int = SPEC_VERSION
    # Limits: they only decide whether a run is abandoned, so they are not part of its identity.
    watchdog_s: float = field(default=30.0, compare=False)
    wall_limit_s: float = field(default=3600.0, compare=False)

    _LIMITS = ("watchdog_s", "wall_limit_s")

    def __post_init__(self) -> None:
        if self.events not in EVENTS_MODES:
            raise ValueError(f"events must be one of {', '.join(EVENTS_MODES)}, got {self.events!r}")
        if not self.participants:
            raise ValueError("a run needs at least one participant")

    @property
    def identity(self) -> dict[str, Any]:
        """Everything that can change the result, as plain JSON values. Content, not location: a bot is
        its file name and code digest, a session its name and content digest, so a clone elsewhere
        gives the same id."""
        data = self.to_dict()
        for key in self._LIMITS:
            data.pop(key)
        for entry in data["participants"]:
            entry["script"] = Path(entry["script"]).name
            entry.pop("cwd")
        data["session"].pop("path")
        data["session"].pop("source")
        return data

    @property
    def id(self) -> str:
        payload = json.dumps(self.identity, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(payload).hexdigest()[:16]

    @property
    def rules_dict(self) -> dict[str, Any]:
        return dict(self.rules)

    @property
    def participant(self) -> Participant:
        """The first (in a backtest, the only) participant."""
        return self.participants[0]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rules"] = dict(self.rules)
        for participant in data["participants"]:
            participant["env"] = dict(participant["env"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown run spec keys: {', '.join(unknown)}")
        values = dict(data)
        values["participants"] = tuple(
            Participant(**(p | {"args": tuple(p.get("args", ())), "env": tuple(sorted(dict(p.get("env", {})).items()))}))
            for p in data["participants"])
        values["session"] = SessionRef(**data["session"])
        values["rules"] = tuple(sorted(dict(data["rules"]).items()))
        return cls(**values)

    def differences(self, other: RunSpec | dict[str, Any]) -> list[str]:
        """The settings that differ from another spec (for `--expect`): `key: this -> other`."""
        mine = _flatten(self.identity)
        theirs = _flatten((other if isinstance(other, RunSpec) else RunSpec.from_dict(other)).identity)
        return [f"{key}: {theirs.get(key, '(absent)')!r} -> {mine.get(key, '(absent)')!r}"
                for key in sorted(set(mine) | set(theirs)) if mine.get(key) != theirs.get(key)]


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        out = {}
        for index, item in enumerate(data):
            out.update(_flatten(item, f"{prefix}{index}."))
        return out
    return {prefix.rstrip("."): data}
