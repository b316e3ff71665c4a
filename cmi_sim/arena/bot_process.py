"""Entry point of one bot process of the arena: ``python -m cmi_sim.arena.bot_process CONFIG.json FD``.

The process is a backtest child (the same sandbox: virtual loop, clocks, entropy, network guard,
watchdog) whose loop is gated by the coordinator (:class:`~cmi_sim.arena.loop.ArenaLoop`) and whose
world is a proxy of the coordinator's (:mod:`cmi_sim.arena.bot_side`). ``FD`` is this end of the
socketpair to the coordinator. Exit codes as the backtest child's.
"""

from __future__ import annotations

import os
import sys

from cmi_sim.sandbox.child import exit_with_runtime_error


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        sys.stderr.write("usage: python -m cmi_sim.arena.bot_process CONFIG.json FD\n")
        os._exit(2)
    from cmi_sim.sandbox.config import RunConfig

    from cmi_sim.sandbox.netns import isolate

    config = RunConfig.load(argv[1])
    fd = int(argv[2])
    network = isolate(config.isolate_network)  # before any of the bot's code: only the socketpair leads out
    try:
        from cmi_sim.arena.bot_side import CoordinatorGone
        from cmi_sim.arena.loop import ArenaLoop
        from cmi_sim.sandbox.runtime import EXIT_RUNTIME_ERROR, VirtualRuntime

        class ArenaRuntime(VirtualRuntime):
            loop_class = ArenaLoop
            sweep_skip = (*VirtualRuntime.sweep_skip, "cmi_sim.arena")  # the bot side keeps real clocks

            def setup(self) -> None:
                super().setup()
                from cmi_sim.arena.bot_side import BotChannel

                self.channel = BotChannel(fd, self)
                self.loop.gate = self._gate

            def _gate(self, next_due: int | None) -> None:
                try:
                    self.channel.gate(next_due)
                except CoordinatorGone:
                    self.finish(EXIT_RUNTIME_ERROR, note="the coordinator closed the channel")

        runtime = ArenaRuntime(config)
        runtime.network = network
        runtime.setup()
        runtime.build_environment()
        runtime.run()
    except BaseException:  # noqa: BLE001 - report set-up failures in the result file
        exit_with_runtime_error(config.result_path)


if __name__ == "__main__":
    main(sys.argv)
