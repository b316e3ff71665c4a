"""Accounts and login tokens.

Open mode (the default, as real bots ship with their own hard-coded accounts): the first login with a new
username creates the account; later logins must repeat its password. Strict mode only knows the accounts
it was given. Passwords are kept as salted PBKDF2 hashes, never in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Mapping
from dataclasses import dataclass

_ITERATIONS = 20_000  # slow enough to be a real hash, fast enough for tests that log in many times
_SCHEME = "pbkdf2_sha256"


def hash_password(password: str, salt: bytes) -> str:
    """`pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return f"{_SCHEME}${_ITERATIONS}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != _SCHEME:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt_hex), int(iterations))
    return hmac.compare_digest(digest.hex(), digest_hex)


@dataclass(frozen=True)
class LoginResult:
    token: str | None
    error: str | None = None


class Accounts:
    """Usernames, password hashes and the tokens handed out at login.

    `rng` makes salts and tokens reproducible in backtests; a server passes a `random.SystemRandom()`.
    """

    def __init__(self, strict: bool = False, password_hashes: Mapping[str, str] | None = None,
                 rng: random.Random | None = None) -> None:
        self.strict = strict
        self._hashes: dict[str, str] = dict(password_hashes or {})
        self._tokens: dict[str, str] = {}
        self._rng = rng or random.Random(0)

    @classmethod
    def from_passwords(cls, passwords: Mapping[str, str], strict: bool = True,
                       rng: random.Random | None = None) -> Accounts:
        accounts = cls(strict=strict, rng=rng)
        for username, password in passwords.items():
            accounts.add(username, password)
        return accounts

    def add(self, username: str, password: str) -> None:
        self._hashes[username] = hash_password(password, self._rng.randbytes(16))

    def add_hashed(self, username: str, password_hash: str) -> None:
        """Add an account from a stored `hash_password` string."""
        self._hashes[username] = password_hash

    def __contains__(self, username: str) -> bool:
        return username in self._hashes

    def is_reserved(self, username: str) -> bool:
        """An account nobody can log into (its stored hash is no password hash): a simulated market's."""
        stored = self._hashes.get(username)
        return stored is not None and not stored.startswith(f"{_SCHEME}$")

    def usernames(self) -> list[str]:
        return list(self._hashes)

    def login(self, username: str, password: str) -> LoginResult:
        """A token for valid credentials (creating the account in open mode), else an error message."""
        if not username:
            return LoginResult(None, "username must not be empty")
        stored = self._hashes.get(username)
        if stored is None:
            if self.strict:
                return LoginResult(None, "unknown username or wrong password")
            self.add(username, password)
        elif not check_password(password, stored):
            return LoginResult(None, "unknown username or wrong password")
        token = f"{self._rng.getrandbits(128):032x}"
        self._tokens[token] = username
        return LoginResult(token)

    def user_for_token(self, token: str) -> str | None:
        return self._tokens.get(token)
