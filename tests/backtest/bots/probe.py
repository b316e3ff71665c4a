"""Prints a canonical summary of requests' view of many response shapes (differential test)."""
import json
import sys

import requests

BASE = sys.argv[1].rstrip("/")
HEADERS = ("Content-Type", "Content-Length", "Authorization", "Accept", "User-Agent", "Accept-Encoding", "Connection", "X-Bot")


def summary(label, r, text=True):
    try:
        body = r.json()
        if isinstance(body, dict):
            body.pop("t_ns", None)
    except ValueError:
        body = "not json"
    d = {
        "label": label, "status": r.status_code, "ok": r.ok, "reason": r.reason, "url": r.url,
        "content-type": r.headers.get("content-type"), "content-length": r.headers.get("Content-Length"),
        "encoding": r.encoding, "json": body, "text": r.text if text else None, "content_len": len(r.content),
        "history": len(r.history), "links": r.links, "is_redirect": r.is_redirect,
        "request": [r.request.method, r.request.url, r.request.body if not isinstance(r.request.body, bytes) else r.request.body.decode(),
                    {k: r.request.headers.get(k) for k in HEADERS}],
        "lines": [line.decode() for line in r.iter_lines()][:3] if text else None,
    }
    if not text:  # the echo carries the server's clock: its length differs
        d["content-length"] = d["content_len"] = None
    try:
        r.raise_for_status()
        d["raise"] = None
    except requests.HTTPError as exc:
        d["raise"] = str(exc)
    print(json.dumps(d, sort_keys=True).replace(BASE, "BASE"), flush=True)


summary("get", requests.get(BASE + "/api/product"))
summary("double-slash+params", requests.get(BASE + "//api/product", params={"a": "1", "b": ["x", "y"]}))
summary("post-json", requests.post(BASE + "/api/echo", json={"price": 101, "side": "BUY"}, headers={"Authorization": "tok"}), text=False)
summary("post-form", requests.post(BASE + "/api/echo", data={"x": "1"}), text=False)
summary("delete", requests.delete(BASE + "/api/echo?id=42"), text=False)
summary("put-bytes", requests.put(BASE + "/api/echo", data=b"raw-bytes"), text=False)
with requests.Session() as s:
    s.headers["X-Bot"] = "probe"
    summary("session", s.get(BASE + "/api/echo", params={"q": "s"}), text=False)
summary("503", requests.get(BASE + "/api/fail"))
summary("404", requests.get(BASE + "/api/missing"))
r = requests.get(BASE + "/api/product", stream=True)
chunks = list(r.iter_content(7))
print("stream-chunks", len(chunks), sum(map(len, chunks)), all(len(c) <= 7 for c in chunks), r.status_code, r.headers.get("content-type"))
r = requests.get(BASE + "/api/product", stream=True)
print("stream-lines", [line[:20] for line in r.iter_lines(decode_unicode=True)])
r = requests.get(BASE + "/api/product", stream=True)
print("raw-read", len(r.raw.read()), r.raw.read())
r.close()
