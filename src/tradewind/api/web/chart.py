"""The overview's chart: records written and failed per day, as bars in an SVG the page draws
inline (computed here, rendered by the template; no script, no library)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from tradewind.store.overview import Day

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 700, 180, 16, 24, 40


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    height: float
    value: int


@dataclass(frozen=True)
class Column:
    day: date
    label: str
    written: Bar
    failed: Bar
    skipped: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    columns: list[Column]
    peak: int
    bar_width: float
    baseline: float

    @property
    def empty(self) -> bool:
        return self.peak == 0


def daily_chart(days: Sequence[Day], last: date, count: int = 14) -> Chart:
    """``count`` days ending at ``last``, each with a written and a failed bar on one scale."""
    by_day = {d.day: d for d in days}
    span = [last - timedelta(days=count - 1 - n) for n in range(count)]
    peak = max([max(by_day[d].written, by_day[d].failed) for d in span if d in by_day] or [0])
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / count
    bar = slot * 0.38
    baseline = float(HEIGHT - BOTTOM)

    def bar_at(x: float, value: int) -> Bar:
        h = plot * value / peak if peak else 0.0
        return Bar(x=round(x, 1), y=round(baseline - h, 1), height=round(h, 1), value=value)

    columns = []
    for n, d in enumerate(span):
        found = by_day.get(d, Day(day=d, written=0, skipped=0, failed=0))
        x = LEFT + n * slot + slot * 0.1
        columns.append(Column(day=d, label=f"{d:%d %b}", written=bar_at(x, found.written),
                              failed=bar_at(x + bar, found.failed), skipped=found.skipped))
    return Chart(width=WIDTH, height=HEIGHT, columns=columns, peak=peak, bar_width=round(bar, 1), baseline=baseline)
