"""Deterministic entropy for a backtest: every source of randomness a bot can reach is seeded.

- ``random``: the global generator is seeded, and ``Random.seed(None)`` (what ``random.Random()``
  and ``random.seed()`` do) draws its seed from the run's stream instead of the OS.
- ``os.urandom``: a seeded byte stream. Through the module-global sweep this also covers
  ``random._urandom`` (``SystemRandom``, ``secrets``), and ``uuid.uuid4`` calls ``os.urandom``.
- numpy: ``numpy.random`` is seeded (legacy global state) when the bot imports it, via an import
  hook; ``default_rng()`` without a seed draws from ``secrets``, hence from the stream above.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import random
import sys
from types import ModuleType
from typing import Any, Sequence

__all__ = ["install_entropy"]

# Distinct streams derived from the one seed, so the bot's own random.seed() cannot replay urandom.
_URANDOM_SALT = 0x5EED_0001
_RANDOM_SALT = 0x5EED_0002


def install_entropy(seed: int) -> dict[int, tuple[Any, Any]]:
    """Seed everything; return the swaps (original -> replacement) for the module-global sweep."""
    urandom_stream = random.Random(seed ^ _URANDOM_SALT)
    seed_stream = random.Random(seed ^ _RANDOM_SALT)
    real_urandom = os.urandom

    def urandom(size: int, /) -> bytes:
        if size < 0:
            raise ValueError("negative argument not allowed")
        return urandom_stream.randbytes(size)

    os.urandom = urandom

    original_seed = random.Random.seed

    def seed_method(self: random.Random, a: Any = None, version: int = 2) -> None:
        if a is None:
            a = seed_stream.getrandbits(128)
        original_seed(self, a, version)

    random.Random.seed = seed_method  # type: ignore[method-assign]
    random.seed(seed)
    _install_numpy_hook(seed)
    return {id(real_urandom): (real_urandom, urandom)}


def _seed_numpy(module: ModuleType, seed: int) -> None:
    module.seed(seed % 2**32)  # numpy.random.seed: the legacy global RandomState


class _SeedAfterImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``numpy.random`` with the normal finders, then seeds it right after it executes."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._loader: Any = None

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None) -> Any:
        if fullname != "numpy.random":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        self._loader = spec.loader
        spec.loader = self
        return spec

    def create_module(self, spec: Any) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _seed_numpy(module, self.seed)


def _install_numpy_hook(seed: int) -> None:
    already = sys.modules.get("numpy.random")
    if already is not None:
        _seed_numpy(already, seed)
        return
    sys.meta_path.insert(0, _SeedAfterImport(seed))
