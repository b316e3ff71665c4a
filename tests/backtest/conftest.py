"""Helpers to run a bot script through the backtest child process against the toy world."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from cmi_sim.backtest import RunConfig, run_in_child

HERE = Path(__file__).resolve().parent
BOTS = HERE / "bots"
REPO = HERE.parents[1]
TOY_WORLD = "tests.backtest.toy_world:make_environment"


class BotRun(dict):
    """The result dict, plus the bot's captured output."""

    @property
    def stdout(self) -> str:
        return Path(self["stdout_path"]).read_text()

    @property
    def stderr(self) -> str:
        return Path(self["stderr_path"]).read_text()

    def lines(self) -> list[str]:
        return self.stdout.splitlines()


def _runner(tmp_path: Path) -> Callable[..., BotRun]:
    counter = iter(range(1000))

    def run(bot: str | Path, *, wall_limit_s: float = 60.0, **settings: Any) -> BotRun:
        n = next(counter)
        bot_path = Path(bot) if Path(bot).is_absolute() else BOTS / bot
        settings.setdefault("watchdog_s", 5.0)
        settings.setdefault("duration_s", 60.0)
        config = RunConfig(
            bot=str(bot_path),
            environment=settings.pop("environment", TOY_WORLD),
            result_path=str(tmp_path / f"result{n}.json"),
            sys_path=(str(REPO),),
            **settings,
        )
        return BotRun(run_in_child(config, workdir=tmp_path / f"run{n}", wall_limit_s=wall_limit_s))

    return run


@pytest.fixture
def run_bot(tmp_path: Path) -> Callable[..., BotRun]:
    """``run_bot("name.py", duration_s=..., environment_args=...)``: one child run, its result and output."""
    return _runner(tmp_path)


@pytest.fixture(scope="module")
def run_bot_module(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., BotRun]:
    """The same, for module-scoped fixtures (one run shared by several tests)."""
    return _runner(tmp_path_factory.mktemp("bt"))
