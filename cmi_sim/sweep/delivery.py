"""How a setting reaches an unmodified bot: its own command-line options, a template of its arguments,
environment variables, or keyword arguments of an `--entry` call.

    args      --width 3 --volume 5          appended after the fixed arguments given after `--`
    template  the --args-template text with {name} filled in, split like a shell would
    env       WIDTH=3 in the bot's environment (the parameter name is the variable's name)
    entry     SimpleQuoter.run_loop(width=3, ...): the keywords added to (or replacing) --entry's
"""

from __future__ import annotations

import ast
import shlex
from dataclasses import dataclass
from typing import Any

from cmi_sim.sweep.space import SpaceError, Value

MODES = ("args", "template", "env", "entry")


@dataclass(frozen=True)
class Delivery:
    mode: str = "args"
    template: str | None = None  # for "template"
    entry: str | None = None  # for "entry" (and any mode: a class-only bot still needs --entry)
    fixed_args: tuple[str, ...] = ()  # the bot arguments after `--`, the same in every run

    def check(self, names: list[str]) -> None:
        """Fail early, once, on a delivery that cannot carry these parameters."""
        if self.mode not in MODES:
            raise SpaceError(f"--via must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.mode == "template":
            if not self.template:
                raise SpaceError("--via template needs --args-template, e.g. \"--width {width}\"")
            self.bot_args(dict.fromkeys(names, 1))
        if self.mode == "entry":
            if not self.entry:
                raise SpaceError("--via entry needs --entry, e.g. \"SimpleQuoter.run_loop(volume=5)\"")
            for name in names:
                if not name.isidentifier():
                    raise SpaceError(f"--via entry: {name!r} is not a Python keyword argument name")
            self.entry_call(dict.fromkeys(names, 1))
        if self.mode == "env":
            for name in names:
                if not name.replace("_", "a").isalnum():
                    raise SpaceError(f"--via env: {name!r} is not an environment variable name")

    def bot_args(self, setting: dict[str, Value]) -> tuple[str, ...]:
        if self.mode == "args":
            extra = [part for name, value in setting.items() for part in (f"--{name}", str(value))]
            return (*self.fixed_args, *extra)
        if self.mode == "template":
            try:
                text = (self.template or "").format(**setting)
            except (KeyError, IndexError, ValueError) as error:
                raise SpaceError(f"--args-template {self.template!r}: cannot fill in {error}") from None
            return (*self.fixed_args, *shlex.split(text))
        return self.fixed_args

    def env(self, setting: dict[str, Value]) -> dict[str, str]:
        return {name: str(value) for name, value in setting.items()} if self.mode == "env" else {}

    def entry_call(self, setting: dict[str, Value]) -> str | None:
        if self.mode != "entry" or not self.entry:
            return self.entry
        try:
            node = ast.parse(self.entry.strip(), mode="eval").body
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                raise ValueError
            kept = [kw for kw in node.keywords if kw.arg not in setting]
            node.keywords = kept + [ast.keyword(arg=name, value=ast.Constant(value)) for name, value in setting.items()]
            return ast.unparse(node)
        except (SyntaxError, ValueError):
            raise SpaceError(f"--entry: expected ClassName.method(literal arguments), got {self.entry!r}") from None

    def describe(self) -> dict[str, Any]:
        """What enters the run id (how the values reach the bot changes the run)."""
        return {"mode": self.mode, "template": self.template, "entry": self.entry, "fixed_args": list(self.fixed_args)}
