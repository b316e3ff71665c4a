"""Request-target normalisation: what the real exchange tolerated and bots rely on."""

from __future__ import annotations

import re

_SLASHES = re.compile(r"/{2,}")


def normalize_path(target: str) -> str:
    """Path of a request target: absolute-form (`http://host/api/x`, as sent through HTTP_PROXY) reduced
    to its path, repeated slashes (`//api/x` from base URLs with a trailing slash) collapsed, and a
    trailing slash dropped."""
    if target.startswith(("http://", "https://")):
        after_scheme = target.split("://", 1)[1]
        slash = after_scheme.find("/")
        target = after_scheme[slash:] if slash >= 0 else "/"
    path = _SLASHES.sub("/", target) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path
