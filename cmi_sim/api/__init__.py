"""The CMI wire contract: the route table (`service`), the schema (`wire`), SSE streams and the live app."""

from cmi_sim.api.service import ROUTES, ExchangeService, Reply

__all__ = ["ROUTES", "ExchangeService", "Reply"]
