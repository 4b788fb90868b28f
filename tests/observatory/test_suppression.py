"""Complementary suppression: no shown total, minus the cells shown in its line, leaves a small
number that could only be the hidden cells."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.observatory.tables import Line, residual, suppress
from app.releases.engine import shown_value

FLOOR = 11


@st.composite
def released_tables(draw):  # type: ignore[no-untyped-def]
    """A table of exact counts (small ones often: those are the cases that matter), released as
    the engine releases them (floor, then rounding to 10), with the row and column totals
    released the same way, each with its own noise."""
    rows, columns = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    exact = {(r, c): draw(st.integers(0, 40)) for r in range(rows) for c in range(columns)}
    noise = st.integers(-6, 6)

    def released(count: int) -> int | None:
        return shown_value(count + draw(noise), FLOOR)

    cells = {key: released(n) for key, n in exact.items()}
    row_totals = [released(sum(exact[(r, c)] for c in range(columns))) for r in range(rows)]
    column_totals = [released(sum(exact[(r, c)] for r in range(rows))) for c in range(columns)]
    lines = [Line(row_totals[r], tuple((r, c) for c in range(columns))) for r in range(rows)]
    lines += [Line(column_totals[c], tuple((r, c) for r in range(rows))) for c in range(columns)]
    return cells, lines


@settings(max_examples=400, deadline=None, derandomize=True)
@given(released_tables())
def test_no_total_leaves_a_small_rest(table):  # type: ignore[no-untyped-def]
    cells, lines = table
    shown = suppress(cells, lines, FLOOR)
    for line in lines:
        rest = residual(shown, line)
        assert rest is None or rest <= 0 or rest >= FLOOR
    # Only hiding: a figure shown is the released one, a hidden one stays hidden.
    for key, value in shown.items():
        assert value is None or value == cells[key]
        assert cells[key] is not None or value is None


def test_the_smallest_visible_cell_is_hidden_with_the_small_group():
    # 20 residents and 30 second-home owners shown, tourists hidden, 60 in all: 60 - 50 = 10.
    cells = {"resident": 20, "second_home": 30, "tourist": None}
    shown = suppress(cells, [Line(60, tuple(cells))], FLOOR)
    assert shown == {"resident": None, "second_home": 30, "tourist": None}
    assert residual(shown, Line(60, tuple(cells))) == 30


def test_a_total_that_adds_up_hides_nothing():
    cells = {"resident": 20, "tourist": None}
    assert suppress(cells, [Line(20, tuple(cells))], FLOOR) == cells
    assert suppress(cells, [Line(None, tuple(cells))], FLOOR) == cells
