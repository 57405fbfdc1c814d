"""Server-side SVG chart geometry: the template draws what these functions place. No script,
no CDN; each chart is accompanied by a table with the same figures."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float
    current: bool = False


@dataclass(frozen=True)
class Tick:
    value: int
    x1: float
    y1: float
    x2: float
    y2: float
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    baseline: tuple[float, float, float, float]


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that is at least ``value``."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _ticks(top: int) -> list[int]:
    """Gridline values from 0 to ``top`` (a nice number) in whole, evenly spaced steps."""
    for divisions in (5, 4, 2, 1):
        if top % divisions == 0:
            return list(range(0, top + 1, top // divisions))
    return [0, top]


def horizontal_bars(
    items: list[tuple[str, int]],
    *,
    width: int = 720,
    bar_height: int = 20,
    gap: int = 8,
    label_width: int = 190,
    value_width: int = 50,
) -> Chart:
    """One horizontal bar per item (long Japanese labels read best on the left)."""
    top_margin, bottom_margin = 8, 24
    plot_left = label_width
    plot_width = width - label_width - value_width
    top = nice_ceiling(max([value for _, value in items] + [1]))
    height = top_margin + len(items) * (bar_height + gap) + bottom_margin
    plot_bottom = height - bottom_margin
    bars = []
    for index, (label, value) in enumerate(items):
        y = top_margin + index * (bar_height + gap)
        length = plot_width * value / top
        bars.append(
            Bar(
                label=label,
                value=value,
                x=plot_left,
                y=y,
                width=round(length, 1),
                height=bar_height,
                label_x=plot_left - 8,
                label_y=y + bar_height * 0.72,
                value_x=round(plot_left + length + 6, 1),
                value_y=y + bar_height * 0.72,
            )
        )
    ticks = []
    for value in _ticks(top):
        x = round(plot_left + plot_width * value / top, 1)
        ticks.append(Tick(value, x, top_margin, x, plot_bottom, x, plot_bottom + 16))
    return Chart(width, height, bars, ticks, (plot_left, top_margin, plot_left, plot_bottom))


def columns(
    items: list[tuple[str, int, bool]],
    *,
    width: int = 720,
    height: int = 260,
) -> Chart:
    """One column per item (label, value, highlighted), e.g. the months of a fiscal year."""
    left, right, top_margin, bottom_margin = 48, 8, 20, 28
    plot_width = width - left - right
    plot_bottom = height - bottom_margin
    plot_height = plot_bottom - top_margin
    top = nice_ceiling(max([value for _, value, _ in items] + [1]))
    slot = plot_width / max(len(items), 1)
    bar_width = slot * 0.6
    bars = []
    for index, (label, value, current) in enumerate(items):
        length = plot_height * value / top
        x = left + index * slot + (slot - bar_width) / 2
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(x, 1),
                y=round(plot_bottom - length, 1),
                width=round(bar_width, 1),
                height=round(length, 1),
                label_x=round(x + bar_width / 2, 1),
                label_y=plot_bottom + 18,
                value_x=round(x + bar_width / 2, 1),
                value_y=round(plot_bottom - length - 5, 1),
                current=current,
            )
        )
    ticks = []
    for value in _ticks(top):
        y = round(plot_bottom - plot_height * value / top, 1)
        ticks.append(Tick(value, left, y, width - right, y, left - 6, y + 4))
    return Chart(width, height, bars, ticks, (left, plot_bottom, width - right, plot_bottom))
