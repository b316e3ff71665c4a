"""The live web dashboard of `cmi-sim serve`: books, trades, prices and the leaderboard at `/`.

One market-wide view (`MarketView`) renders a frame when the exchange changed, at most a few times a
second, and the same bytes go to every open browser (`DashboardHub`): the API's hot path only bumps a
counter.
"""

from cmi_sim.dashboard.routes import mount_dashboard

__all__ = ["mount_dashboard"]
