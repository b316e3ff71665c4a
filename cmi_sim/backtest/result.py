"""The typed result of a run: `RunResult` (status, errors, figures, timing, the run directory) with one
`ParticipantResult` per bot. Tables are pandas DataFrames, read on first use from the run directory:

    result = cmi_sim.backtest("bots/quoter.py", until="2h")
    result.status, result.total_pnl, result.pnl          # "completed", 4720.0, {"WX_SPOT": 1324.0, ...}
    result.fills                                         # ts, time, order_id, product, side, price, ...
    result.equity                                        # time, equity, cash, pnl.<product> ...
    result.positions                                     # time, cash, one column per product
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cmi_sim.backtest.spec import RunSpec

FILLS_FILE = "fills.parquet"
EQUITY_FILE = "equity.parquet"
POSITIONS_FILE = "positions.parquet"


@dataclass(frozen=True)
class RunError:
    kind: str  #: bot_raised, bot_exit, thread_error, caught_tracebacks, watchdog, simulator_error, ...
    count: int
    message: str
    traceback: str = ""


@dataclass(frozen=True)
class ParticipantResult:
    """One account's outcome."""

    account: str | None
    pnl: dict[str, float]  #: per product: final, settled when the run reached the close
    total_pnl: float
    score: float | None  #: the competition score among the run's competing accounts; None when alone
    fills_count: int
    volume: int
    turnover: float  #: traded notional, sum of price x volume
    positions_final: dict[str, int]
    max_abs_position: int
    requests: int
    rule_violations: dict[str, int]  #: per endpoint (the one-request-per-second rule)
    rejections: dict[str, int]  #: refused requests by reason, whatever refused them
    rejections_by_endpoint: dict[str, dict[str, int]]  #: the same, per endpoint
    statistics: dict[str, Any]  #: sharpe, sortino (with their frequency), max drawdown and its duration
    run_dir: Path = field(repr=False)

    def _table(self, name: str):
        import pandas as pd

        path = self.run_dir / name
        table = pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=["account"])
        table = table[table["account"] == self.account].drop(columns="account").reset_index(drop=True)
        return table

    @property
    def fills(self):
        """One row per fill: ts, time, order_id (as the bot saw it), product, side, price, volume,
        counterparty, aggressor, position_after, cash_after."""
        return self._table(FILLS_FILE)

    @property
    def equity(self):
        """Mark-to-market PnL over time: ts, time, equity, cash, and pnl.<product>."""
        return self._table(EQUITY_FILE)

    @property
    def positions(self):
        """Positions over time: ts, time, cash and one column per product."""
        return self._table(POSITIONS_FILE)


@dataclass(frozen=True)
class RunResult:
    """A finished run. `status` is `completed` or `failed` (then `errors` says why)."""

    spec: RunSpec
    run_dir: Path
    status: str
    errors: tuple[RunError, ...]
    participants: tuple[ParticipantResult, ...]
    summary: dict[str, Any] = field(repr=False)  #: the deterministic summary `--expect` compares
    timing: dict[str, Any] = field(repr=False)
    child: dict[str, Any] = field(repr=False)  #: the child process's raw result

    @property
    def ok(self) -> bool:
        return self.status == "completed"

    @property
    def id(self) -> str:
        return self.spec.id

    @cached_property
    def participant(self) -> ParticipantResult:
        """The reported account (the first participant)."""
        return self.participants[0]

    # The single-bot shortcuts a notebook uses.
    @property
    def pnl(self) -> dict[str, float]:
        return self.participant.pnl

    @property
    def total_pnl(self) -> float:
        return self.participant.total_pnl

    @property
    def fills(self):
        return self.participant.fills

    @property
    def equity(self):
        return self.participant.equity

    @property
    def positions(self):
        return self.participant.positions

    @classmethod
    def load(cls, run_dir: str | Path) -> RunResult:
        """A result from a run directory written earlier (its `run.json`)."""
        run_dir = Path(run_dir)
        record = json.loads((run_dir / "run.json").read_text())
        return from_record(record, run_dir)


def from_record(record: dict[str, Any], run_dir: Path) -> RunResult:
    summary = record["summary"]
    participants = tuple(ParticipantResult(run_dir=run_dir, **p) for p in record.get("participants", []))
    return RunResult(spec=RunSpec.from_dict(record["spec"]), run_dir=run_dir, status=summary["status"],
                     errors=tuple(RunError(**e) for e in summary.get("errors", [])), participants=participants,
                     summary=summary, timing=record.get("timing", {}), child=record.get("run", {}))
