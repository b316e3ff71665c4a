"""Accounts and login tokens.

Open mode (the default, as real bots ship with their own hard-coded accounts): the first login with a new
username creates the account; later logins must repeat its password. Strict mode only knows the accounts
it was given. Passwords are kept as salted PBKDF2 hashes, never in clear.

Usernames follow one policy (`username_problem`): NFKC-normalised (so `ａｌｉｃｅ` is `alice`), 1 to
64 characters after that, no control, format (zero-width), surrogate, private-use or unassigned
characters, and no leading or trailing whitespace. Passwords are any text of valid Unicode (no lone
surrogates), at most 1024 characters.

A login is three steps so that a server can run the slow middle one off its event loop: `begin_login`
(look the user up, draw the salt), `LoginAttempt.verify()` (the PBKDF2 work, pure), `finish_login`
(create the account or hand out the token). An unknown user costs the same hashing as a known one.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_ITERATIONS = 20_000  # slow enough to be a real hash, fast enough for tests that log in many times
_SCHEME = "pbkdf2_sha256"
_HASH_FORMAT = re.compile(r"pbkdf2_sha256\$([1-9][0-9]{0,6})\$((?:[0-9a-f]{2}){8,64})\$([0-9a-f]{64})\Z")
MAX_USERNAME = 64
MAX_PASSWORD = 1024
_BAD_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def hash_password(password: str, salt: bytes) -> str:
    """`pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>`."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, _ITERATIONS)
    return f"{_SCHEME}${_ITERATIONS}${salt.hex()}${digest.hex()}"


def hash_problem(stored: str) -> str | None:
    """Why `stored` is not a hash that `hash_password` could have made, or None when it is one."""
    if not isinstance(stored, str) or _HASH_FORMAT.match(stored) is None:
        return ("expected pbkdf2_sha256$<iterations>$<salt hex>$<64 hex digits> "
                "(as printed by `cmi-sim hash-password`)")
    return None


def check_password(password: str, stored: str) -> bool:
    """Whether `password` matches `stored`; False for a malformed stored hash (never raises)."""
    match = _HASH_FORMAT.match(stored) if isinstance(stored, str) else None
    if match is None:
        return False
    iterations, salt_hex, digest_hex = match.groups()
    try:
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt_hex), int(iterations))
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username)


def username_problem(username: str) -> str | None:
    """What breaks the username policy (see the module's docstring), for an already normalised name."""
    if not username:
        return "username must not be empty"
    if len(username) > MAX_USERNAME:
        return f"username is too long ({len(username)} characters; at most {MAX_USERNAME})"
    if username != username.strip():
        return "username must not start or end with whitespace"
    bad = next((ch for ch in username if unicodedata.category(ch) in _BAD_CATEGORIES), None)
    if bad is not None:
        return f"username must not contain control or invisible characters (U+{ord(bad):04X})"
    return None


def password_problem(password: str) -> str | None:
    if len(password) > MAX_PASSWORD:
        return f"password is too long (at most {MAX_PASSWORD} characters)"
    if any("\ud800" <= ch <= "\udfff" for ch in password):
        return "password must be valid Unicode text (it has a lone surrogate)"
    return None


@dataclass(frozen=True)
class LoginResult:
    token: str | None
    error: str | None = None


# Unknown users in strict mode are checked against this, so they cost what a known user costs.
_DUMMY_HASH = hash_password("", b"\0" * 16)


@dataclass
class LoginAttempt:
    """One login between its steps. `stored` is the hash checked against (None: a new account, whose
    hash `verify` computes with `salt`)."""

    username: str
    password: str
    stored: str | None
    salt: bytes | None
    error: str | None = None
    new_hash: str | None = None
    ok: bool = False
    known: bool = True  # False: strict mode, no such user (checked against a dummy hash, then refused)

    def verify(self) -> LoginAttempt:
        """The slow part (PBKDF2), touching no shared state: safe to run in a worker thread."""
        if self.error is None:
            if self.stored is None:
                self.new_hash = hash_password(self.password, self.salt)
                self.ok = True
            else:
                self.ok = check_password(self.password, self.stored)
        return self


class Accounts:
    """Usernames, password hashes and the tokens handed out at login.

    `rng` makes salts and tokens reproducible in backtests; a server passes a `random.SystemRandom()`.
    """

    def __init__(self, strict: bool = False, password_hashes: Mapping[str, str] | None = None,
                 rng: random.Random | None = None) -> None:
        self.strict = strict
        self._hashes: dict[str, str] = dict(password_hashes or {})
        self._tokens: dict[str, str] = {}
        self._token_digests: dict[str, str] = {}  # restored from a journal: sha256(token) -> username
        self._rng = rng or random.Random(0)
        # Called with each new account and token (for a journal): {"user", "hash"} or {"token", "user"},
        # the token as its SHA-256 only.
        self.on_record: Callable[[dict], None] | None = None

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
        return self.finish_login(self.begin_login(username, password).verify())

    def begin_login(self, username: str, password: str) -> LoginAttempt:
        username = normalize_username(username) if isinstance(username, str) else ""
        problem = username_problem(username) or password_problem(password)
        if problem is not None:
            return LoginAttempt(username, password, None, None, error=problem)
        stored = self._hashes.get(username)
        if stored is not None:
            return LoginAttempt(username, password, stored, None)
        if self.strict:  # the same work as a known user, then refused
            return LoginAttempt(username, password, _DUMMY_HASH, None, known=False)
        return LoginAttempt(username, password, None, self._rng.randbytes(16))

    def finish_login(self, attempt: LoginAttempt) -> LoginResult:
        if attempt.error is not None:
            return LoginResult(None, attempt.error)
        if not attempt.ok or not attempt.known:
            return LoginResult(None, "unknown username or wrong password")
        username = attempt.username
        current = self._hashes.get(username)
        if attempt.stored is None:
            if current is not None:  # created by a login that finished first: check against that one
                return self.finish_login(LoginAttempt(username, attempt.password, current, None).verify())
            self._hashes[username] = attempt.new_hash
            if self.on_record is not None:
                self.on_record({"user": username, "hash": attempt.new_hash})
        elif current != attempt.stored:  # the password changed meanwhile (cannot happen today): refuse
            return LoginResult(None, "unknown username or wrong password")
        token = f"{self._rng.getrandbits(128):032x}"
        self._tokens[token] = username
        if self.on_record is not None:
            self.on_record({"token": hashlib.sha256(token.encode()).hexdigest(), "user": username})
        return LoginResult(token)

    def user_for_token(self, token: str) -> str | None:
        user = self._tokens.get(token)
        if user is None and self._token_digests:
            user = self._token_digests.get(hashlib.sha256(token.encode("utf-8", "replace")).hexdigest())
            if user is not None:
                self._tokens[token] = user
        return user

    def restore(self, record: Mapping[str, str]) -> None:
        """Apply one `on_record` record again (a journal being read back after a restart)."""
        if "hash" in record:
            self._hashes[record["user"]] = record["hash"]
        else:
            self._token_digests[record["token"]] = record["user"]
