"""`cmi-sim serve` as a real subprocess, for tests that need a whole server (kill -9, memory, sockets)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

URL = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


class ServeProcess:
    def __init__(self, *args: str, port: int = 0) -> None:
        env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen([sys.executable, "-m", "cmi_sim", "serve", "--port", str(port), *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line)
            match = URL.search(line)
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                return
        self.process.kill()
        self.process.wait()
        raise AssertionError("the server did not print its URL:\n" + "".join(self.lines))

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process.stdout.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if not self.process.stdout.closed:
            self.process.stdout.close()

    def raw_socket(self, receive_buffer: int | None = None) -> socket.socket:
        """A TCP connection to the server (a small receive buffer makes a stalled reader stall sooner)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect(("127.0.0.1", self.port))
        return sock


def free_port() -> int:
    """A port free now (a restarted server takes it again, so a client's URL stays the same)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
