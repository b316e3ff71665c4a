"""Market sources besides the bot: seeded synthetic participants, and the driver that runs them live."""

from cmi_sim.market.fair_value import FairValuePath
from cmi_sim.market.params import MarketParams
from cmi_sim.market.synthetic import SyntheticMarket

__all__ = ["FairValuePath", "MarketParams", "SyntheticMarket"]
