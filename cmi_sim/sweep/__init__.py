"""`cmi-sim sweep`: many backtests of one bot over a parameter space, seeds and sessions, in parallel on a
local process pool or on Ray; results in a directory (results.parquet, ranking, plots), resumable.

    from cmi_sim.sweep import SweepSpec, parse_params, run_sweep
    outcome = run_sweep(SweepSpec(bot=Path("bots/quoter.py"), out=Path("sweeps/a"),
                                  params=parse_params(["width=3,6"]), seeds=(1, 2), sessions=("synthetic",)))
"""

from cmi_sim.sweep.delivery import Delivery
from cmi_sim.sweep.space import SpaceError, parse_params, parse_seeds
from cmi_sim.sweep.sweep import SweepError, SweepOutcome, SweepSpec, run_sweep

__all__ = ["Delivery", "SpaceError", "SweepError", "SweepOutcome", "SweepSpec", "parse_params", "parse_seeds",
           "run_sweep"]
