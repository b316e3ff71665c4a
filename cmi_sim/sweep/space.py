"""The searched space: parameter values from the command line, and seed lists.

A parameter is `NAME=SPEC`, where SPEC is one of

    3,6,9            a list (integers, decimals or words)
    2:10:2           a linear range START:STOP:STEP, STOP included when it falls on the step
    log:1:100:5      COUNT values spaced evenly on a log scale from START to STOP, both included

A range with whole-number bounds (and step) gives integers (a log range rounds, dropping repeats); write
`1.0` to get decimals. Grid search takes every value; random and Optuna search draw from the same
space: one of the listed values, a point on the linear range's step, or anywhere (log-uniform) between
a log range's bounds.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Any

Value = int | float | str

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
MAX_RANGE_VALUES = 10_000


class SpaceError(ValueError):
    """A parameter or seed specification that cannot be read (the message says which and why)."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "list", "linear" or "log"
    values: tuple[Value, ...]  # the grid
    low: float = 0.0  # the bounds of a log range (random and Optuna draw between them)
    high: float = 0.0
    integer: bool = False

    def sample(self, rng: random.Random) -> Value:
        if self.kind == "log":
            drawn = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
            return _round_log(drawn, self.integer, self.low, self.high)
        return rng.choice(self.values)


def parse_param(text: str) -> Param:
    name, sep, spec = text.partition("=")
    name, spec = name.strip(), spec.strip()
    if not sep or not _NAME.match(name) or not spec:
        raise SpaceError(f"--param {text!r}: expected NAME=VALUES, e.g. width=3,6 or width=2:10:2 or "
                         f"width=log:1:100:5")
    try:
        if spec.startswith("log:"):
            return _log_range(name, spec[4:])
        if ":" in spec:
            return _linear_range(name, spec)
        values = tuple(_value(part.strip()) for part in spec.split(","))
    except (ValueError, OverflowError) as error:
        raise SpaceError(f"--param {text!r}: {error}") from None
    if any(part == "" for part in values):
        raise SpaceError(f"--param {text!r}: an empty value in the list")
    if len(set(values)) != len(values):
        raise SpaceError(f"--param {text!r}: a value is listed twice")
    return Param(name, "list", values)


def parse_params(texts: list[str]) -> tuple[Param, ...]:
    params = tuple(parse_param(text) for text in texts)
    names = [p.name for p in params]
    for name in names:
        if names.count(name) > 1:
            raise SpaceError(f"--param {name} is given twice")
    return params


def _value(text: str) -> Value:
    """`3` -> 3, `2.5` -> 2.5, anything else stays a word."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        raise ValueError(f"{text} is not a finite number")
    return number


def _numbers(spec: str, count: int, what: str) -> list[int | float]:
    parts = spec.split(":")
    if len(parts) != count:
        raise ValueError(f"expected {what}")
    numbers = [_value(part.strip()) for part in parts]
    if any(isinstance(n, str) for n in numbers):
        raise ValueError(f"expected numbers in {what}")
    return numbers  # type: ignore[return-value]


def _linear_range(name: str, spec: str) -> Param:
    start, stop, step = _numbers(spec, 3, "START:STOP:STEP")
    if step <= 0 or stop < start:
        raise ValueError("a range needs START <= STOP and a positive STEP")
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_RANGE_VALUES:
        raise ValueError(f"the range has {count} values (at most {MAX_RANGE_VALUES})")
    integer = all(isinstance(n, int) for n in (start, stop, step))
    values = tuple(start + i * step if integer else tidy(start + i * step) for i in range(count))
    return Param(name, "linear", values, integer=integer)


def _log_range(name: str, spec: str) -> Param:
    start, stop, count = _numbers(spec, 3, "log:START:STOP:COUNT")
    if not isinstance(count, int) or count < 1 or count > MAX_RANGE_VALUES:
        raise ValueError(f"COUNT must be a whole number from 1 to {MAX_RANGE_VALUES}")
    if start <= 0 or stop < start:
        raise ValueError("a log range needs 0 < START <= STOP")
    integer = isinstance(start, int) and isinstance(stop, int)
    if count == 1:
        points = [start]
    else:
        ratio = math.log(stop / start) / (count - 1)
        points = [start * math.exp(ratio * i) for i in range(count)]
    values: list[Value] = []
    for point in points:
        value = _round_log(point, integer, start, stop)
        if value not in values:
            values.append(value)
    return Param(name, "log", tuple(values), low=float(start), high=float(stop), integer=integer)


def _round_log(value: float, integer: bool, low: float, high: float) -> Value:
    if integer:
        return int(min(high, max(low, round(value))))
    return tidy(min(high, max(low, value)))


def tidy(value: float) -> float:
    """Six significant digits: 0.30000000000000004 prints, hashes and sorts as 0.3."""
    return float(f"{value:.6g}")


def grid(params: tuple[Param, ...]) -> list[dict[str, Value]]:
    """Every combination, in the order given (the last parameter varies fastest)."""
    settings: list[dict[str, Value]] = [{}]
    for param in params:
        settings = [{**setting, param.name: value} for setting in settings for value in param.values]
    return settings


def random_settings(params: tuple[Param, ...], count: int, seed: int) -> list[dict[str, Value]]:
    """`count` distinct settings drawn with a seeded generator (fewer if the space is smaller)."""
    rng = random.Random(seed)
    found: list[dict[str, Value]] = []
    attempts = 0
    while len(found) < count and attempts < count * 50:
        attempts += 1
        setting = {param.name: param.sample(rng) for param in params}
        if setting not in found:
            found.append(setting)
    return found


def parse_seeds(text: str, what: str = "--seeds") -> tuple[int, ...]:
    """`1-8`, `1,2,5` or `1-4,9`: distinct seeds in the order given."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
        try:
            if match:
                low, high = int(match.group(1)), int(match.group(2))
                if high < low or high - low >= MAX_RANGE_VALUES:
                    raise ValueError
                chosen = list(range(low, high + 1))
            else:
                chosen = [int(part)]
        except ValueError:
            raise SpaceError(f"{what} {text!r}: expected seeds like 1-8, 1,2,5 or 1-4,9") from None
        for seed in chosen:
            if seed in seeds:
                raise SpaceError(f"{what} {text!r}: seed {seed} is given twice")
            seeds.append(seed)
    return tuple(seeds)


def describe(setting: dict[str, Any]) -> str:
    return " ".join(f"{name}={value}" for name, value in setting.items())
