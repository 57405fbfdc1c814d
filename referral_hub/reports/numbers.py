"""How every report rounds its figures (one rule for all of them)."""

from __future__ import annotations


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places (0.6667); None when ``whole`` is 0 (no denominator:
    the page shows "—", never 0 %)."""
    return round(part / whole, 4) if whole else None


def seconds(value: float | None) -> float | None:
    """A duration in seconds rounded to 0.1 s; None stays None (nothing measured)."""
    return None if value is None else round(value, 1)
