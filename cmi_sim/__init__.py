"""cmi-sim: the CMI Exchange on your own machine, and a deterministic backtester for unmodified bots."""

__version__ = "0.3.0"
