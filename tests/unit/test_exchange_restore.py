"""Restoring an exchange from its journal: replaying the events rebuilds the same state, and a journal
that does not replay to itself is refused."""

from __future__ import annotations

import random

import pytest

from cmi_sim.engine import OrderAccepted
from cmi_sim.exchange import Accounts, Exchange, ExchangeRules, TradingHours
from cmi_sim.exchange.durable import DurableJournal, JournalError
from cmi_sim.exchange.restore import JournalMismatch, replay
from cmi_sim.products import Product

PRODUCTS = [Product("P", 1, 100, 1), Product("Q", 2, 50, 1)]
RULES = ExchangeRules(position_limit=30, self_trade="prevent")


def _exchange(**kw) -> Exchange:
    return Exchange(PRODUCTS, kw.pop("rules", RULES), TradingHours(0, 10**12), **kw)


def _busy(ex: Exchange, seed: int, n: int = 600, start: int = 1) -> None:
    rng = random.Random(seed)
    for i in range(start, start + n):
        owner = rng.choice(["a", "b", "c"])
        roll = rng.random()
        product = rng.choice(["P", "Q"])
        if roll < 0.7:
            ex.place(i, owner, product, rng.choice([1, -1]), rng.randint(95, 105), rng.randint(1, 12))
        elif roll < 0.85:
            ex.cancel(i, owner, rng.randint(1, i))
        elif roll < 0.95:
            ex.reduce_order(i, owner, rng.randint(1, i), rng.randint(0, 3))
        elif roll < 0.97:
            ex.cancel_at_price(i, owner, product, rng.randint(95, 105))
        else:
            ex.print_trade(i, product, "x", "y", 1, rng.randint(95, 105))


def _state(ex: Exchange) -> tuple:
    accounts = sorted(ex.ledger.accounts())
    return ([ex.depth(p) for p in ex.products], {a: ex.positions(a) for a in accounts},
            {a: ex.pnl(a) for a in accounts}, list(ex.tape.trades),
            {a: ex.orders(a) for a in ("a", "b", "c")})


@pytest.mark.parametrize("seed", range(4))
def test_replaying_the_events_rebuilds_the_same_exchange(seed):
    original = _exchange()
    _busy(original, seed)
    copy = _exchange()
    count, last_ts = replay(copy, original.log)
    assert count == len(original.log) and last_ts == original.log[-1].ts
    assert _state(copy) == _state(original)
    assert copy.log == []  # the copy's own sink got nothing
    _busy(original, seed + 100, 200, start=1000)  # and both go on alike (same sequence and order ids)
    _busy(copy, seed + 100, 200, start=1000)
    assert copy.log == original.log[count:]


def test_a_settled_exchange_replays_its_settlement():
    original = _exchange()
    _busy(original, 7, 200)
    original.settle(5000, {"P": 100.0, "Q": 50.0})
    copy = _exchange()
    replay(copy, original.log)
    assert copy.settlement == original.settlement and not copy.is_open(6000)


def test_a_journal_written_under_other_rules_does_not_replay():
    original = _exchange()
    _busy(original, 1)
    with pytest.raises(JournalMismatch):
        replay(_exchange(rules=ExchangeRules(position_limit=5)), original.log)


def test_a_changed_event_does_not_replay():
    original = _exchange()
    _busy(original, 2, 100)
    events = list(original.log)
    i = next(i for i, e in enumerate(events) if type(e) is OrderAccepted)
    events[i] = events[i]._replace(volume=events[i].volume + 1)
    with pytest.raises(JournalMismatch):
        replay(_exchange(), events)


def test_a_journal_directory_survives_a_torn_last_line_and_restores_accounts(tmp_path):
    accounts = Accounts(rng=random.Random(1))
    first = _exchange(accounts=accounts)
    durable = DurableJournal(tmp_path)
    assert durable.open(first, accounts, new_prefix=42).events == 0
    token = accounts.login("alice", "pw").token
    _busy(first, 3, 300)
    durable.flush()
    expected = _state(first)
    with (tmp_path / "events.jsonl").open("a") as torn:
        torn.write('{"type":"OrderAccepted","seq":99999')  # the kill came mid-line
    again_accounts = Accounts(rng=random.Random(2))
    again = _exchange(accounts=again_accounts)
    restored = DurableJournal(tmp_path).open(again, again_accounts, new_prefix=7)
    assert restored.order_id_prefix == 42 and restored.accounts == 1 and restored.tokens == 1
    assert _state(again) == expected
    assert again_accounts.user_for_token(token) == "alice"
    assert again_accounts.login("alice", "pw").token is not None and again_accounts.login("alice", "x").token is None
    assert (tmp_path / "events.jsonl").read_text().endswith("\n")


def test_a_journal_directory_refuses_other_settings(tmp_path):
    accounts = Accounts()
    DurableJournal(tmp_path).open(_exchange(accounts=accounts), accounts, new_prefix=1).events
    other = Exchange(PRODUCTS[:1], RULES, TradingHours(0, 10**12))
    with pytest.raises(JournalError, match="other settings"):
        DurableJournal(tmp_path).open(other, Accounts(), new_prefix=1)
