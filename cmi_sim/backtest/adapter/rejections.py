"""Refused requests, counted the one way a backtest and an arena both report them.

Every reply with a status of 400 or more counts, whatever refused it (a rule, a bad body, an unknown
order, a 429), under the caller's account, the endpoint's label and a reason: the status and the head of
the error message, with no ids or sizes in it (so that one kind of refusal is one line).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

__all__ = ["RejectionCount"]

NOT_LOGGED_IN = "(not logged in)"


class RejectionCount:
    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str, str]] = Counter()  # (account, endpoint, "429 rate limit")

    def add(self, account: str | None, endpoint: str, status: int, body: bytes) -> None:
        try:
            message = json.loads(body).get("message", "")
        except (ValueError, AttributeError):
            message = ""
        head = message.split(":", 1)[0] if ":" in message else " ".join(
            word for word in message.split() if not any(ch.isdigit() for ch in word))
        reason = f"{status} {head[:48]}".strip()
        self._counts[(account or NOT_LOGGED_IN, endpoint, reason)] += 1

    def by_account(self) -> dict[str, dict[str, dict[str, int]]]:
        """{account: {endpoint: {reason: count}}}, in sorted order."""
        nested: dict[str, dict[str, dict[str, int]]] = {}
        for (account, endpoint, reason), count in sorted(self._counts.items()):
            nested.setdefault(account, {}).setdefault(endpoint, {})[reason] = count
        return nested

    def of(self, account: str) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
        """(counts by reason, counts by endpoint and reason) of one account."""
        by_endpoint = self.by_account().get(account, {})
        by_reason: Counter[str] = Counter()
        for reasons in by_endpoint.values():
            by_reason.update(reasons)
        return dict(sorted(by_reason.items())), by_endpoint

    def __bool__(self) -> bool:
        return bool(self._counts)


def count_reply(count: RejectionCount, service: Any, method: str, path: str, headers: Any, reply: Any) -> None:
    """Count `reply` if it refused the request."""
    if reply.status >= 400:
        count.add(service.user_for(headers), service.endpoint_label(method, path), reply.status, reply.body)
