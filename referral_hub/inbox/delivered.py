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


class SentSeqs:
    """Every seq this socket has transmitted, as sorted, disjoint ``[low, high]`` ranges.

    Unlike :class:`DeliveredSeqs` it knows nothing it did not send itself: a ``catch_up`` into
    the client's history (below the hello's ``last_seq``) sends those events once and, asked
    again, not a second time. Events go out mostly in order, so a socket keeps a handful of
    ranges however long it stays open."""

    def __init__(self) -> None:
        self.ranges: list[list[int]] = []

    def __contains__(self, seq: int) -> bool:
        return any(low <= seq <= high for low, high in self.ranges)

    def add(self, seq: int) -> None:
        if seq in self:
            return
        self.ranges.append([seq, seq])
        self.ranges.sort()
        merged = [self.ranges[0]]
        for low, high in self.ranges[1:]:
            if low <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], high)
            else:
                merged.append([low, high])
        self.ranges = merged
