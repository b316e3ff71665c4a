"""Start the backtest child under another interpreter (``--python``): ``python boot.py CONFIG.json``.

cmi-sim and its dependencies are appended to ``sys.path`` (from ``CMI_SIM_PATHS``), *after* the
interpreter's own site-packages: the bot's environment keeps its own versions of everything it has
(its ``requests``, its ``sseclient``), and only what it lacks (gevent, time-machine, cmi-sim) comes
from cmi-sim's environment. ``boot.py --probe [MODULE ...]`` checks that the runtime, and the modules
named (the environment factory's), import there.
"""

import os
import sys

if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)  # this folder's modules must not be importable as top-level names
for _path in os.environ.get("CMI_SIM_PATHS", "").split(os.pathsep):
    if _path and _path not in sys.path:
        sys.path.append(_path)

if __name__ == "__main__":
    if sys.argv[1:2] == ["--probe"]:
        import importlib

        import gevent
        import time_machine  # noqa: F401

        for _module in sys.argv[2:]:  # the environment's own dependencies
            importlib.import_module(_module)

        print(f"python {sys.version.split()[0]} gevent {gevent.__version__}")
        sys.exit(0)
    from cmi_sim.sandbox.child import main

    main(sys.argv)
