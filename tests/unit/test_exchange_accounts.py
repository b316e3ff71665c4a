"""Accounts: open and strict modes, passwords, salted hashes, tokens."""

from __future__ import annotations

import random

from cmi_sim.exchange import Accounts, Exchange, check_password, hash_password
from cmi_sim.products import cmi_products


def test_open_mode_creates_account_on_first_login():
    accounts = Accounts()
    result = accounts.login("alice", "pw")
    assert result.token and result.error is None
    assert "alice" in accounts and accounts.usernames() == ["alice"]
    assert accounts.login("alice", "pw").token


def test_wrong_password_is_refused():
    accounts = Accounts()
    accounts.login("alice", "pw")
    result = accounts.login("alice", "nope")
    assert result.token is None and result.error


def test_empty_username_is_refused():
    assert Accounts().login("", "pw").token is None


def test_strict_mode_refuses_unknown_users():
    accounts = Accounts.from_passwords({"alice": "pw"})
    assert accounts.login("bob", "pw").token is None
    assert "bob" not in accounts
    assert accounts.login("alice", "pw").token


def test_same_password_gets_different_salted_hashes():
    accounts = Accounts.from_passwords({"alice": "same", "bob": "same"})
    stored = accounts._hashes  # no public accessor on purpose; the test needs to look
    assert stored["alice"] != stored["bob"]
    assert "same" not in stored["alice"]
    assert check_password("same", stored["alice"]) and check_password("same", stored["bob"])


def test_hash_password_format_and_check():
    stored = hash_password("pw", b"\x00" * 16)
    assert stored.startswith("pbkdf2_sha256$") and stored.count("$") == 3
    assert check_password("pw", stored) and not check_password("pW", stored)
    assert not check_password("pw", "not-a-hash") and not check_password("pw", "md5$1$00$00")


def test_tokens_map_back_to_their_users_and_differ():
    accounts = Accounts()
    a1, a2 = accounts.login("alice", "pw").token, accounts.login("alice", "pw").token
    b = accounts.login("bob", "pw").token
    assert len({a1, a2, b}) == 3
    assert [accounts.user_for_token(t) for t in (a1, a2, b)] == ["alice", "alice", "bob"]
    assert accounts.user_for_token("forged") is None


def test_seeded_rng_makes_tokens_reproducible():
    tokens = [Accounts(rng=random.Random(5)).login("a", "pw").token for _ in range(2)]
    assert tokens[0] == tokens[1]


def test_exchange_login_goes_through_its_accounts():
    ex = Exchange(cmi_products(), accounts=Accounts.from_passwords({"alice": "pw"}))
    assert ex.login("alice", "pw").token and ex.login("eve", "pw").token is None
