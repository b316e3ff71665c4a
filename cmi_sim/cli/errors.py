"""User errors on the command line: one line on stderr and exit status 1, no traceback."""

from __future__ import annotations

import typer


def user_error(message: str) -> typer.Exit:
    typer.echo(f"cmi-sim: error: {message}", err=True)
    return typer.Exit(1)
