"""The agents' wake-up calendar: a heap of (wake time, rank), so agents due at the same nanosecond act in a
fixed order (their rank) and a run is reproducible."""

from __future__ import annotations

from heapq import heappop, heappush

from cmi_sim.market.context import Agent


class Schedule:
    def __init__(self, agents: list[Agent], first_wakes: list[int]) -> None:
        self.agents = agents
        self._heap = [(wake, rank) for rank, wake in enumerate(first_wakes)]
        self._heap.sort()

    def next_wake(self) -> int:
        return self._heap[0][0]

    def run_due(self, now_ns: int) -> int:
        """Let every agent due at or before `now_ns` act once, at `now_ns`; returns the next wake time.
        Agents that overslept act once, not once per missed wake. O(k log n) for k agents due."""
        heap, agents = self._heap, self.agents
        while heap[0][0] <= now_ns:
            _, rank = heappop(heap)
            wake = agents[rank].act(now_ns)
            heappush(heap, (wake if wake > now_ns else now_ns + 1, rank))
        return heap[0][0]
