"""Accounts files for strict mode: a TOML table of users and their passwords or password hashes.

    [accounts]
    alice = "plain password"                       # hashed (salted) on load
    bob = { password_hash = "pbkdf2_sha256$..." }  # as printed by `cmi-sim hash-password`
"""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

from cmi_sim.exchange import Accounts


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
    for username, entry in table.items():
        if isinstance(entry, str):
            accounts.add(username, entry)
        elif isinstance(entry, dict) and set(entry) == {"password_hash"} and isinstance(entry["password_hash"], str):
            hashes[username] = entry["password_hash"]
        else:
            raise AccountsFileError(f"{path}: [accounts].{username} must be a password string or "
                                    "{ password_hash = \"...\" }")
    for username, stored in hashes.items():
        accounts.add_hashed(username, stored)
    return accounts
