"""Content digests for a run's identity: a bot's code (the script and the local modules it imports) and a
session's content (the manifest and every file it names)."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from pathlib import Path

from cmi_sim.sessions import Session
from cmi_sim.sessions.manifest import MANIFEST, read_manifest


def files_digest(paths: Iterable[Path], root: Path | None = None) -> str:
    """sha256 over (name, content) of each file, in sorted order; names relative to `root` when given."""
    digest = hashlib.sha256()
    for path in sorted(set(paths)):
        name = str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else str(path)
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _tree(path: Path, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    if path.is_file():
        return [path]
    return [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            and (suffixes is None or p.suffix in suffixes)]


def local_imports(script: Path) -> list[Path]:
    """The script and every module or package beside it that it imports, followed transitively. Only
    the script's own folder is searched: that is where `python bot.py` finds its local modules."""
    folder = script.parent
    seen: set[Path] = set()
    pending = [script]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        if path.suffix != ".py":
            continue
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError):
            continue  # the run will report it; the digest still covers the bytes
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                for candidate in (folder / f"{top}.py", folder / top):
                    if candidate.is_file():
                        pending.append(candidate)
                    elif candidate.is_dir():
                        pending.extend(_tree(candidate, (".py",)))
    return sorted(seen)


def code_digest(script: Path) -> str:
    return files_digest(local_imports(script), root=script.parent)


def session_files(session: Session) -> list[Path]:
    """The manifest, the data files it names and the recording (a file or a folder)."""
    directory = Path(session.path)
    files = [directory / MANIFEST, *read_manifest(directory).data_files.values()]
    recording = session.market.get("recording")
    if recording:
        files.extend(_tree(Path(recording)))
    return [path for path in files if path.is_file()]


def session_digest(session: Session) -> str:
    return files_digest(session_files(session), root=Path(session.path))
