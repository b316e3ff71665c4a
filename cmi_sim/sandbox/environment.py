"""What the sandbox asks of the program's environment: a router, replies and byte streams.

An environment (the CMI exchange of a backtest, an arena's remote exchange, a test's toy server) is
what the factory named in ``RunConfig.environment`` returns: an :class:`Environment`, whose
:data:`Router` the transport calls once per HTTP request the program makes, turning the answer into
a real ``requests.Response`` (or aiohttp/httpx/urllib response).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Protocol, Union, runtime_checkable

from cmi_sim.sandbox.reply import Reply  # the one reply type: Reply(status, body, headers)

__all__ = ["ByteStream", "ConnectionRefused", "Environment", "Reply", "Router", "StreamReply"]


@runtime_checkable
class ByteStream(Protocol):
    """Server side of one open stream (e.g. one SSE subscription)."""

    def read(self, timeout_s: float | None) -> bytes | None:
        """Next chunk; ``None`` on timeout (nothing arrived); ``b""`` once the server closed it.

        Blocks cooperatively (gevent primitives, or ``threading`` ones created after patching)
        until data, close or timeout.
        """

    def close(self) -> None:
        """The client went away (read timeout, response closed): drop the subscription."""


@dataclass(frozen=True)
class StreamReply:
    """A streaming response (status and headers now, body as it comes); headers as (name, value)
    pairs like :class:`Reply`'s (a mapping is turned into pairs)."""

    status: int
    headers: tuple[tuple[str, str], ...]
    stream: ByteStream

    def __post_init__(self) -> None:
        if isinstance(self.headers, Mapping):
            object.__setattr__(self, "headers", tuple(self.headers.items()))


class ConnectionRefused(Exception):
    """Raised by a router for a host it does not serve; the bot sees a ConnectionError."""


Router = Callable[[str, str, Mapping[str, str], Union[bytes, None]], Union[Reply, StreamReply]]


@dataclass
class Environment:
    """What an environment factory returns: the router, greenlets to run beside the bot, end hooks.

    ``background`` functions are spawned, in order, before the bot. ``on_end`` runs at the virtual
    end time before the bot is interrupted (freeze the exchange, close the streams). ``result``
    returns JSON-able data for the result file.
    """

    router: Router
    background: list[Callable[[], Any]] = field(default_factory=list)
    on_end: Callable[[], None] | None = None
    result: Callable[[], Any] | None = None
