"""The bot's stdout/stderr, read from a pipe into a file that never grows past a cap.

A bot stuck in a loop that prints can write hundreds of megabytes a virtual minute. The file keeps
the first half of the cap, then a line saying how much was dropped, then the last half (the tail
is what explains how a run ended). Lines starting with ``[cmi-sim]`` (the runtime's own notices,
e.g. "slower than real time") are also passed to ``notice`` as they arrive.
"""

from __future__ import annotations

import os
import threading
from typing import BinaryIO, Callable

__all__ = ["CappedOutput", "NOTICE_PREFIX", "tail_lines"]

NOTICE_PREFIX = b"[cmi-sim] "


class CappedOutput:
    def __init__(self, read_fd: int, file: BinaryIO, cap_bytes: int,
                 notice: Callable[[str], None] | None = None) -> None:
        self._fd = read_fd
        self._file = file
        self._head_left = cap_bytes - cap_bytes // 2
        self._tail_cap = cap_bytes // 2
        self._tail = bytearray()
        self.dropped = 0
        self.total = 0
        self._notice = notice
        self._line = b""
        self._thread = threading.Thread(target=self._pump, name="cmi-sim-output", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while True:
            try:
                data = os.read(self._fd, 1 << 16)
            except OSError:
                break
            if not data:
                break
            self._take(data)
        os.close(self._fd)

    def _take(self, data: bytes) -> None:
        self.total += len(data)
        if self._notice is not None and NOTICE_PREFIX in self._line + data:
            text = self._line + data
            *lines, self._line = text.split(b"\n")
            for line in lines:
                if line.startswith(NOTICE_PREFIX):
                    self._notice(line.decode("utf-8", "replace"))
        elif self._notice is not None:
            self._line = (self._line + data).rsplit(b"\n", 1)[-1][-4096:]
        if self._head_left > 0:
            head, data = data[: self._head_left], data[self._head_left:]
            self._file.write(head)
            self._head_left -= len(head)
        if data:
            self._tail += data
            if len(self._tail) > self._tail_cap:
                cut = len(self._tail) - self._tail_cap
                self.dropped += cut
                del self._tail[:cut]

    def finish(self, timeout_s: float = 5.0) -> None:
        """Wait for the writer's end of the pipe to close (the child is gone), then write the tail."""
        self._thread.join(timeout_s)
        if self.dropped:
            self._file.write(f"\n[cmi-sim] output capped: {self.dropped} bytes dropped here; the last "
                             f"{len(self._tail)} bytes follow\n".encode())
        self._file.write(bytes(self._tail))
        self._file.flush()


def tail_lines(path: str, n: int = 20, max_bytes: int = 65536) -> list[str]:
    """The last ``n`` lines of a file (reading at most its last ``max_bytes``)."""
    try:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(0, size - max_bytes))
            data = file.read()
    except OSError:
        return []
    return data.decode("utf-8", "replace").splitlines()[-n:]
