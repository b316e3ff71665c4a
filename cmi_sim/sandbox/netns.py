"""A network namespace of the process's own: no interface but a loopback that is down.

The sandbox's guard stops a bot's Python-level sockets; this stops the rest (the C-level ``_socket``
module, ctypes, a C extension's own sockets): nothing is reachable, not even this machine's loopback.
Unix sockets and pipes are untouched. Where the OS refuses (no ``CAP_SYS_ADMIN``, not Linux), the
guard alone applies and the caller is told so.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["isolate", "leave_network"]

CLONE_NEWNET = 0x40000000


def leave_network() -> bool:
    """Move this process into a new, empty network namespace; False if the OS does not allow it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.unshare(CLONE_NEWNET) == 0
    except (OSError, AttributeError):
        return False


def isolate(wanted: bool) -> str:
    """What stands between the bot and the network once this returns: ``"namespace"`` (a namespace of its
    own, and the guard) or ``"guard"`` (the guard alone: not wanted, or the OS refused)."""
    return "namespace" if wanted and leave_network() else "guard"
