"""`--expect` for CI: compare a run's summary with a baseline on chosen metrics, within tolerances.

A baseline is a saved baseline file (`--save-baseline`), a `run.json`, a run directory or a bare summary.
The report leads with PnL (total, per product, score) with deltas, then the other metrics compared, then
the settings that differ from the baseline's run (a differing setting explains a differing result).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASELINE_VERSION = 1
DEFAULT_METRICS = ("status", "total_pnl", "pnl", "score", "fills")
PNL_METRICS = ("total_pnl", "pnl", "score")


class BaselineError(ValueError):
    """A baseline that cannot be read."""


@dataclass(frozen=True)
class Baseline:
    summary: dict[str, Any]
    spec: dict[str, Any] | None  #: the baseline run's spec, when the file kept it
    source: Path


@dataclass(frozen=True)
class Tolerance:
    """`0.5` (absolute) or `1%` (relative to the expected value): how far a number may move."""

    absolute: float = 0.0
    relative: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Tolerance:
        text = text.strip()
        try:
            if text.endswith("%"):
                value = float(text[:-1]) / 100
                if value >= 0:
                    return cls(relative=value)
            else:
                value = float(text)
                if value >= 0:
                    return cls(absolute=value)
        except ValueError:
            pass
        raise ValueError(f"expected a tolerance like 0.5 or 1%, got {text!r}")

    def allows(self, expected: float, actual: float) -> bool:
        return abs(actual - expected) <= max(self.absolute, self.relative * abs(expected)) + 1e-9

    def __str__(self) -> str:
        return f"{self.relative * 100:g}%" if self.relative else f"{self.absolute:g}"


def parse_tolerances(text: str | None) -> dict[str, Tolerance]:
    """`0.01` (every metric), `total_pnl=1%,fills=2` (per metric, by the metric's top-level name), or
    both: `0.01,fills=2`. Exact comparison when nothing is given."""
    tolerances: dict[str, Tolerance] = {"": Tolerance()}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, _, value = part.rpartition("=")
        tolerances[name.strip()] = Tolerance.parse(value)
    return tolerances


def load_baseline(path: Path) -> Baseline:
    """A saved baseline, a run.json, a run directory (its run.json) or a bare summary."""
    source = path / "run.json" if path.is_dir() else path
    try:
        data = json.loads(source.read_text())
    except OSError as error:
        raise BaselineError(f"cannot read {source}: {error.strerror or error}") from None
    except ValueError as error:
        raise BaselineError(f"{source} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise BaselineError(f"{source}: expected a JSON object")
    if isinstance(data.get("summary"), dict):
        return Baseline(data["summary"], data.get("spec"), source)
    return Baseline(data, None, source)


def save_baseline(path: Path, record: Mapping[str, Any]) -> None:
    """One file with the run's summary and spec: what `--expect` needs, without the run directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    baseline = {"baseline_version": BASELINE_VERSION, "run_id": record.get("run_id"), "spec": record.get("spec"),
                "summary": record["summary"]}
    path.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")


def parse_metrics(text: str | None, known: Sequence[str]) -> tuple[str, ...]:
    """`total_pnl,pnl,score` -> the metrics; `all` -> every summary field."""
    if not text:
        return DEFAULT_METRICS
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if names == ("all",):
        return tuple(known)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown metric(s): {', '.join(unknown)} (known: {', '.join(sorted(known))}, or all)")
    return names


@dataclass(frozen=True)
class Comparison:
    lines: tuple[str, ...]  #: the report, PnL first
    failures: int  #: metrics out of tolerance
    settings: tuple[str, ...]  #: settings that differ from the baseline's run

    @property
    def ok(self) -> bool:
        return self.failures == 0


def compare(baseline: Baseline, summary: Mapping[str, Any], metrics: Sequence[str],
            tolerances: Mapping[str, Tolerance] | None = None, spec: Any | None = None) -> Comparison:
    """Each chosen metric: expected, actual, delta, within tolerance or not. PnL metrics lead."""
    ordered = [m for m in PNL_METRICS if m in metrics] + [m for m in metrics if m not in PNL_METRICS]
    tolerances = dict(tolerances or {})
    lines, failures = [], 0
    for metric in ordered:
        tolerance = tolerances.get(metric) or tolerances.get("") or Tolerance()
        for name, expected, actual in _leaves(metric, baseline.summary.get(metric), summary.get(metric)):
            ok = _equal(expected, actual, tolerance)
            failures += not ok
            delta = _delta(expected, actual)
            mark = "ok  " if ok else "DIFF"
            lines.append(f"{mark} {name}: expected {_show(expected)}, got {_show(actual)}{delta}")
    settings: tuple[str, ...] = ()
    if spec is not None and baseline.spec is not None:
        try:
            settings = tuple(spec.differences(baseline.spec))
        except (ValueError, KeyError, TypeError):
            settings = ("the baseline's settings cannot be read (an older cmi-sim?)",)
    elif spec is not None and baseline.summary.get("run_id") not in (None, spec.id):
        settings = (f"run id {baseline.summary['run_id']} -> {spec.id} (the baseline kept no settings to compare)",)
    elif spec is not None and "run_id" not in baseline.summary:
        settings = ("unknown: the baseline kept no settings and no run id (an older cmi-sim?)",)
    return Comparison(tuple(lines), failures, settings)


def _leaves(metric: str, expected: Any, actual: Any) -> list[tuple[str, Any, Any]]:
    if isinstance(expected, dict) or isinstance(actual, dict):
        expected, actual = expected or {}, actual or {}
        out = []
        for key in sorted(set(expected) | set(actual)):
            out.extend(_leaves(f"{metric}.{key}", expected.get(key), actual.get(key)))
        return out
    return [(metric, expected, actual)]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(expected: Any, actual: Any, tolerance: Tolerance) -> bool:
    if _number(expected) and _number(actual):
        if math.isnan(expected) or math.isnan(actual):
            return math.isnan(expected) and math.isnan(actual)
        return tolerance.allows(float(expected), float(actual))
    return expected == actual


def _delta(expected: Any, actual: Any) -> str:
    if _number(expected) and _number(actual):
        delta = actual - expected
        return f" (delta {delta:+,.6g})" if delta else ""
    return ""


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if _number(value):
        return f"{value:,.6g}" if isinstance(value, float) else f"{value:,}"
    return repr(value)
