"""The chart builder (app/charts.py): round scales, bars that match their values, honest gaps,
words instead of an empty chart, and a table holding exactly the figures drawn."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from babel.numbers import format_decimal
from flask import Flask
from flask_babel import Babel, refresh

from app.charts import RIGHT, WIDTH, Point, Series, bar_chart, nice_ticks

LOCALE = {"value": "en"}


@pytest.fixture(autouse=True)
def babel_request() -> Iterator[None]:
    """Only flask-babel's formatting is needed: a bare app, no database."""
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: LOCALE["value"])
    LOCALE["value"] = "en"
    with app.test_request_context():
        yield


def p(value: int | None, shown: str | None = None) -> Point:
    if value is None:
        return Point(None, shown or "fewer than 11", "<11")
    return Point(value, shown or str(value))


def chart(categories: list[str], *series: tuple[str, list[Point]]):  # type: ignore[no-untyped-def]
    return bar_chart("test-chart", "Messages per channel", categories,
                     [Series(label, tuple(points)) for label, points in series],
                     category_heading="Channel", value_label="Messages")


@pytest.mark.parametrize(("top", "ticks"), [
    (0, [0, 1]), (3, [0, 1, 2, 3]), (11, [0, 5, 10, 15]), (30, [0, 10, 20, 30]),
    (1230, [0, 500, 1000, 1500]), (20000, [0, 5000, 10000, 15000, 20000]),
])
def test_scales_step_by_round_numbers(top: int, ticks: list[int]) -> None:
    assert nice_ticks(top) == ticks


def test_every_scale_covers_its_top_in_at_most_five_equal_round_steps() -> None:
    for top in range(1, 30001, 7):
        ticks = nice_ticks(top)
        step = ticks[1]
        assert ticks[0] == 0 and ticks[-1] >= top > ticks[-2]
        assert len(ticks) <= 6
        assert all(b - a == step for a, b in zip(ticks, ticks[1:], strict=False))
        assert str(step).strip("0") in ("1", "2", "5")


def test_bars_are_as_tall_as_their_values_on_the_scale() -> None:
    c = chart(["Push", "E-mail"], ("Delivered", [p(120), p(40)]), ("Opened", [p(30), p(None)]))
    assert c.drawn and not c.words
    assert [t.label for t in c.ticks] == ["0", "50", "100", "150"]
    zero, top = c.ticks[0].y, c.ticks[-1].y
    assert zero == c.baseline
    per_unit = (zero - top) / 150
    drawn = [b for b in c.bars if b.drawn]
    assert [round(b.height / per_unit) for b in drawn] == [120, 30, 40]
    assert all(b.y + b.height == pytest.approx(c.baseline) for b in c.bars)
    # everything inside the viewBox, grouped per category, series in order
    assert all(c.left <= b.x and b.x + b.width <= WIDTH - RIGHT for b in c.bars)
    assert [b.series for b in c.bars] == [0, 1, 0, 1]
    assert c.bars[0].x < c.bars[1].x < c.bars[2].x < c.bars[3].x
    assert [b.label for b in c.bars] == ["120", "30", "40", "<11"]


def test_a_figure_under_the_floor_is_a_dashed_stub_never_a_zero() -> None:
    c = chart(["Push", "SMS"], ("Delivered", [p(60), p(None)]), ("Opened", [p(20), p(None)]))
    hidden = [b for b in c.bars if not b.drawn]
    assert len(hidden) == 2 and all(b.height == 4.0 for b in hidden)
    assert hidden[0].title == "SMS · Delivered: fewer than 11"
    assert "2 figures are not drawn" in c.summary
    assert "fewer than 11" in [cell for row in c.rows for cell in row.cells]
    assert "0" not in [cell for row in c.rows for cell in row.cells]


def test_no_figure_says_so_in_words_instead_of_an_empty_chart() -> None:
    c = chart(["Push", "E-mail"], ("Delivered", [p(None), p(None)]))
    assert not c.drawn and not c.bars and not c.ticks
    assert c.words.startswith("Nothing to chart yet")
    assert [(r.category, r.cells) for r in c.rows] == [("Push", ("fewer than 11",)), ("E-mail", ("fewer than 11",))]


def test_a_single_figure_is_a_sentence_not_a_lone_bar() -> None:
    c = chart(["In-app inbox"], ("Delivered", [p(30)]), ("Opened", [p(None)]), ("Clicked", [p(None)]))
    assert not c.drawn and not c.bars
    assert c.words == "Only one figure so far, too few for a chart: In-app inbox · Delivered, 30."


def test_the_table_holds_exactly_the_figures_of_the_chart() -> None:
    delivered = [p(340), p(120), p(None), p(20)]
    opened = [p(200), p(None, "not yet"), p(None), p(20)]
    c = chart(["Push", "E-mail", "SMS", "In-app inbox"], ("Delivered", delivered), ("Opened", opened))
    assert [r.category for r in c.rows] == ["Push", "E-mail", "SMS", "In-app inbox"]
    assert [r.cells for r in c.rows] == [(d.shown, o.shown) for d, o in zip(delivered, opened, strict=True)]
    assert [b.title.rsplit(": ", 1)[1] for b in c.bars] == [
        x.shown for pair in zip(delivered, opened, strict=True) for x in pair]


def test_one_series_alone_has_wide_bars_and_no_legend_patterns_beyond_it() -> None:
    c = chart(["A", "B"], ("Delivered", [p(10), p(20)]))
    assert all(b.width <= 44 for b in c.bars)
    assert c.patterns == (0,)
    assert "bar chart; the highest is B, 20" in c.summary


def test_long_category_names_wrap_and_crowded_ones_thin_out() -> None:
    c = chart(["Web push notification", "E-mail", "SMS", "In-app inbox"],
              ("Delivered", [p(10)] * 4), ("Opened", [p(10)] * 4), ("Clicked", [p(10)] * 4))
    assert len(c.categories) == 4  # every channel named
    assert c.categories[0].lines == ("Web push", "notification") and c.categories[1].lines == ("E-mail",)
    weeks = chart([f"{d} Nov" for d in range(1, 13)], ("Delivered", [p(10 * (i + 1)) for i in range(12)]))
    assert [label.lines for label in weeks.categories][:2] == [("1", "Nov"), ("2", "Nov")]  # day over month
    crowded = chart([f"Neighbourhood{i}" for i in range(12)], ("Delivered", [p(10 * (i + 1)) for i in range(12)]))
    shown = [label.lines for label in crowded.categories]
    assert 2 <= len(shown) < 12 and shown[0] == ("Neighbourhood0",)
    xs = [label.x for label in crowded.categories]
    assert all(b - a >= 14 * 11 * 0.55 for a, b in zip(xs, xs[1:], strict=False))  # no overlap


def test_ticks_are_written_in_the_readers_language() -> None:
    LOCALE["value"] = "fr"
    refresh()  # flask-babel keeps the request's locale once read
    c = chart(["A", "B"], ("Delivered", [p(12000), p(3000)]))
    assert c.ticks[-1].label == format_decimal(15000, locale="fr")
    assert c.ticks[-1].label != "15000" and c.ticks[-1].label != "15,000"
