"""The compiled modules; everything else about the package is in pyproject.toml.

The engine's hot path (see cmi_sim/engine/matching.py) and the SSE book renderer's per-level loop (see
cmi_sim/api/wire.py) in C. Both are optional: without a C compiler the install goes on and each runs
its Python reference instead.
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("cmi_sim.engine._cmatching", ["cmi_sim/engine/_cmatching.c"], optional=True),
    Extension("cmi_sim.api._csse", ["cmi_sim/api/_csse.c"], optional=True),
])
