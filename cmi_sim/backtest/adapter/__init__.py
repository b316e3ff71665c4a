"""The CMI adapter: the in-process CMI exchange as a sandbox environment.

:mod:`exchange_environment` is the factory a backtest child's :class:`~cmi_sim.sandbox.RunConfig`
names: it loads the session, runs the market beside the bot and answers the bot's requests with the
exchange's API; :mod:`run_sink` writes the run's event files, :mod:`trading_record` checks and
summarises each account's trading. It imports the sandbox and the exchange, never the run model
(`cmi_sim.backtest`'s spec, plan, launch, result, reports): tests/unit/test_import_direction.py.
"""
