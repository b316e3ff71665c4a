"""Accounts: the username policy, hashes checked on load, `cmi-sim hash-password`, logins in steps."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from cmi_sim.api.accounts_file import AccountsFileError, load_accounts
from cmi_sim.exchange.accounts import Accounts, check_password, hash_password, hash_problem


@pytest.mark.parametrize("name", ["", "a" * 65, " alice", "alice ", "al\u200bice", "al\x07ice", "\ud800",
                                  "a\u2028b"])
def test_usernames_that_break_the_policy_are_refused_and_create_nothing(name):
    accounts = Accounts()
    assert accounts.login(name, "pw").token is None
    assert accounts.usernames() == []


def test_look_alike_usernames_normalise_to_one_account():
    accounts = Accounts()
    assert accounts.login("ａｌｉｃｅ", "pw").token is not None
    assert accounts.usernames() == ["alice"]
    assert accounts.login("alice", "pw").token is not None
    assert accounts.login("alice", "other").token is None


def test_a_lone_surrogate_password_is_refused_and_creates_nothing():
    accounts = Accounts()
    assert accounts.login("bob", "\udfff").error == "password must be valid Unicode text (it has a lone surrogate)"
    assert accounts.usernames() == []


@pytest.mark.parametrize("stored", ["", "x", "pbkdf2_sha256$abc$00$00", "pbkdf2_sha256$1$zz$" + "0" * 64,
                                    "md5$1$" + "00" * 8 + "$" + "0" * 64, "pbkdf2_sha256$20000$" + "00" * 8 + "$0"])
def test_malformed_hashes_never_match_and_never_raise(stored):
    assert hash_problem(stored) is not None
    assert check_password("pw", stored) is False


def test_a_strict_login_costs_the_same_for_unknown_and_known_users():
    accounts = Accounts.from_passwords({"alice": "pw"})

    def cost(name: str) -> float:
        started = time.perf_counter()
        for _ in range(5):
            assert accounts.login(name, "wrong").token is None
        return time.perf_counter() - started

    cost("alice")  # warm up
    known, unknown = cost("alice"), cost("nobody")
    assert unknown > known / 3  # both hash; without the dummy hash an unknown user costs ~nothing


def test_a_login_run_in_steps_lets_the_first_finished_creation_win():
    accounts = Accounts()
    first, second = accounts.begin_login("carol", "one"), accounts.begin_login("carol", "two")
    assert accounts.finish_login(second.verify()).token is not None
    assert accounts.finish_login(first.verify()).token is None  # "one" is checked against "two"'s hash


def test_the_accounts_file_checks_hashes_and_names_when_it_loads(tmp_path):
    path = tmp_path / "accounts.toml"
    good = hash_password("pw", b"s" * 16)
    path.write_text(f'[accounts]\nalice = "pw"\nbob = {{ password_hash = "{good}" }}\n')
    accounts = load_accounts(path)
    assert accounts.login("bob", "pw").token is not None and accounts.login("alice", "pw").token is not None
    for table, message in [('bob = { password_hash = "pbkdf2_sha256$x" }', "malformed password_hash"),
                           ('"bo\\u200bb" = "pw"', "invisible"),
                           ('alice = "a"\n"ａｌｉｃｅ" = "b"', "the same user")]:
        path.write_text(f"[accounts]\n{table}\n")
        with pytest.raises(AccountsFileError, match=message):
            load_accounts(path)


def test_hash_password_prints_a_line_the_accounts_file_loads(tmp_path):
    printed = subprocess.run([sys.executable, "-m", "cmi_sim", "hash-password", "--username", "alice"],
                             input="s3cret\n", capture_output=True, text=True, timeout=60)
    assert printed.returncode == 0, printed.stderr
    path = tmp_path / "accounts.toml"
    path.write_text("[accounts]\n" + printed.stdout)
    accounts = load_accounts(path)
    assert "s3cret" not in path.read_text()
    assert accounts.login("alice", "s3cret").token is not None and accounts.login("alice", "x").token is None
    empty = subprocess.run([sys.executable, "-m", "cmi_sim", "hash-password"], input="\n", capture_output=True,
                           text=True, timeout=60)
    assert empty.returncode == 1 and empty.stderr.startswith("cmi-sim: error:")
