"""Says on stderr what it was given (argv, one environment variable, or entry keywords), then stops.

A sweep keeps each run's stderr, so a test reads back how the values reached an unmodified bot.
"""

import json
import os
import sys


class EchoBot:
    def __init__(self, url: str, username: str, password: str) -> None:
        self.username = username

    def run(self, **keywords) -> None:
        sys.stderr.write(json.dumps({"entry": keywords}) + "\n")


if __name__ == "__main__":
    if "--fail" in sys.argv:
        sys.stderr.write("refusing --fail\n")
        sys.exit(2)
    sys.stderr.write(json.dumps({"argv": sys.argv[1:], "env": os.environ.get("ECHO_WIDTH"),
                                 "cwd_empty": not os.listdir(".")}) + "\n")
