"""Percentiles: PostgreSQL's PERCENTILE_CONT and the portable window-function fallback agree
with the textbook definition (linear interpolation at position p * (n - 1))."""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import connection
from django.db.models import F, Min, Q

from referral_hub.handoffs.models import ConnectSheet
from referral_hub.reports.expressions import PercentileCont, SecondsBetween
from referral_hub.reports.percentiles import interpolate, window_percentiles
from tests.reports.conftest import jst


def reference(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def test_interpolate_between_neighbours() -> None:
    values = {0: 10.0, 1: 20.0, 2: 40.0, 3: 80.0}
    assert interpolate(values, 4, 0.5) == 30.0  # position 1.5
    assert interpolate(values, 4, 0.9) == pytest.approx(68.0)  # position 2.7
    assert interpolate(values, 4, 1.0) == 80.0
    assert interpolate({0: 7.0}, 1, 0.9) == 7.0
    assert interpolate({}, 0, 0.5) is None


def test_fraction_must_be_between_0_and_1() -> None:
    with pytest.raises(ValueError):
        PercentileCont("x", 1.5)


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 2, 3, 10, 37])
def test_window_fallback_matches_the_definition_and_percentile_cont(
    make_sheet, place, count: int
) -> None:
    rng = random.Random(count)
    seconds = [rng.randrange(60, 400_000) for _ in range(count)]
    for index, delay in enumerate(seconds):
        sent = jst(2026, 6, 1 + index % 28, 9, 0)
        acknowledged = sent + datetime.timedelta(seconds=delay)
        make_sheet(sent, department=place.shuno, events=[("acknowledged", acknowledged)])
    make_sheet(jst(2026, 6, 2, 9, 0), department=place.shuno)  # never acknowledged: ignored
    rows = ConnectSheet.objects.values("pk").annotate(
        ack=SecondsBetween(Min("events__at", filter=Q(events__kind="acknowledged")), F("sent_at"))
    )
    fallback = window_percentiles(rows, "ack", (0.5, 0.9))
    for fraction in (0.5, 0.9):
        assert fallback[fraction] == pytest.approx(reference(seconds, fraction), abs=0.01)
    if connection.vendor == "postgresql":
        native = rows.aggregate(p50=PercentileCont("ack", 0.5), p90=PercentileCont("ack", 0.9))
        assert native["p50"] == pytest.approx(fallback[0.5], abs=0.01)
        assert native["p90"] == pytest.approx(fallback[0.9], abs=0.01)
