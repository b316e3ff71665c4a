"""Files a bot reads whose modification time lies after the virtual moment: likely look-ahead.

A data file saved after the moment being simulated may hold data from the bot's future. The
check wraps ``open`` (``builtins.open`` and ``io.open``) once the bot starts: a file opened for
reading under one of the watched folders (the bot's folder, its working directory), not Python
source, whose mtime is after the virtual now is recorded once. Files written during the run (mtime
after the run began, in real time) are the bot's own and are not reported.
"""

from __future__ import annotations

import builtins
import io
import os
from pathlib import Path
from typing import Any, Callable

__all__ = ["FileReads"]

_SOURCE_SUFFIXES = (".py", ".pyc", ".pyi", ".pth", ".so")


class FileReads:
    def __init__(self, roots: list[str], virtual_now_ns: Callable[[], int], real_start_ns: int) -> None:
        self.roots = [os.path.realpath(r) + os.sep for r in roots]
        self._now_ns = virtual_now_ns
        self._real_start_ns = real_start_ns
        self._seen: set[str] = set()
        self.after_virtual_moment: list[dict[str, Any]] = []

    def install(self) -> None:
        original = builtins.open
        check = self._check

        def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = original(file, mode, *args, **kwargs)
            if isinstance(file, (str, bytes, os.PathLike)) and not any(c in mode for c in "wax+"):
                try:
                    check(os.fsdecode(file))
                except OSError:
                    pass
            return handle

        builtins.open = open_
        io.open = open_  # type: ignore[assignment]

    def _check(self, name: str) -> None:
        path = os.path.realpath(name)
        if path in self._seen or path.endswith(_SOURCE_SUFFIXES):
            return
        self._seen.add(path)
        root = next((r for r in self.roots if path.startswith(r)), None)
        if root is None:
            return
        mtime_ns = os.stat(path).st_mtime_ns
        now_ns = self._now_ns()
        if now_ns < mtime_ns < self._real_start_ns:
            from cmi_sim.sandbox.utc import format_utc_ns

            self.after_virtual_moment.append({
                "path": str(Path(path).relative_to(root)), "mtime": format_utc_ns(mtime_ns),
                "read_at": format_utc_ns(now_ns),
            })
