"""The ``requests`` transport of a backtest: every HTTP request is answered in-process.

:meth:`InProcessTransport.install` replaces the class attribute ``HTTPAdapter.send``, so
module-level ``requests.get/post``, user Sessions and adapter subclasses that call
``super().send()`` all pass through it. Each request goes to the world's :data:`Router`:

- a :class:`Reply` becomes a complete ``requests.Response`` (``.json()``, ``.text``, ``.ok``,
  ``raise_for_status``, ``iter_content``/``iter_lines`` behave as with a real server);
- a :class:`StreamReply` becomes a streaming response whose ``raw`` is a :class:`StreamRaw`
  (read timeout in virtual time, closing it closes the server-side stream);
- :class:`ConnectionRefused` becomes ``requests.exceptions.ConnectionError("network is disabled:
  no route for <url>")`` and is recorded in :attr:`InProcessTransport.refused`.

Latency model (virtual time): ``sleep(latency/2)``, the handler, ``sleep(latency/2)``. The default
of 1 ms makes every request a yield point, so a bot that retries in a tight loop on instant errors
still lets virtual time advance. A second guard: more than ``same_instant_budget`` requests at one
virtual instant force a 1 ms virtual sleep.

Speed-ups that do not change results: requests' netrc and environment-proxy look-ups are no-ops
(the effect of ``Session.trust_env = False``, with ``trust_env`` left as the bot sees it: no
per-request scan of ``os.environ``, no ``~/.netrc``), adapters build no urllib3 ``PoolManager``,
and requests' runtime-checkable ``typing.Protocol`` isinstance checks are replaced by duck-typing
checks. :mod:`cmi_sim.sandbox.fastpath` goes further for simple call shapes.
"""

from __future__ import annotations

import functools
import http.client
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Callable

import requests
import requests.adapters
import requests.models
import requests.sessions
import requests.utils
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from cmi_sim.sandbox.environment import ConnectionRefused, Reply, Router, StreamReply
from cmi_sim.sandbox.sse_raw import BodyRaw, StreamRaw

__all__ = ["InProcessTransport", "read_timeout_of"]

DEFAULT_LATENCY_NS = 1_000_000
DEFAULT_SAME_INSTANT_BUDGET = 1_000
BUDGET_SLEEP_S = 0.001


def read_timeout_of(timeout: Any) -> float | None:
    """The read timeout in seconds of a ``requests`` timeout argument (float, tuple, urllib3 Timeout)."""
    if timeout is None:
        return None
    if isinstance(timeout, tuple):
        return None if timeout[1] is None else float(timeout[1])
    read = getattr(timeout, "read_timeout", timeout)  # urllib3.util.Timeout
    return None if read is None else float(read)


def _body_bytes(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(part.encode("utf-8") if isinstance(part, str) else bytes(part) for part in body)


class InProcessTransport:
    """Routes ``requests`` traffic to a router; keeps the counts and records the report needs."""

    def __init__(
        self,
        router: Router,
        *,
        sleep: Callable[[float], None],
        now_ns: Callable[[], int],
        latency_ns: int = DEFAULT_LATENCY_NS,
        same_instant_budget: int = DEFAULT_SAME_INSTANT_BUDGET,
    ) -> None:
        self.router = router
        self.latency_ns = latency_ns
        self.same_instant_budget = same_instant_budget
        self._sleep = sleep
        self._now_ns = now_ns  # virtual time (absolute epoch ns)
        self.refused: list[dict[str, Any]] = []
        self.n_requests = 0
        self.n_streams = 0
        self.n_budget_sleeps = 0
        self._instant_ns = -1
        self._instant_count = 0

    # -- installing ------------------------------------------------------------------------------
    def install(self) -> None:
        transport = self

        def send(
            adapter: requests.adapters.HTTPAdapter,
            request: requests.PreparedRequest,
            stream: bool = False,
            timeout: Any = None,
            verify: Any = True,
            cert: Any = None,
            proxies: Any = None,
        ) -> requests.Response:
            return transport.send(adapter, request, stream=stream, timeout=timeout)

        requests.adapters.HTTPAdapter.send = send  # type: ignore[method-assign]
        _install_speedups()

    # -- one request ---------------------------------------------------------------------------
    def send(
        self, adapter: Any, request: requests.PreparedRequest, *, stream: bool, timeout: Any
    ) -> requests.Response:
        self.n_requests += 1
        self._check_budget()
        url = request.url
        url = url.decode("utf-8") if isinstance(url, bytes) else str(url)
        method = str(request.method)
        half = self.latency_ns // 2
        if half:
            self._sleep(half / 1e9)
        try:
            reply = self.router(method, url, _headers_copy(request.headers), _body_bytes(request.body))
        except ConnectionRefused:
            self.refused.append({"method": method, "url": url, "t_ns": self._now_ns()})
            raise requests.exceptions.ConnectionError(
                f"network is disabled: no route for {url}", request=request
            ) from None
        if self.latency_ns - half:
            self._sleep((self.latency_ns - half) / 1e9)
        return self._build_response(adapter, request, url, reply, stream, read_timeout_of(timeout))

    def _check_budget(self) -> None:
        if self._over_budget():
            self._sleep(BUDGET_SLEEP_S)
            self._new_instant()

    def _over_budget(self) -> bool:
        """Count a request at this instant; True (and counted as a forced sleep) once the instant's budget
        is spent: the caller sleeps ``BUDGET_SLEEP_S``, its way (a greenlet or a coroutine), then calls
        :meth:`_new_instant`."""
        now = self._now_ns()
        if now != self._instant_ns:
            self._instant_ns, self._instant_count = now, 0
        self._instant_count += 1
        if self._instant_count > self.same_instant_budget:
            self.n_budget_sleeps += 1
            return True
        return False

    def _new_instant(self) -> None:
        self._instant_ns, self._instant_count = self._now_ns(), 1

    def _build_response(
        self,
        adapter: Any,
        request: requests.PreparedRequest,
        url: str,
        reply: Reply | StreamReply,
        stream: bool,
        read_timeout_s: float | None,
    ) -> requests.Response:
        # Mirrors HTTPAdapter.build_response, minus cookies (the CMI API does not set any).
        headers = _headers_from(reply.headers)
        reason = _REASONS.get(reply.status, "")
        if isinstance(reply, StreamReply):
            self.n_streams += 1
            raw: Any = StreamRaw(reply.stream, read_timeout_s, reply.status, reason, headers, url)
        else:
            if "content-length" not in headers._store and "transfer-encoding" not in headers._store:
                headers["Content-Length"] = str(len(reply.body))
            raw = BodyRaw(reply.body, reply.status, reason, headers, url)
        response = _new_response()
        response.status_code = reply.status
        response.headers = headers
        response.encoding = _encoding_of(headers)
        response.raw = raw
        response.reason = reason
        response.url = url
        response.request = request
        response.connection = adapter
        if not stream and isinstance(reply, Reply):
            response._content = reply.body  # what Session.send's ``r.content`` would read
            response._content_consumed = True
            raw.close()
        return response


# -- building blocks of a response, equal to what requests' own constructors give ----------------
_REASONS = http.client.responses
_Response = requests.models.Response
_RESPONSE_INIT = _Response.__init__
_ENCODINGS: dict[Any, str | None] = {}


def _new_response() -> requests.Response:
    """``requests.Response()``, without building the empty header dict it replaces at once."""
    if _Response.__init__ is not _RESPONSE_INIT:
        return _Response()  # someone patched it: honour that
    response = _Response.__new__(_Response)
    response.__dict__.update(
        _content=False,
        _content_consumed=False,
        _next=None,
        status_code=None,
        headers=None,
        raw=None,
        url=None,
        encoding=None,
        history=[],
        reason=None,
        cookies=RequestsCookieJar(),  # = cookiejar_from_dict({})
        elapsed=_ZERO,
        request=None,
    )
    return response


_ZERO = timedelta(0)


def _headers_from(headers: Any) -> CaseInsensitiveDict:
    """``CaseInsensitiveDict(headers)`` for a reply's (name, value) pairs, built directly.

    Replies repeat a few header sets, so the lower-cased store of each is kept and copied."""
    if type(headers) is tuple:
        items = headers
    elif type(headers) is dict:
        items = tuple(headers.items())
    else:
        return CaseInsensitiveDict(headers)
    try:
        store = _header_store(items)
    except TypeError:  # an unhashable value: nothing to cache
        store = _header_store.__wrapped__(items)
    result = CaseInsensitiveDict.__new__(CaseInsensitiveDict)
    result._store = OrderedDict(store)  # the cached store is shared: copy it
    return result


@functools.lru_cache(maxsize=1024)
def _header_store(items: tuple[tuple[Any, Any], ...]) -> OrderedDict:
    return OrderedDict([(name.lower(), (name, value)) for name, value in items])


def _headers_copy(headers: Any) -> Any:
    """``CaseInsensitiveDict(request.headers)`` (what the router gets), copied directly."""
    if type(headers) is not CaseInsensitiveDict:
        return CaseInsensitiveDict(headers)
    result = CaseInsensitiveDict.__new__(CaseInsensitiveDict)
    result._store = OrderedDict(headers._store)
    return result


def _encoding_of(headers: CaseInsensitiveDict) -> str | None:
    """``get_encoding_from_headers``: a pure function of the content-type value, cached."""
    entry = headers._store.get("content-type")
    content_type = None if entry is None else entry[1]
    try:
        return _ENCODINGS[content_type]
    except (KeyError, TypeError):
        pass
    encoding = get_encoding_from_headers(headers)
    if (content_type is None or isinstance(content_type, str)) and len(_ENCODINGS) < 1024:
        _ENCODINGS[content_type] = encoding
    return encoding


# -- speed-ups that do not change results -----------------------------------------------------------
class _DuckMeta(type):
    _attribute = ""

    def __instancecheck__(cls, obj: object) -> bool:
        return getattr(obj, cls._attribute, None) is not None


class _SupportsRead(metaclass=_DuckMeta):
    _attribute = "read"


class _SupportsItems(metaclass=_DuckMeta):
    _attribute = "items"


class _NoPoolManager:
    """Stands in for the urllib3 PoolManager an HTTPAdapter would build and never use here."""

    def clear(self) -> None:
        pass


def _no_netrc_auth(url: str, raise_errors: bool = False) -> None:
    """No ``~/.netrc`` in a backtest: it would make results depend on the user's home."""
    return None


def _no_environ_proxies(url: str, no_proxy: str | None = None) -> dict[str, str]:
    """No proxies: the transport answers every request in-process (the child's env has none)."""
    return {}


def env_is_neutral() -> bool:
    """True while requests' environment look-ups are the no-ops above (``trust_env`` has no effect)."""
    return (
        requests.sessions.get_netrc_auth is _no_netrc_auth
        and requests.sessions.get_environ_proxies is _no_environ_proxies
    )


def _install_speedups() -> None:
    def init_poolmanager(self: requests.adapters.HTTPAdapter, *args: Any, **kwargs: Any) -> None:
        self.poolmanager = _NoPoolManager()

    requests.adapters.HTTPAdapter.init_poolmanager = init_poolmanager  # type: ignore[method-assign]

    # The effect of ``Session.trust_env = False`` (no per-request scan of os.environ for proxies,
    # no stat of ~/.netrc) while ``session.trust_env`` stays True, as the bot expects.
    for module in (requests.sessions, requests.utils):
        module.get_netrc_auth = _no_netrc_auth  # type: ignore[attr-defined]
        module.get_environ_proxies = _no_environ_proxies  # type: ignore[attr-defined]
    if hasattr(requests.models, "_SupportsRead"):
        requests.models._SupportsRead = _SupportsRead  # type: ignore[attr-defined]
    if hasattr(requests.utils, "_SupportsItems"):
        requests.utils._SupportsItems = _SupportsItems  # type: ignore[attr-defined]
