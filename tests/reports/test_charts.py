"""Server-side chart geometry."""

from __future__ import annotations

import pytest

from referral_hub.reports import charts


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (22, 50), (106, 200)]
)
def test_nice_ceiling(value: int, ceiling: int) -> None:
    assert charts.nice_ceiling(value) == ceiling


def test_horizontal_bars_are_proportional_to_the_values() -> None:
    chart = charts.horizontal_bars([("生活保護担当", 22), ("収納課", 13), ("医療課", 0)])
    widths = [bar.width for bar in chart.bars]
    full = chart.width - 190 - 50  # plot width at the nice ceiling 50
    assert widths == [round(full * 22 / 50, 1), round(full * 13 / 50, 1), 0.0]
    assert [tick.value for tick in chart.ticks] == [0, 10, 20, 30, 40, 50]
    assert chart.bars[1].y > chart.bars[0].y
    assert chart.height == 8 + 3 * 28 + 24


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (5, [0, 1, 2, 3, 4, 5]),
        (10, [0, 2, 4, 6, 8, 10]),
        (20, [0, 4, 8, 12, 16, 20]),
        (200, [0, 40, 80, 120, 160, 200]),
    ],
)
def test_gridlines_are_whole_even_steps(top: int, ticks: list[int]) -> None:
    chart = charts.columns([("4月", top, False)])
    assert [tick.value for tick in chart.ticks] == ticks


def test_columns_mark_the_current_month_and_grow_upwards() -> None:
    chart = charts.columns([("4月", 9, False), ("5月", 1, True), ("6月", 0, False)])
    april, may, june = chart.bars
    assert may.current and not april.current
    assert april.height > may.height > june.height == 0
    assert april.y + april.height == may.y + may.height  # common baseline
    assert chart.baseline[1] == april.y + april.height
