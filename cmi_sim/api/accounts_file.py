"""Accounts files for strict mode: a TOML table of users and their passwords or password hashes.

    [accounts]
    alice = "plain password"                       # hashed (salted) on load
    bob = { password_hash = "pbkdf2_sha256$..." }  # as printed by `cmi-sim hash-password`

Usernames must follow the account policy (`cmi_sim.exchange.accounts`) and are NFKC-normalised;
stored hashes are checked when the file loads, so a malformed one is an error at start, not at login.
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

from cmi_sim.exchange import Accounts
from cmi_sim.exchange.accounts import hash_problem, normalize_username, password_problem, username_problem


class AccountsFileError(ValueError):
    pass


def load_accounts(path: Path, rng: random.Random | None = None) -> Accounts:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise AccountsFileError(f"{path}: cannot read accounts file: {error}") from None
    table = data.get("accounts")
    if not isinstance(table, dict) or not table:
        raise AccountsFileError(f"{path}: expected an [accounts] table with at least one user")
    hashes: dict[str, str] = {}
    accounts = Accounts(strict=True, rng=rng)
    for given, entry in table.items():
        username = normalize_username(given)
        problem = username_problem(username)
        if problem is not None:
            raise AccountsFileError(f"{path}: [accounts].{given!r}: {problem}")
        if username in accounts or username in hashes:
            raise AccountsFileError(f"{path}: [accounts].{given!r}: the same user as another entry")
        if isinstance(entry, str):
            problem = password_problem(entry)
            if problem is not None:
                raise AccountsFileError(f"{path}: [accounts].{given!r}: {problem}")
            accounts.add(username, entry)
        elif isinstance(entry, dict) and set(entry) == {"password_hash"} and isinstance(entry["password_hash"], str):
            problem = hash_problem(entry["password_hash"])
            if problem is not None:
                raise AccountsFileError(f"{path}: [accounts].{given!r}: malformed password_hash: {problem}")
            hashes[username] = entry["password_hash"]
        else:
            raise AccountsFileError(f"{path}: [accounts].{given} must be a password string or "
                                    "{ password_hash = \"...\" }")
    for username, stored in hashes.items():
        accounts.add_hashed(username, stored)
    return accounts
