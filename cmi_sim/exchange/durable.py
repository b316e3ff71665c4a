"""A crash-safe journal directory for a long-running exchange (`cmi-sim serve --journal DIR`).

    DIR/meta.json       what the journal was written under (products, rules, hours) and the order-id prefix
    DIR/events.jsonl    every exchange event, one JSON line each (the backtest's events.jsonl format)
    DIR/accounts.jsonl  accounts created ({"user", "hash"}) and login tokens handed out ({"token", "user"},
                        the token as its SHA-256 only)

Durability policy: whatever a request changed is written to the OS (`flush`) before its response is
sent, so every acknowledged request survives the server being killed (kill -9); the files are synced
to the disk (`sync`, fsync) at most `SYNC_SECONDS` later, so a power cut or an OS crash can lose about
the last second. On start, a journal that exists is read back: accounts and tokens restored (clients
go on with the tokens they hold), events replayed (`restore.replay`: books with their order ids and
priority, positions, cash, the tape, the sequence and order-id counters), then new events are appended.
A last line cut short by the kill is dropped (its request was never acknowledged).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cmi_sim.engine import Event
from cmi_sim.exchange.accounts import Accounts
from cmi_sim.exchange.event_lines import decode_event
from cmi_sim.exchange.exchange import Exchange
from cmi_sim.exchange.journal import JsonlSink
from cmi_sim.exchange.restore import JournalMismatch, replay

SYNC_SECONDS = 1.0
FORMAT = 1


class JournalError(ValueError):
    """The journal directory cannot be used (other settings, damaged, unreadable): one line for the user."""


@dataclass(frozen=True)
class Restored:
    events: int
    accounts: int
    tokens: int
    last_ts: int  # the latest event's timestamp (0 for a new journal)
    order_id_prefix: int


def exchange_settings(exchange: Exchange) -> dict:
    """What a journal must be replayed under: the same products, rules and trading hours."""
    return {
        "products": [[p.symbol, p.tick_size, p.starting_price, p.contract_size] for p in exchange.products.values()],
        "rules": exchange.rules.digest(),
        "hours": list(exchange.hours) if exchange.hours is not None else None,
    }


class DurableJournal:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.events: JsonlSink | None = None
        self._accounts_file = None

    def open(self, exchange: Exchange, accounts: Accounts, new_prefix: int, extra: dict | None = None) -> Restored:
        """Restore `exchange` (fresh, with no orders) and `accounts` from the directory, or start a new
        journal there; from then on both write to it. `new_prefix`: the order-id prefix of a new journal."""
        settings = exchange_settings(exchange) | (extra or {})
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            meta_path = self.directory / "meta.json"
            if meta_path.exists():
                meta = json.loads(meta_path.read_text())
                if meta.get("format") != FORMAT:
                    raise JournalError(f"{meta_path}: unknown journal format {meta.get('format')!r}")
                different = sorted(k for k in settings if meta["settings"].get(k) != settings[k])
                if different:
                    raise JournalError(f"{self.directory} was written under other settings ({', '.join(different)}):"
                                       " restart with the same ones, or use a new --journal directory")
                prefix = int(meta["order_id_prefix"])
            else:
                prefix = new_prefix
                _write_atomically(meta_path, json.dumps({"format": FORMAT, "order_id_prefix": prefix,
                                                         "settings": settings}, indent=1))
            n_accounts, n_tokens = self._restore_accounts(accounts)
            events_path = self.directory / "events.jsonl"
            n_events, last_ts = replay(exchange, self._read_events(events_path)) if events_path.exists() else (0, 0)
        except JournalMismatch as error:
            raise JournalError(f"{self.directory}: the journal does not replay: {error}"[:500]) from None
        except (OSError, ValueError, KeyError, TypeError) as error:
            if isinstance(error, JournalError):
                raise
            raise JournalError(f"{self.directory}: cannot read the journal: {error}"[:500]) from None
        self.events = JsonlSink(events_path, append=True, start_count=n_events)
        exchange.use_journal(self.events)
        self._accounts_file = (self.directory / "accounts.jsonl").open("a", encoding="utf-8")
        accounts.on_record = self._record_account
        return Restored(n_events, n_accounts, n_tokens, last_ts, prefix)

    def flush(self) -> None:
        """Hand everything written to the OS: call before acknowledging a request."""
        if self.events is not None:
            self.events.flush()

    def file_numbers(self) -> tuple[int, ...]:
        """The open files' descriptors: `os.fsync` them (from any thread) after a `flush`."""
        if self.events is None:
            return ()
        return self.events.fileno(), self._accounts_file.fileno()

    def sync(self) -> None:
        self.flush()
        for fd in self.file_numbers():
            os.fsync(fd)

    def close(self) -> None:
        if self.events is not None:
            self.sync()
            self.events.close()
            self._accounts_file.close()
            self.events = None

    def _record_account(self, record: dict) -> None:
        self._accounts_file.write(json.dumps(record) + "\n")
        self._accounts_file.flush()  # logins are rare: each is on file before its reply

    def _restore_accounts(self, accounts: Accounts) -> tuple[int, int]:
        path = self.directory / "accounts.jsonl"
        n_accounts = n_tokens = 0
        for line in _complete_lines(path):
            record = json.loads(line)
            accounts.restore(record)
            if "hash" in record:
                n_accounts += 1
            else:
                n_tokens += 1
        return n_accounts, n_tokens

    def _read_events(self, path: Path) -> Iterator[Event]:
        for line in _complete_lines(path):
            yield decode_event(line)


def _complete_lines(path: Path) -> Iterator[str]:
    """The file's complete lines; a last line without its newline (cut by a kill) is cut off the file."""
    if not path.exists():
        return
    with path.open("rb") as source:
        good = 0
        for raw in source:
            if not raw.endswith(b"\n"):
                break
            good += len(raw)
            yield raw.decode("utf-8")
    if good < path.stat().st_size:
        with path.open("r+b") as damaged:
            damaged.truncate(good)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
