"""`cmi-sim hash-password`: a password hash for a strict-mode accounts file, so the file holds no
password in clear."""

from __future__ import annotations

import json
import secrets
import sys

import typer

from cmi_sim.cli.errors import user_error


def hash_password_command(
    username: str | None = typer.Option(None, help="Print a whole accounts-file line for this user."),
) -> None:
    """Read a password (prompted without echo, or one line from standard input) and print its hash.

    \b
    Examples:
      cmi-sim hash-password --username alice >> accounts.toml   # under an [accounts] table
      echo 'secret' | cmi-sim hash-password
    """
    from cmi_sim.exchange.accounts import hash_password, normalize_username, password_problem, username_problem

    if sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise user_error("the password is empty")
    problem = password_problem(password)
    if problem is not None:
        raise user_error(problem)
    hashed = hash_password(password, secrets.token_bytes(16))
    if username is None:
        typer.echo(hashed)
        return
    name = normalize_username(username)
    problem = username_problem(name)
    if problem is not None:
        raise user_error(problem)
    typer.echo(f'{json.dumps(name)} = {{ password_hash = "{hashed}" }}')  # a TOML basic string


def register(app: typer.Typer) -> None:
    app.command("hash-password")(hash_password_command)
