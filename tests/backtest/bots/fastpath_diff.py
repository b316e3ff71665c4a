"""Differential test of the requests fast path, inside one backtest run.

Every call shape runs twice at the same virtual state: once with the fast path on, once with the
full requests stack, and every field requests exposes is compared, plus the side effects (virtual
time taken, busy-wait guard reads, transport counters, refused records). Prints one line per shape
and a final ``mismatches N shapes M fast K`` line.
"""
import collections
import json
import pickle
import re
import sys

import requests
import requests.adapters
import time_machine

from cmi_sim.sandbox import fastpath

B = "http://exchange.test"
CLOCK = time_machine.traveller_stack[-1]
TRANSPORT = next(
    c.cell_contents for c in requests.adapters.HTTPAdapter.send.__closure__
    if type(c.cell_contents).__name__ == "InProcessTransport"
)


def request_summary(p):
    if p is None:
        return None
    return {
        "type": type(p).__name__, "method": p.method, "url": p.url, "body": p.body, "body_type": type(p.body).__name__,
        "headers": list(p.headers.items()), "headers_type": type(p.headers).__name__,
        "hooks": {k: len(v) for k, v in p.hooks.items()}, "cookies": type(p._cookies).__name__,
        "n_cookies": len(p._cookies) if p._cookies is not None else None, "body_position": p._body_position,
        "path_url": p.path_url, "repr": repr(p),
    }


def summary(r):
    d = {
        "type": type(r).__name__, "status": r.status_code, "ok": r.ok, "reason": r.reason, "url": r.url,
        "headers": list(r.headers.items()), "headers_type": type(r.headers).__name__,
        "encoding": r.encoding, "apparent": r.apparent_encoding, "content": r.content, "text": r.text,
        "elapsed": r.elapsed.total_seconds(), "history": [(h.status_code, h.url, request_summary(h.request)) for h in r.history],
        "links": r.links, "is_redirect": r.is_redirect, "is_permanent_redirect": r.is_permanent_redirect,
        "next": request_summary(r.next), "cookies": (type(r.cookies).__name__, dict(r.cookies)),
        "connection": type(r.connection).__name__, "raw": type(r.raw).__name__, "raw_read": r.raw.read(),
        "request": request_summary(r.request), "lines": list(r.iter_lines()), "chunks": list(r.iter_content(5)),
        "consumed": r._content_consumed, "repr": repr(r), "bool": bool(r),
        "attrs": sorted(vars(r)),
    }
    try:
        d["json"] = r.json()
    except Exception as exc:  # noqa: BLE001
        d["json"] = ("raised", type(exc).__name__, str(exc))
    try:
        r.raise_for_status()
        d["raise"] = None
    except requests.HTTPError as exc:
        d["raise"] = (str(exc), exc.response is r, request_summary(exc.request))
    again = pickle.loads(pickle.dumps(r))
    d["pickled"] = (again.status_code, again.content, again.url, list(again.headers.items()), again.elapsed,
                    request_summary(again.request))
    return d


READS = []
_guard = CLOCK._guard


def counting_guard():
    """Records each bot clock read by the loop progress at that moment (reads vs. yields)."""
    loop = CLOCK.loop
    READS.append(loop.n_callbacks + loop.n_timer_fires)
    return _guard()


CLOCK._guard = counting_guard


def run(call, volatile=False):
    READS.clear()
    loop = CLOCK.loop
    start_progress = loop.n_callbacks + loop.n_timer_fires
    before = (CLOCK.now_ns(), CLOCK._reads, CLOCK.n_forced_sleeps, TRANSPORT.n_requests, len(TRANSPORT.refused),
              TRANSPORT.n_budget_sleeps)
    n_fast = fastpath.STATE.n_fast
    try:
        out = ("response", summary(call()))
    except Exception as exc:  # noqa: BLE001
        req = getattr(exc, "request", None)
        out = ("raised", type(exc).__name__, str(exc), request_summary(req) if isinstance(req, requests.PreparedRequest) else repr(req))
    after = (CLOCK.now_ns(), CLOCK._reads, CLOCK.n_forced_sleeps, TRANSPORT.n_requests, len(TRANSPORT.refused),
             TRANSPORT.n_budget_sleeps)
    effects = {
        "virtual_ns": after[0] - before[0], "reads": [p - start_progress for p in READS], "forced_sleeps": after[2] - before[2],
        "requests": after[3] - before[3], "refused": [(r["method"], r["url"]) for r in TRANSPORT.refused[before[4]:]],
        "budget_sleeps": after[5] - before[5],
    }
    if volatile:  # multipart boundaries come from os.urandom: differ between any two calls
        if out[0] == "response":
            out[1]["chunks"] = out[1]["lines"] = None  # 5-byte chunks cut through the boundary
        out = json.loads(re.sub(r"[0-9a-f]{32}", "BOUNDARY", json.dumps(out, default=repr)))
    return out, effects, fastpath.STATE.n_fast - n_fast


class Base(requests.Session):
    def request(self, method, url, *args, **kwargs):
        return super().request(method, B + url, *args, **kwargs)


class Sending(requests.Session):
    def send(self, request, **kwargs):
        request.headers["X-Sent-By"] = "subclass"
        return super().send(request, **kwargs)


class Retrying(requests.adapters.HTTPAdapter):
    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        response.headers["X-Adapter"] = "mine"
        return response


def session(**attrs):
    s = requests.Session()
    for key, value in attrs.items():
        if key == "headers_update":
            s.headers.update(value)
        else:
            setattr(s, key, value)
    return s


def mounted():
    s = requests.Session()
    s.mount("http://", Retrying())
    return s


def with_cookie():
    s = requests.Session()
    s.cookies.set("sid", "abc")
    return s


def with_hook():
    s = requests.Session()
    s.hooks["response"].append(lambda r, *a, **k: None)
    return s


ODict = collections.OrderedDict
# (label, fast path expected to answer it, call)
SHAPES = [
    ("get", True, lambda: requests.get(B + "/echo")),
    ("get-params", True, lambda: requests.get(B + "/echo", params={"a": "1", "b": "x y", "c": "é/&="})),
    ("get-params-list", True, lambda: requests.get(B + "/echo", params={"k": ["1", "2", "3"], "n": 5, "f": 1.5})),
    ("get-params-none", True, lambda: requests.get(B + "/echo", params={"a": None, "b": "2", "c": [None, "x"]})),
    ("get-params-empty", True, lambda: requests.get(B + "/echo", params={})),
    ("get-query-in-url", True, lambda: requests.get(B + "/echo?x=1&x=2&y=%20z")),
    ("get-query+params", True, lambda: requests.get(B + "/echo?x=1", params={"x": "2", "y": "3"})),
    ("get-fragment", True, lambda: requests.get(B + "/echo?x=1#frag", params={"p": "q"})),
    ("get-unicode-path", True, lambda: requests.get(B + "/echo/ünï cødé?q=✓")),
    ("get-double-slash", True, lambda: requests.get(B + "//echo", params={"a": "b"})),
    ("get-upper-host", True, lambda: requests.get("HTTP://Exchange.Test/echo")),
    ("get-port", True, lambda: requests.get("http://exchange.test:80/echo")),
    ("get-leading-space", True, lambda: requests.get("  " + B + "/echo")),
    ("get-no-path", True, lambda: requests.get(B)),
    ("get-timeout", True, lambda: requests.get(B + "/echo", timeout=5)),
    ("get-timeout-tuple", True, lambda: requests.get(B + "/echo", timeout=(3.05, 27))),
    ("get-headers", True, lambda: requests.get(B + "/echo", headers={"Authorization": "tok", "X-Bot": "b"})),
    ("get-headers-override", True, lambda: requests.get(B + "/echo", headers={"accept": "application/json", "USER-AGENT": "me"})),
    ("get-headers-none", True, lambda: requests.get(B + "/echo", headers={"Accept-Encoding": None, "X": "1"})),
    ("get-headers-bytes", True, lambda: requests.get(B + "/echo", headers={"X-B": b"bytes"})),
    ("get-headers-cid", True, lambda: requests.get(B + "/echo", headers=requests.structures.CaseInsensitiveDict({"X-C": "1"}))),
    ("get-headers-ordered", True, lambda: requests.get(B + "/echo", headers=ODict([("B", "2"), ("A", "1")]))),
    ("get-header-invalid", False, lambda: requests.get(B + "/echo", headers={"X": "bad\nvalue"})),
    ("get-header-int", False, lambda: requests.get(B + "/echo", headers={"X": 5})),
    ("get-verify-false", True, lambda: requests.get(B + "/echo", verify=False)),
    ("get-data", True, lambda: requests.get(B + "/echo", data="body on a get")),
    ("get-no-redirects", True, lambda: requests.get(B + "/echo", allow_redirects=False)),
    ("head", True, lambda: requests.head(B + "/echo")),
    ("options", True, lambda: requests.options(B + "/echo")),
    ("request-fn", True, lambda: requests.request("get", B + "/echo", params={"m": "lower"})),
    ("request-patch", True, lambda: requests.patch(B + "/echo", json={"p": 1})),
    ("post-json", True, lambda: requests.post(B + "/echo", json={"price": 101, "side": "BUY", "qty": 1.5})),
    ("post-json-unicode", True, lambda: requests.post(B + "/echo", json={"name": "café ✓", "emoji": "🚀"})),
    ("post-json-list", True, lambda: requests.post(B + "/echo", json=[1, "two", None, True, {"a": []}])),
    ("post-json-scalar", True, lambda: requests.post(B + "/echo", json="just a string")),
    ("post-json-zero", True, lambda: requests.post(B + "/echo", json=0)),
    ("post-json-null-like", True, lambda: requests.post(B + "/echo", json={})),
    ("post-json-headers", True, lambda: requests.post(B + "/echo", json={"a": 1}, headers={"Authorization": "t"})),
    ("post-json-ctype", True, lambda: requests.post(B + "/echo", json={"a": 1}, headers={"content-type": "text/x-mine"})),
    ("post-json-nan", False, lambda: requests.post(B + "/echo", json={"a": float("nan")})),
    ("post-json-bad", False, lambda: requests.post(B + "/echo", json={"a": object()})),
    ("post-json-and-data", True, lambda: requests.post(B + "/echo", data="wins", json={"a": 1})),
    ("post-json-and-empty-data", True, lambda: requests.post(B + "/echo", data={}, json={"a": 1})),
    ("post-form", True, lambda: requests.post(B + "/echo", data={"x": "1", "y": ["a", "b"], "z": "é"})),
    ("post-str", True, lambda: requests.post(B + "/echo", data="plain ✓ text")),
    ("post-bytes", True, lambda: requests.post(B + "/echo", data=b"\x00\x01raw")),
    ("post-empty-bytes", True, lambda: requests.post(B + "/echo", data=b"")),
    ("post-nothing", True, lambda: requests.post(B + "/echo")),
    ("post-content-length", True, lambda: requests.post(B + "/echo", headers={"Content-Length": "7"})),
    ("post-tuples", False, lambda: requests.post(B + "/echo", data=[("a", "1"), ("a", "2")])),
    ("put-json", True, lambda: requests.put(B + "/echo", json={"id": 42})),
    ("put-bytes", True, lambda: requests.put(B + "/echo", data=b"raw-bytes")),
    ("delete", True, lambda: requests.delete(B + "/echo?id=42")),
    ("delete-params", True, lambda: requests.delete(B + "/echo", params={"id": "42"}, headers={"Authorization": "t"})),
    ("delete-json", True, lambda: requests.delete(B + "/echo", json={"id": 42})),
    ("status-400", True, lambda: requests.post(B + "/status/400", json={"bad": True})),
    ("status-401", True, lambda: requests.get(B + "/status/401")),
    ("status-404", True, lambda: requests.get(B + "/status/404")),
    ("status-429", True, lambda: requests.get(B + "/status/429")),
    ("status-500", True, lambda: requests.delete(B + "/status/500")),
    ("status-503", True, lambda: requests.get(B + "/status/503")),
    ("status-599", True, lambda: requests.get(B + "/status/599")),
    ("echo-status-201", True, lambda: requests.post(B + "/echo?status=201", json={})),
    ("echo-ctype", True, lambda: requests.get(B + "/echo?ctype=text%2Fplain")),
    ("missing", True, lambda: requests.get(B + "/nothing/here")),
    ("text-utf8", True, lambda: requests.get(B + "/text")),
    ("text-latin", True, lambda: requests.get(B + "/text-latin")),
    ("bytes", True, lambda: requests.get(B + "/bytes")),
    ("html", True, lambda: requests.get(B + "/html")),
    ("empty-204", True, lambda: requests.delete(B + "/empty")),
    ("links", True, lambda: requests.get(B + "/links")),
    ("redirect-302", True, lambda: requests.get(B + "/redirect", params={"a": "1"})),
    ("redirect-302-post", True, lambda: requests.post(B + "/redirect", json={"a": 1})),
    ("redirect-307-post", True, lambda: requests.post(B + "/redirect307", json={"a": 1})),
    ("redirect-not-followed", True, lambda: requests.get(B + "/redirect", allow_redirects=False)),
    ("head-redirect", True, lambda: requests.head(B + "/redirect")),
    ("refused", True, lambda: requests.get("http://other.test/api/product")),
    ("refused-post", True, lambda: requests.post("https://other.test/api/order", json={"a": 1}, timeout=2)),
    ("no-scheme", False, lambda: requests.get("exchange.test/echo")),
    ("bad-scheme", False, lambda: requests.get("ftp://exchange.test/echo")),
    ("no-host", False, lambda: requests.get("http:///echo")),
    ("bad-label", False, lambda: requests.get("http://*.test/echo")),
    ("userinfo", False, lambda: requests.get("http://user:pw@exchange.test/echo")),
    ("bytes-url", False, lambda: requests.get(b"http://exchange.test/echo")),
    ("stream", False, lambda: requests.get(B + "/echo", stream=True)),
    ("auth", False, lambda: requests.get(B + "/echo", auth=("u", "p"))),
    ("cookies", False, lambda: requests.get(B + "/echo", cookies={"c": "1"})),
    ("hooks", False, lambda: requests.get(B + "/echo", hooks={"response": []})),
    ("proxies", False, lambda: requests.get(B + "/echo", proxies={"http": "http://proxy.test:1"})),
    ("files", False, lambda: requests.post(B + "/echo", files={"f": ("a.txt", b"x")})),
    ("bad-kwarg", False, lambda: requests.get(B + "/echo", nonsense=1)),
    ("session-get", True, lambda: requests.Session().get(B + "/echo", params={"q": "s"})),
    ("session-post", True, lambda: requests.Session().post(B + "/echo", json={"a": [1, 2]}, timeout=3)),
    ("session-put", True, lambda: requests.Session().put(B + "/echo", data="x")),
    ("session-delete", True, lambda: requests.Session().delete(B + "/echo", params={"id": 1})),
    ("session-request", True, lambda: requests.Session().request("POST", B + "/echo", data={"k": "v"})),
    ("session-positional", True, lambda: requests.Session().request("GET", B + "/echo", {"p": "1"}, None, {"X": "y"})),
    ("session-headers", True, lambda: session(headers_update={"X-Bot": "probe", "Authorization": "tok"}).get(B + "/echo", headers={"x-bot": "call"})),
    ("session-headers-dict", True, lambda: session(headers={"Only": "this"}).get(B + "/echo")),
    ("session-headers-none", True, lambda: session(headers={"Accept": None}).get(B + "/echo")),
    ("session-verify", True, lambda: session(verify=False).get(B + "/echo")),
    ("session-404", True, lambda: requests.Session().get(B + "/status/404")),
    ("session-redirect", True, lambda: requests.Session().get(B + "/redirect")),
    ("session-refused", True, lambda: requests.Session().get("http://other.test/x")),
    ("session-with", True, lambda: _with_session()),
    ("session-subclass-request", True, lambda: Base().get("/echo", params={"sub": "1"})),
    ("session-subclass-send", False, lambda: Sending().get(B + "/echo")),
    ("session-mounted-adapter", False, lambda: mounted().get(B + "/echo")),
    ("session-cookie", False, lambda: with_cookie().get(B + "/echo")),
    ("session-hook", False, lambda: with_hook().get(B + "/echo")),
    ("session-auth", False, lambda: session(auth=("u", "p")).get(B + "/echo")),
    ("session-params", False, lambda: session(params={"s": "1"}).get(B + "/echo", params={"r": "2"})),
    ("session-stream", False, lambda: session(stream=True).get(B + "/echo")),
    ("session-trust-env", True, lambda: session(trust_env=True).get(B + "/echo")),
    ("session-trust-env-false", True, lambda: session(trust_env=False).post(B + "/redirect", json={"r": 1})),
    ("trust-env-default", True, lambda: _trust_env()),
    ("session-proxies", False, lambda: session(proxies={"http": "http://p.test:1"}).get(B + "/echo")),
]


def _trust_env():
    r = requests.get(B + "/echo", params={"trust_env": requests.Session().trust_env})
    return r


def _with_session():
    with requests.Session() as s:
        s.headers["X-With"] = "1"
        return s.post(B + "/echo", json={"w": 1})


def diff(a, b, path=""):
    if type(a) is not type(b):
        return [f"{path}: type {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'fast' if k in a else 'full'}")
            else:
                out += diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, (list, tuple)) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}[{i}]")
        return out
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


mismatches = 0
n_fast = 0
only = sys.argv[1:]
for label, expect_fast, call in SHAPES:
    if only and label not in only:
        continue
    fastpath.set_enabled(True)
    fast, fast_effects, took_fast = run(call, label == "files")
    fastpath.set_enabled(False)
    full, full_effects, took_fast_when_off = run(call, label == "files")
    fastpath.set_enabled(True)
    problems = diff({"out": fast, "effects": fast_effects}, {"out": full, "effects": full_effects})
    if took_fast_when_off:
        problems.append("the fast path answered while switched off")
    if bool(took_fast) != expect_fast:
        problems.append(f"fast path {'took' if took_fast else 'skipped'} it (expected {'fast' if expect_fast else 'full'})")
    n_fast += bool(took_fast)
    if problems:
        mismatches += 1
        print("MISMATCH", label, *problems[:8], sep="\n  ", flush=True)
    else:
        kind = fast[0] if fast[0] == "response" else f"raised {fast[1]}"
        print(f"ok {label} {'fast' if took_fast else 'full'} {kind} {json.dumps(fast_effects['virtual_ns'])}", flush=True)
print(f"mismatches {mismatches} shapes {len([s for s in SHAPES if not only or s[0] in only])} fast {n_fast}", flush=True)
