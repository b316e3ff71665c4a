"""The one compiled module; everything else about the package is in pyproject.toml.

The engine's hot path in C (see cmi_sim/engine/matching.py). It is optional: without a C compiler the
install goes on and the engine runs its Python reference instead.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("cmi_sim.engine._cmatching", ["cmi_sim/engine/_cmatching.c"], optional=True)])
