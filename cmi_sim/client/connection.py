"""Base URL handling, login and authenticated REST calls.

Module-level ``requests`` calls are used on purpose: each call builds its own throw-away Session,
so ``send_orders`` can call from several threads at once, and ``HTTP_PROXY`` in the environment
redirects a hard-coded exchange URL to a local simulator.
"""

from __future__ import annotations

from typing import Any

import requests

# REST calls get a bound so a dead server cannot hang a bot forever; the stream has its own.
REST_TIMEOUT_SECONDS = 10.0


class AuthenticationError(RuntimeError):
    """Login was refused or returned no token."""


def join_url(base_url: str, path: str) -> str:
    """Join without doubling the slash: bots configure bases with and without a trailing one."""
    return base_url.rstrip("/") + "/" + path.lstrip("/")


class Connection:
    """An authenticated link to one exchange account."""

    def __init__(self, cmi_url: str, username: str, password: str) -> None:
        self.cmi_url = cmi_url
        self.username = username
        self.auth_token = self._login(password)

    def url(self, path: str) -> str:
        return join_url(self.cmi_url, path)

    def headers(self) -> dict[str, str]:
        # The token is replayed verbatim, "Bearer " prefix included, as the exchange returned it.
        return {"Authorization": self.auth_token}

    def _login(self, password: str) -> str:
        response = requests.post(
            self.url("/api/user/authenticate"),
            json={"username": self.username, "password": password},
            timeout=REST_TIMEOUT_SECONDS,
        )
        token = response.headers.get("Authorization")
        if not response.ok or not token:
            raise AuthenticationError(
                f"login as {self.username!r} failed: HTTP {response.status_code} {response.text.strip()}"
            )
        return token

    def get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        return requests.get(self.url(path), params=params, headers=self.headers(), timeout=REST_TIMEOUT_SECONDS)

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(self.url(path), json=body, headers=self.headers(), timeout=REST_TIMEOUT_SECONDS)

    def delete(self, path: str) -> requests.Response:
        return requests.delete(self.url(path), headers=self.headers(), timeout=REST_TIMEOUT_SECONDS)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET and decode; a non-2xx answer raises ``requests.HTTPError`` with the server's body."""
        response = self.get(path, params)
        raise_for_status(response)
        return response.json()


def server_message(response: requests.Response) -> str:
    """The human-readable reason of a rejection: the body's ``message``, else the raw body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])
    return response.text.strip()


def raise_for_status(response: requests.Response) -> None:
    if not response.ok:
        raise requests.HTTPError(
            f"HTTP {response.status_code} for {response.request.method} {response.url}: {server_message(response)}",
            response=response,
        )
