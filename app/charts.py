"""Bar charts people can read, drawn on the server as inline SVG (templates/charts/_chart.html).

No script and no style attribute (the CSP allows neither): the geometry is SVG presentation
attributes (x, y, width, height, fill="url(#pattern)"), the colours are CSS classes that read
the town's theme (var(--primary), var(--accent)). Each series also has its own pattern (solid,
stripes, dots) and a legend, so that colour is never the only way to tell them apart; every
chart comes with the same numbers as a table.

The chart knows nothing of people or releases: it draws the points it is given. A point without
a value (under the anonymity floor, not released yet) is drawn as a dashed stub with its short
text ("<11"), never as a 0. With fewer than two values to draw, there is no chart: the page says
so in words (an axis around a single bar says nothing a sentence would not).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from flask_babel import format_number
from flask_babel import gettext as _

WIDTH = 320.0  # the viewBox's width: the SVG scales to its box (width 100%), text with it
PLOT_HEIGHT = 150.0
TOP = 28.0  # room for the value axis' label and the values written above the bars
RIGHT = 8.0
TICK_FONT = 11.0
LABEL_FONT = 11.0
VALUE_FONT = 10.0
SMALL_LABEL_FONT = 10.0  # for category names that would not fit otherwise (before thinning them)
CHAR_WIDTH = 0.55  # a character's average width, in ems (system-ui), to decide what fits
LINE_HEIGHT = 13.0
MAX_BAR_WIDTH = 44.0
PATTERNS = 3  # solid, stripes, dots; a fourth series starts over with another colour


@dataclass(frozen=True)
class Point:
    """One figure: ``value`` is what may be drawn (None: nothing to draw, e.g. under the floor);
    ``shown`` is what people read, in the table ("fewer than 11"); ``short`` what fits over a
    bar ("<11")."""

    value: int | None
    shown: str
    short: str = ""

    @property
    def mark(self) -> str:
        return self.short or self.shown


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int  # its index: the CSS class and the pattern
    title: str  # "category · series: shown"
    label: str  # written above the bar when it fits, else ""
    label_x: float
    label_y: float
    drawn: bool  # False: a stub for a point without a value


@dataclass(frozen=True)
class CategoryLabel:
    x: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    category: str
    cells: tuple[str, ...]


@dataclass(frozen=True)
class BarChart:
    id: str  # unique in the page: the patterns' and the heading's ids
    title: str
    category_heading: str  # the table's first column
    value_label: str  # the value axis' label ("messages")
    series: tuple[Series, ...]
    rows: tuple[Row, ...]
    drawable: int  # how many points have a value
    words: str  # when there is no chart: why, in a sentence
    summary: str  # the SVG's aria-label
    width: float = WIDTH
    height: float = 0.0
    left: float = 0.0
    baseline: float = TOP + PLOT_HEIGHT
    ticks: tuple[Tick, ...] = ()
    bars: tuple[Bar, ...] = ()
    categories: tuple[CategoryLabel, ...] = ()
    label_y: float = 0.0
    small_labels: bool = False
    patterns: tuple[int, ...] = field(default_factory=tuple)

    @property
    def drawn(self) -> bool:
        return self.drawable >= 2

    @property
    def right(self) -> float:
        return self.width - RIGHT

    def pattern_id(self, series: int) -> str:
        return f"{self.id}-pattern-{series}"


def nice_ticks(top: int, most: int = 5) -> list[int]:
    """Ticks from 0 to at least ``top``, a round step apart (1, 2 or 5 times a power of ten),
    at most ``most`` of them after 0; integers only (counts of people have no halves)."""
    if top <= 0:
        return [0, 1]
    rough = top / most
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    step = max(1, int(step))
    count = math.ceil(top / step)
    return [i * step for i in range(count + 1)]


def _fits(text: str, width: float, font: float) -> bool:
    return len(text) * font * CHAR_WIDTH <= width


def _wrap(label: str, width: float, font: float, most: int = 3) -> tuple[str, ...]:
    """The label on at most ``most`` lines of ``width``; words are never cut (the table has them)."""
    words = label.split()
    if not words or _fits(label, width, font):
        return (label,)
    lines: list[str] = []
    for word in words:
        if lines and (len(lines) == most or _fits(f"{lines[-1]} {word}", width, font)):
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return tuple(lines)


def _category_labels(categories: Sequence[str], group: float) -> tuple[tuple[tuple[str, ...], ...], float, int]:
    """Each category's lines, the font, and the stride (1: every category named): wrapped at the
    normal size, else wrapped a size smaller, else every n-th name on one line."""
    for font in (LABEL_FONT, SMALL_LABEL_FONT):
        wrapped = tuple(_wrap(c, group - 2, font) for c in categories)
        if all(_fits(line, group - 2, font) for lines in wrapped for line in lines):
            return wrapped, font, 1
    widest = max(len(c) for c in categories) * LABEL_FONT * CHAR_WIDTH
    return tuple((c,) for c in categories), LABEL_FONT, math.ceil((widest + 6) / group)


def _summary(title: str, categories: Sequence[str], series: Sequence[Series], drawable: int) -> str:
    best: tuple[int, str, str] | None = None
    for s in series:
        for category, point in zip(categories, s.points, strict=True):
            if point.value is not None and (best is None or point.value > best[0]):
                best = (point.value, category, s.label)
    hidden = sum(1 for s in series for p in s.points if p.value is None)
    if best is None:
        return _("%(title)s: no figure to draw.", title=title)
    value, category, label = best
    where = f"{category} · {label}" if len(series) > 1 else category
    text = _("%(title)s: bar chart; the highest is %(where)s, %(value)s.", title=title, where=where,
             value=format_number(value))
    if hidden:
        text += " " + _("%(count)s figures are not drawn (under the anonymity floor or not available).",
                        count=format_number(hidden))
    return text


def _words(categories: Sequence[str], series: Sequence[Series], drawable: int) -> str:
    if drawable >= 2:
        return ""
    if drawable == 0:
        return _("Nothing to chart yet: no figure is above the anonymity floor or available.")
    [(category, label, shown)] = [
        (category, s.label, p.shown)
        for s in series for category, p in zip(categories, s.points, strict=True) if p.value is not None
    ]
    where = f"{category} · {label}" if len(series) > 1 else category
    return _("Only one figure so far, too few for a chart: %(where)s, %(shown)s.", where=where, shown=shown)


def bar_chart(chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series], *,
              category_heading: str, value_label: str) -> BarChart:
    """A column chart: one group of bars per category, one bar per series in each group."""
    series = tuple(series)
    categories = tuple(categories)
    assert series and all(len(s.points) == len(categories) for s in series)
    rows = tuple(Row(c, tuple(s.points[i].shown for s in series)) for i, c in enumerate(categories))
    drawable = sum(1 for s in series for p in s.points if p.value is not None)
    base = BarChart(
        id=chart_id, title=title, category_heading=category_heading, value_label=value_label,
        series=series, rows=rows, drawable=drawable, words=_words(categories, series, drawable),
        summary=_summary(title, categories, series, drawable),
        patterns=tuple(range(min(len(series), PATTERNS))),
    )
    if not base.drawn:
        return base

    top = max(p.value or 0 for s in series for p in s.points)
    tick_values = nice_ticks(top)
    tick_labels = [format_number(v) for v in tick_values]
    left = max(24.0, max(len(t) for t in tick_labels) * TICK_FONT * CHAR_WIDTH + 10)
    plot_width = WIDTH - left - RIGHT
    baseline = TOP + PLOT_HEIGHT
    scale = PLOT_HEIGHT / tick_values[-1]
    ticks = tuple(Tick(baseline - v * scale, label) for v, label in zip(tick_values, tick_labels, strict=True))

    group = plot_width / len(categories)
    gap = max(4.0, group * 0.25)
    bar_width = min(MAX_BAR_WIDTH, (group - gap) / len(series))
    bars = []
    for i, category in enumerate(categories):
        start = left + i * group + (group - bar_width * len(series)) / 2
        for k, s in enumerate(series):
            point = s.points[i]
            x = start + k * bar_width
            name = f"{category} · {s.label}" if len(series) > 1 else category
            title_text = f"{name}: {point.shown}"
            if point.value is None:
                height, drawn = 4.0, False
            else:
                height, drawn = point.value * scale, True
            label = point.mark if drawn is False else format_number(point.value)
            bars.append(Bar(
                x=round(x + 1, 2), y=round(baseline - height, 2), width=round(max(bar_width - 2, 1), 2),
                height=round(height, 2), series=k, title=title_text,
                label=label if _fits(label, bar_width + 2, VALUE_FONT) else "",
                label_x=round(x + bar_width / 2, 2), label_y=round(baseline - height - 3, 2), drawn=drawn,
            ))

    # Category labels: on two lines at most; every n-th one when they would run into each other.
    wrapped, font, stride = _category_labels(categories, group)
    labels = tuple(
        CategoryLabel(round(left + i * group + group / 2, 2), wrapped[i])
        for i in range(0, len(categories), stride)
    )
    lines = max(len(label.lines) for label in labels)
    height = baseline + 6 + lines * LINE_HEIGHT
    return replace(base, height=round(height, 2), left=round(left, 2), baseline=baseline, ticks=ticks,
                   bars=tuple(bars), categories=labels, label_y=baseline + LINE_HEIGHT + 2,
                   small_labels=font < LABEL_FONT)
