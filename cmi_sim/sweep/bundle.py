"""Files shipped by content: the bot's folder and a session directory, as bytes with a digest.

A Ray worker on another machine has neither the user's paths nor their files, so a sweep sends the
files themselves; the digest names them (and enters every run id: an edited bot or `bot_template.py`
is a different run). A worker writes a bundle once into a cache directory named by its digest.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cmi_sim.sessions.manifest import read_manifest

MAX_FILES = 2_000
MAX_BYTES = 64 * 1024 * 1024
_SKIPPED_DIRS = {"__pycache__", "runs", "node_modules", "site-packages"}


class BundleError(ValueError):
    """A folder too large (or unreadable) to ship."""


@dataclass(frozen=True)
class Bundle:
    files: tuple[tuple[str, bytes], ...]  # (path relative to the bundle root, content), sorted
    digest: str

    @classmethod
    def of(cls, files: dict[str, bytes]) -> Bundle:
        items = tuple(sorted(files.items()))
        digest = hashlib.sha256()
        for name, content in items:
            digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
        return cls(items, digest.hexdigest()[:16])

    def materialize(self, cache: Path | None = None) -> Path:
        """The bundle's files under a directory named by its digest (written once, atomically)."""
        cache = cache or Path(tempfile.gettempdir()) / f"cmi-sim-sweep-{os.getuid()}"
        target = cache / self.digest
        if target.is_dir():
            return target
        cache.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{self.digest}-", dir=cache))
        for name, content in self.files:
            path = scratch / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        try:
            scratch.rename(target)
        except OSError:  # another worker on this machine wrote it first: theirs is the same
            shutil.rmtree(scratch, ignore_errors=True)
        return target


def _collect(root: Path, paths: list[Path], skip: set[Path]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for start in paths:
        walk = [(str(start.parent), [], [start.name])] if start.is_file() else os.walk(start)
        for folder, dirs, names in walk:
            here = Path(folder)
            dirs[:] = sorted(d for d in dirs if not _skipped(here / d, skip))
            for name in sorted(names):
                if name.startswith(".") or name.endswith((".pyc", ".pyo")):
                    continue
                path = here / name
                if not path.is_file():
                    continue
                relative = path.relative_to(root).as_posix()
                if relative in files:
                    continue
                total += path.stat().st_size
                if len(files) >= MAX_FILES or total > MAX_BYTES:
                    raise BundleError(f"{root} holds more than {MAX_FILES} files or {MAX_BYTES >> 20} MB to ship "
                                      f"to the workers; put the bot in a folder of its own")
                files[relative] = path.read_bytes()
    return files


def _skipped(path: Path, skip: set[Path]) -> bool:
    return (path.name.startswith(".") or path.name in _SKIPPED_DIRS or (path / "pyvenv.cfg").exists()
            or path.resolve() in skip)


def bot_bundle(bot: Path, skip: tuple[Path, ...] = ()) -> tuple[Bundle, str]:
    """The bot's folder (what it imports beside it, e.g. `bot_template.py`) and the bot's path in it.
    Hidden entries, caches, virtual environments, run folders and `skip` (the sweep's output) stay."""
    bot = bot.resolve()
    root = bot.parent
    files = _collect(root, [root], {p.resolve() for p in skip})
    files.setdefault(bot.name, bot.read_bytes())
    return Bundle.of(files), bot.name


def session_bundle(directory: Path) -> tuple[Bundle, str]:
    """A session directory and every file its manifest names (even outside it, like a recording in
    `../recordings/day1`), relative to their common folder; and the session's path in the bundle."""
    directory = directory.resolve()
    manifest = read_manifest(directory)
    named = [Path(p).resolve() for p in manifest.data_files.values()]
    if manifest.market.get("recording"):
        named.append(Path(manifest.market["recording"]).resolve())
    root = Path(os.path.commonpath([directory, *named]))
    files = _collect(root, [directory, *named], set())
    return Bundle.of(files), directory.relative_to(root).as_posix() if directory != root else "."
