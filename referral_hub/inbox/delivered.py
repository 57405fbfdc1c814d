"""Which seqs one socket has already sent, so no event goes out twice on it."""

from __future__ import annotations


class DeliveredSeqs:
    """Everything up to ``floor``, plus the few seqs above it that arrived out of order.

    The floor starts at the ``last_seq`` announced in the socket's hello frame: older events
    are the client's history, which it fetches with ``catch_up`` if it wants them.
    """

    def __init__(self, floor: int) -> None:
        self.floor = floor
        self.above: set[int] = set()

    def __contains__(self, seq: int) -> bool:
        return seq <= self.floor or seq in self.above

    def add(self, seq: int) -> None:
        if seq <= self.floor:
            return
        self.above.add(seq)
        while self.floor + 1 in self.above:
            self.floor += 1
            self.above.remove(self.floor)
