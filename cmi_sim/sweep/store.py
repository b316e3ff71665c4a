"""A sweep's directory: every finished run kept the moment it finishes, and the tables built from them.

    runs.jsonl        the journal: one line per finished run, appended and flushed as it finishes
    runs/<run id>/    run.json, fills.parquet, equity.parquet (and the bot's stderr when it wrote any)
    results.parquet   this sweep's runs, one row each (rewritten as runs finish, at most every 5 s)

The journal is the truth: an interrupted sweep loses only the runs still in flight, and a run whose id is
in the journal is not run again (unless it broke for a reason outside the bot: see RETRIED_STATUSES).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cmi_sim.sweep.task import RETRIED_STATUSES

JOURNAL = "runs.jsonl"
RESULTS = "results.parquet"
# Row columns in the order the table shows them; parameters come after `seed`, PnL per product at the end.
LEADING = ["run_id", "split", "trial", "session", "seed"]
FIGURES = ["status", "total_pnl", "score", "max_drawdown", "sharpe", "fills", "traded_volume", "requests",
           "rate_violations", "wall_s", "settled", "bot_outcome", "error", "spec_id"]
RESERVED = set(LEADING) | set(FIGURES) | {"setting", "pnl", "files"}


class SweepStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "runs").mkdir(exist_ok=True)
        self.journal_path = directory / JOURNAL
        self.rows: dict[str, dict[str, Any]] = {}
        if self.journal_path.exists():
            self._read_journal()

    def _read_journal(self) -> None:
        with self.journal_path.open("rb") as journal:
            for line in journal:
                try:
                    row = json.loads(line)
                except ValueError:  # the last line of a sweep killed mid-write
                    continue
                if isinstance(row, dict) and "run_id" in row:
                    self.rows[row["run_id"]] = row

    def done(self, run_id: str) -> bool:
        row = self.rows.get(run_id)
        return row is not None and row.get("status") not in RETRIED_STATUSES

    def record(self, row: dict[str, Any]) -> dict[str, Any]:
        """Write the run's files, then its journal line (so a journalled run always has its files)."""
        row = dict(row)
        files = row.pop("files", None) or {}
        run_dir = self.directory / "runs" / row["run_id"]
        if files:
            run_dir.mkdir(exist_ok=True)
            for name, content in files.items():
                (run_dir / name).write_bytes(content)
        with self.journal_path.open("a") as journal:
            journal.write(json.dumps(row, sort_keys=True, default=str) + "\n")
            journal.flush()
            os.fsync(journal.fileno())
        self.rows[row["run_id"]] = row
        return row

    def write_results(self, run_ids: list[str], param_names: list[str]) -> Path:
        """results.parquet for these runs (those finished so far), written atomically."""
        frame = results_frame([self.rows[i] for i in run_ids if i in self.rows], param_names)
        path = self.directory / RESULTS
        scratch = path.with_suffix(".parquet.tmp")
        frame.to_parquet(scratch, index=False)
        scratch.replace(path)
        return path


def results_frame(rows: list[dict[str, Any]], param_names: list[str]):
    """One row per run: identity, parameters, figures, then PnL per product (`pnl_TIDE_SPOT`, ...)."""
    import pandas as pd

    products = sorted({product for row in rows for product in (row.get("pnl") or {})})
    records = []
    for row in rows:
        record = {key: row.get(key) for key in LEADING}
        setting = row.get("setting") or {}
        record.update({name: setting.get(name) for name in param_names})
        record.update({key: row.get(key) for key in FIGURES})
        pnl = row.get("pnl") or {}
        default = 0.0 if row.get("status") == "ok" else None  # a product the bot never traded made nothing
        record.update({f"pnl_{product}": pnl.get(product, default) for product in products})
        records.append(record)
    columns = LEADING + param_names + FIGURES + [f"pnl_{product}" for product in products]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for column in ("total_pnl", "score", "max_drawdown", "sharpe", "wall_s",
                   *(f"pnl_{product}" for product in products)):
        frame[column] = frame[column].astype("float64")
    frame["trial"] = frame["trial"].astype("Int64")
    for name in param_names:  # a list mixing words and numbers is stored as words
        kinds = {type(value) for value in frame[name] if value is not None}
        if str in kinds and len(kinds) > 1:
            frame[name] = frame[name].map(lambda value: None if value is None else str(value))
    for column in ("fills", "traded_volume", "requests", "rate_violations"):
        frame[column] = frame[column].astype("Int64")
    return frame
