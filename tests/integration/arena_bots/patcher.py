"""A bot that vandalises its own interpreter: clocks, requests, json, os._exit, module globals. It never
trades, so an arena with it must give another bot exactly the events it gets alone."""
import builtins
import json
import os
import random
import sys
import time

import requests

time.time = lambda: 0.0
time.monotonic = lambda: 0.0
json.dumps = lambda *a, **k: "garbage"
json.loads = lambda *a, **k: {"garbage": True}
requests.adapters.HTTPAdapter.send = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("vandalised"))
os._exit = lambda code=0: None
random.seed(12345)
builtins.print = lambda *a, **k: None
sys.modules["bot_template"] = None
time.sleep(4 * 3600)  # stays in the session doing nothing more
