"""Live sessions: a session run on a scaled wall clock beside `serve` (its market, settlement, the data
APIs and its clock over HTTP), and `cmi-sim run`, which runs an unmodified bot in the backtest sandbox
with its clocks following a running server's session clock."""
