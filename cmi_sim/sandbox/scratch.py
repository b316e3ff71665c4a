"""The bot runs in a scratch copy of its folder, so files it writes never leak into the next run.

A bot that caches data in its own folder would otherwise read the previous run's cache: two runs of
the same bot would differ. :func:`scratch_copy` copies the folder (skipping virtualenvs, VCS data,
caches and the run directory itself) into the run directory, fresh for each run, keeping file
modification times (the look-ahead check compares them with the virtual moment).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ScratchCopy", "ScratchTooBig", "scratch_copy", "SKIPPED_NAMES"]

SKIPPED_NAMES = frozenset({".git", ".hg", ".svn", ".venv", "venv", "env", "__pycache__", "node_modules",
                           ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox", ".ipynb_checkpoints"})
MAX_BYTES = 1 << 30  # 1 GiB
MAX_FILES = 20_000


class ScratchTooBig(ValueError):
    """The bot's folder is too big to copy for every run."""


@dataclass(frozen=True)
class ScratchCopy:
    source: Path  #: the bot's real folder
    folder: Path  #: its copy
    bot: Path  #: the bot file in the copy
    cwd: Path  #: the working directory to use (in the copy when the real one was in the folder)
    n_files: int
    n_bytes: int


def scratch_copy(bot: Path, cwd: Path, dest: Path, *, exclude: tuple[Path, ...] = (),
                 max_bytes: int = MAX_BYTES, max_files: int = MAX_FILES) -> ScratchCopy:
    """Copy ``bot``'s folder to ``dest`` (emptied first); paths in ``exclude`` are not copied."""
    source = bot.resolve().parent
    excluded = {p.resolve() for p in (*exclude, dest)}
    n_files = n_bytes = 0
    plan: list[tuple[Path, Path]] = []
    for root, dirs, files in os.walk(source):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_NAMES and (here / d).resolve() not in excluded)
        for name in sorted(files):
            path = here / name
            if not path.is_file():
                continue
            n_files += 1
            n_bytes += path.stat().st_size
            if n_files > max_files or n_bytes > max_bytes:
                raise ScratchTooBig(
                    f"the bot's folder {source} holds more than {max_files} files or {max_bytes >> 20} MiB, "
                    "too much to copy for each run: move the bot to a folder of its own, or run it in "
                    "place with --no-scratch"
                )
            plan.append((path, dest / path.relative_to(source)))
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for src, dst in plan:
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)  # keeps the modification time
    real_cwd = cwd.resolve()
    if real_cwd == source or source in real_cwd.parents:
        new_cwd = dest / real_cwd.relative_to(source)
        new_cwd.mkdir(parents=True, exist_ok=True)
    else:
        new_cwd = real_cwd
    return ScratchCopy(source, dest, dest / bot.name, new_cwd, n_files, n_bytes)
