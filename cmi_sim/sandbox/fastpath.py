"""The ``requests`` fast path of a backtest: simple calls skip the Session/PreparedRequest machinery.

:func:`install` patches ``requests.api.request`` (hence ``requests.get/post/put/delete/...`` and
``requests.request``) and the class attribute ``requests.Session.request`` (hence every
``Session().get/post/...``). A call of a *simple shape* is answered by building the
``PreparedRequest`` directly and handing it to the same :class:`InProcessTransport.send` the full
stack ends in (so the latency sleeps, the same-instant budget, refused hosts and their records are
the same code). Simple means:

- ``method`` and ``url`` are ``str``; the prepared URL is ``http(s)://`` without userinfo;
- ``params``: ``None`` or a ``dict``; ``data``: ``None``, a ``dict``, ``str`` or ``bytes``;
  ``json``: anything ``json.dumps`` accepts; ``headers``: ``None`` or a mapping with ``str`` keys;
- ``timeout``, ``verify``, ``cert``, ``allow_redirects`` of any value (the transport ignores
  verify/cert, as the full stack's replaced ``HTTPAdapter.send`` does); no ``auth``, ``cookies``,
  ``files``, ``hooks``, ``proxies``; not streaming;
- for a Session: the default adapters (``send`` not overridden), no session auth, cookies, params,
  proxies, hooks or ``stream``; ``trust_env`` False, or True while the transport keeps requests'
  netrc and environment-proxy look-ups as no-ops (it does); the class does not override the methods the
  full stack would call, and the instance does not shadow them.

Anything else, and any exception while preparing, goes to the real stack (which then raises the
same exception itself). The result is the same ``requests.Response`` the full stack builds:
status, reason, url, headers, encoding, content, ``elapsed`` (virtual), ``history``, a
``PreparedRequest`` in ``response.request`` with the same method, url, body and headers (including
the session's default headers) and an empty cookie jar. The json body is serialised exactly as
requests does, so the world sees the same bytes and never aliases the bot's objects. Redirect
replies are followed with the session's own ``resolve_redirects``, as ``Session.send`` does.

The full stack reads the (virtual) clock four times per request: twice in the cookie jar while
preparing (``time.time``), and ``preferred_clock()`` before and after ``adapter.send``. Those reads
feed the busy-wait guard, so the fast path makes the same four reads at the same points.

:data:`STATE` holds the on/off switch (``set_enabled``) and counters; the differential test
(tests/backtest/test_fastpath.py) flips it inside one run to compare both paths call by call.
"""

from __future__ import annotations

import os
import re
import time as _time
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Callable

import requests
import requests.adapters
import requests.api
import requests.models
import requests.sessions
import requests.utils
from requests.cookies import RequestsCookieJar
from requests.models import PreparedRequest, RequestEncodingMixin
from requests.structures import CaseInsensitiveDict

from cmi_sim.sandbox.transport import env_is_neutral

__all__ = ["STATE", "TESTED_REQUESTS", "install", "set_enabled", "supports"]

#: ``requests`` (major, minor) versions whose internals this module was checked against
#: (tests/backtest/test_fastpath.py). Any other version takes the full stack (same results, slower).
TESTED_REQUESTS = frozenset({(2, 34)})


def supports(version: str) -> bool:
    """True if the fast path may be used with this ``requests.__version__``."""
    parts = version.split(".")
    try:
        return (int(parts[0]), int(parts[1])) in TESTED_REQUESTS
    except (IndexError, ValueError):
        return False

_encode_params = RequestEncodingMixin._encode_params
_check_header_validity = requests.utils.check_header_validity
_FORM = "application/x-www-form-urlencoded"
_CACHE_MAX = 4096

#: Methods of ``Session`` that the full stack calls for a request; a subclass or an instance that
#: replaces any of them takes the full stack.
_SESSION_METHODS = (
    "prepare_request",
    "send",
    "merge_environment_settings",
    "get_adapter",
    "resolve_redirects",
    "get_redirect_target",
    "rebuild_auth",
    "rebuild_proxies",
    "rebuild_method",
    "should_strip_auth",
)
_SESSION_METHOD_SET = frozenset(_SESSION_METHODS)


class _State:
    def __init__(self) -> None:
        self.enabled = True
        self.installed = False
        self.n_fast = 0
        self.n_fallback = 0


STATE = _State()


def set_enabled(enabled: bool) -> None:
    """Turn the fast path on or off (at run time; the patches stay installed)."""
    STATE.enabled = bool(enabled)


#: URLs that ``PreparedRequest.prepare_url`` returns unchanged: lower-case http(s) scheme and host
#: (ASCII labels), an optional port without leading zero, a path of non-empty segments made of
#: unreserved characters that are not dot segments, an optional non-empty query of unreserved
#: characters, ``=`` and ``&``, no fragment. (tests/backtest/test_fastpath.py checks the claim.)
_IDENTITY_URL = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*"
    r"(?::[1-9][0-9]{0,3})?"
    r"/(?:[A-Za-z0-9_~-][A-Za-z0-9_.~-]*(?:/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)*/?)?"
    r"(?:\?[A-Za-z0-9_.~=&-]+)?\Z"
)
#: What ``urlencode`` can produce (quote_plus leaves only unreserved characters unescaped): the
#: requote step of ``prepare_url`` leaves such a query unchanged.
_ENCODED_QUERY = re.compile(r"[A-Za-z0-9_.~%+=&-]*\Z")


def identity_url(url: str, params: Any) -> str | None:
    """``prepare_url(url, params)`` without parsing, for URLs it would not change; else None."""
    if _IDENTITY_URL.match(url) is None:
        return None
    if not params:
        return url
    enc = _encode_params(params)
    if not enc:
        return url
    if _ENCODED_QUERY.match(enc) is None:
        return None
    return f"{url}&{enc}" if "?" in url else f"{url}?{enc}"


class _Prepared:
    """Caches of pure functions of the call: prepared URLs and validated header pairs."""

    def __init__(self) -> None:
        self.urls: dict[tuple[str, str], str | None] = {}
        self.valid_headers: set[tuple[str, Any]] = set()

    def url(self, url: str, params: Any) -> str | None:
        prepared = identity_url(url, params)
        if prepared is not None:
            return prepared
        # PreparedRequest.prepare_url(url, params) == prepare_url(url, _encode_params(params)):
        # a str passes through _encode_params unchanged.
        enc = _encode_params(params) if params else ""
        key = (url, enc)
        try:
            return self.urls[key]
        except KeyError:
            pass
        scratch = PreparedRequest()
        scratch.prepare_url(url, enc)  # raises as the full stack would: the caller falls back
        prepared = scratch.url
        low = prepared.lower()
        if not low.startswith(("http://", "https://")) or "@" in prepared:
            prepared = None  # non-http schemes, userinfo (basic auth from the URL): full stack
        if len(self.urls) >= _CACHE_MAX:
            self.urls.clear()
        self.urls[key] = prepared
        return prepared

    def check_header(self, pair: tuple[str, Any]) -> None:
        if pair in self.valid_headers:
            return
        _check_header_validity(pair)  # type: ignore[arg-type]
        if len(self.valid_headers) >= _CACHE_MAX:
            self.valid_headers.clear()
        self.valid_headers.add(pair)


def _merged_headers(cache: _Prepared, session_headers: Any, headers: Any) -> CaseInsensitiveDict | None:
    """``prepare_headers(merge_setting(headers or {}, session_headers, CaseInsensitiveDict))``."""
    if type(session_headers) is CaseInsensitiveDict:
        store = dict(session_headers._store)  # lower -> (key, value), as merge_setting rebuilds it
        for key, _value in store.values():
            if type(key) is not str:
                return None  # bytes names: prepare_headers converts them
    else:
        store = {}
        for key, value in session_headers.items():
            if type(key) is not str:
                return None
            store[key.lower()] = (key, value)
    if headers:
        for key, value in headers.items():
            if type(key) is not str:
                return None
            store[key.lower()] = (key, value)
    out = OrderedDict()
    check = cache.check_header
    for low, pair in store.items():
        if pair[1] is None:
            continue  # merge_setting drops None values
        try:
            check(pair)
        except TypeError:  # unhashable value: let the full stack reject it
            return None
        out[low] = pair
    result = CaseInsensitiveDict.__new__(CaseInsensitiveDict)
    result._store = out
    return result


def _body(method: str, data: Any, json_body: Any, headers: CaseInsensitiveDict) -> Any:
    """``prepare_body(data, None, json)`` for dict/str/bytes data (the full stack's exact rules)."""
    body: Any = None
    content_type = None
    if not data and json_body is not None:
        content_type = "application/json"
        try:
            body = requests.models.complexjson.dumps(json_body, allow_nan=False)
        except ValueError:
            raise _FallBack from None  # the full stack raises InvalidJSONError itself
        if not isinstance(body, bytes):
            body = body.encode("utf-8")
    if data:
        body = _encode_params(data)
        content_type = None if isinstance(data, (str, bytes)) else _FORM
    if body is not None:
        length = len(body.encode("utf-8")) if isinstance(body, str) else len(body)
        if length:
            headers["Content-Length"] = str(length)
    elif method not in ("GET", "HEAD") and "content-length" not in headers._store:
        headers["Content-Length"] = "0"  # (the merged headers hold no None values)
    if content_type and "content-type" not in headers._store:
        headers["Content-Type"] = content_type
    return body


class _FallBack(Exception):
    """Internal: this call takes the full stack."""


def _prepare(
    cache: _Prepared, method: Any, url: Any, params: Any, data: Any, json_body: Any, headers: Any, session_headers: Any
) -> PreparedRequest | None:
    if type(method) is not str or type(url) is not str or not method.isascii():
        return None
    if params is not None and type(params) is not dict:
        return None
    if data is not None and type(data) not in (dict, str, bytes):
        return None
    if headers is not None and not isinstance(headers, (dict, CaseInsensitiveDict)):
        return None
    method = method.upper()
    try:
        prepared_url = cache.url(url, params)
        if prepared_url is None:
            return None
        prepared_headers = _merged_headers(cache, session_headers, headers)
        if prepared_headers is None:
            return None
        body = _body(method, data, json_body, prepared_headers)
    except Exception:  # noqa: BLE001 - the full stack raises it (InvalidURL, InvalidHeader, TypeError...)
        return None
    prep = PreparedRequest()
    prep.method = method
    prep.url = prepared_url
    prep.headers = prepared_headers
    prep.body = body
    return prep


def _simple_kwargs(cookies: Any, files: Any, auth: Any, proxies: Any, hooks: Any) -> bool:
    return cookies is None and files is None and auth is None and not proxies and hooks is None


def install(transport: Any) -> None:
    """Patch ``requests.api.request`` and ``Session.request`` (after the transport is installed)."""
    if STATE.installed:
        return
    STATE.installed = True
    cache = _Prepared()
    send = transport.send
    adapter_send = requests.adapters.HTTPAdapter.send  # the transport's replacement
    sessions = requests.sessions
    original_api_request = requests.api.request
    original_session_request = requests.sessions.Session.request
    session_class = requests.sessions.Session
    default_methods = {name: getattr(session_class, name) for name in _SESSION_METHODS}
    good_classes: dict[type, bool] = {}
    api_adapter: list[requests.adapters.HTTPAdapter] = []

    def class_ok(cls: type) -> bool:
        ok = good_classes.get(cls)
        if ok is None:
            ok = all(getattr(cls, name, None) is fn for name, fn in default_methods.items())
            good_classes[cls] = ok
        return ok

    def roundtrip(
        session: Any,
        adapter: Any,
        prep: PreparedRequest,
        timeout: Any,
        allow_redirects: Any,
        verify: Any,
        cert: Any,
    ) -> requests.Response:
        STATE.n_fast += 1
        # Session.request built prep._cookies (the merged, empty jar) and read the clock twice in
        # the cookie jar (add_cookie_header, clear_expired_cookies).
        prep._cookies = RequestsCookieJar()
        _time.time()
        _time.time()
        start = sessions.preferred_clock()
        response = send(adapter, prep, stream=False, timeout=timeout)
        response.elapsed = timedelta(seconds=sessions.preferred_clock() - start)
        if _is_redirect(response):
            response = _follow(session, response, prep, timeout, allow_redirects, verify, cert)
        return response

    def api_request(method: Any, url: Any, **kwargs: Any) -> requests.Response:
        if STATE.enabled and _API_KEYS.issuperset(kwargs) and env_is_neutral():
            get = kwargs.get
            if not get("stream") and _simple_kwargs(get("cookies"), get("files"), get("auth"), get("proxies"), get("hooks")):
                prep = _prepare(
                    cache, method, url, get("params"), get("data"), get("json"), get("headers"),
                    _api_session_headers(),
                )
                if prep is not None:
                    if not api_adapter:
                        api_adapter.append(requests.adapters.HTTPAdapter())
                    return roundtrip(
                        None, api_adapter[0], prep, get("timeout"), get("allow_redirects", True),
                        _env_verify(True, get("verify"), True), get("cert"),
                    )
        return original_api_request(method, url, **kwargs)  # counted in session_request

    def session_request(
        self: requests.Session,
        method: Any,
        url: Any,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Any = None,
        hooks: Any = None,
        stream: Any = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
    ) -> requests.Response:
        if (
            STATE.enabled
            and _simple_kwargs(cookies, files, auth, proxies, hooks)
            and not (self.stream if stream is None else stream)
            and _session_ok(self, class_ok)
        ):
            prep = _prepare(cache, method, url, params, data, json, headers, self.headers)
            if prep is not None:
                try:
                    adapter = self.get_adapter(prep.url)
                except Exception:  # noqa: BLE001 - the full stack raises InvalidSchema itself
                    adapter = None
                if adapter is not None and getattr(type(adapter), "send", None) is adapter_send:
                    return roundtrip(
                        self, adapter, prep, timeout, allow_redirects,
                        _env_verify(self.trust_env, verify, self.verify), self.cert if cert is None else cert,
                    )
        STATE.n_fallback += 1
        return original_session_request(
            self, method, url, params=params, data=data, headers=headers, cookies=cookies, files=files,
            auth=auth, timeout=timeout, allow_redirects=allow_redirects, proxies=proxies, hooks=hooks,
            stream=stream, verify=verify, cert=cert, json=json,
        )

    api_request.__doc__ = original_api_request.__doc__
    api_request.__name__ = api_request.__qualname__ = "request"
    api_request.__module__ = original_api_request.__module__
    api_request.__wrapped__ = original_api_request  # type: ignore[attr-defined]
    session_request.__doc__ = original_session_request.__doc__
    session_request.__name__ = "request"
    session_request.__qualname__ = "Session.request"
    session_request.__module__ = original_session_request.__module__
    session_request.__wrapped__ = original_session_request  # type: ignore[attr-defined]
    requests.api.request = api_request  # requests.get/post/... call the module global
    requests.request = api_request  # type: ignore[assignment]
    requests.sessions.Session.request = session_request  # type: ignore[method-assign]


_DEFAULT_HEADERS = requests.utils.default_headers
_DEFAULT_HEADERS_VALUE: list[CaseInsensitiveDict] = []


def _api_session_headers() -> CaseInsensitiveDict:
    """The headers of the throw-away Session of ``requests.api.request``: ``default_headers()``.

    It is a pure function of the installed requests, and ``_prepare`` only reads its result, so one
    instance is reused; a patched ``default_headers`` is called every time, as requests would."""
    if requests.sessions.default_headers is not _DEFAULT_HEADERS:
        return requests.sessions.default_headers()
    if not _DEFAULT_HEADERS_VALUE:
        _DEFAULT_HEADERS_VALUE.append(_DEFAULT_HEADERS())
    return _DEFAULT_HEADERS_VALUE[0]


def _is_redirect(response: requests.Response) -> bool:
    """``response.is_redirect`` for the transport's responses (headers held in a CaseInsensitiveDict)
    without the KeyError that ``Mapping.__contains__`` raises and catches on every plain reply."""
    headers = response.headers
    if type(headers) is not CaseInsensitiveDict:
        return response.is_redirect
    return "location" in headers._store and response.status_code in requests.models.REDIRECT_STATI


_API_KEYS = frozenset(
    (
        "params", "data", "json", "headers", "cookies", "files", "auth", "timeout",
        "allow_redirects", "proxies", "hooks", "stream", "verify", "cert",
    )
)


def _env_verify(trust_env: bool, verify: Any, session_verify: Any) -> Any:
    """``verify`` as ``merge_environment_settings`` computes it (used only to follow redirects)."""
    if trust_env and (verify is True or verify is None):
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or verify
    return session_verify if verify is None else verify


def _session_ok(session: Any, class_ok: Callable[[type], bool]) -> bool:
    if not class_ok(type(session)):
        return False
    attrs = session.__dict__
    if not _SESSION_METHOD_SET.isdisjoint(attrs):
        return False
    hooks = attrs.get("hooks")
    cookies = attrs.get("cookies")
    trust_env = attrs.get("trust_env")
    return (
        (trust_env is False or (trust_env is True and env_is_neutral()))
        and attrs.get("auth") is None
        and not attrs.get("proxies")
        and not attrs.get("params")
        and type(hooks) is dict
        and type(hooks.get("response")) is list
        and not hooks["response"]
        and type(cookies) is RequestsCookieJar
        and not cookies._cookies
        and isinstance(attrs.get("headers"), (dict, CaseInsensitiveDict))
    )


def _follow(
    session: Any,
    response: requests.Response,
    prep: PreparedRequest,
    timeout: Any,
    allow_redirects: Any,
    verify: Any,
    cert: Any,
) -> requests.Response:
    """The tail of ``Session.send`` for a redirect reply (rare: worlds seldom redirect)."""
    if session is None:  # module-level call: the throw-away session of requests.api.request
        with requests.sessions.Session() as fresh:
            return _follow(fresh, response, prep, timeout, allow_redirects, verify, cert)
    kwargs = {"timeout": timeout, "proxies": OrderedDict(), "stream": False, "verify": verify, "cert": cert}
    if allow_redirects:
        history = list(session.resolve_redirects(response, prep, **kwargs))
    else:
        history = []
    if history:
        history.insert(0, response)
        response = history.pop()
        response.history = history
    if not allow_redirects:
        try:
            response._next = next(session.resolve_redirects(response, prep, yield_requests=True, **kwargs))
        except StopIteration:
            pass
    response.content  # noqa: B018 - as Session.send does when not streaming
    return response
