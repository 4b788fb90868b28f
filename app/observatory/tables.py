"""The observatory's tables as people read them: every cell is the text the page shows and the
CSV holds, nothing else, so that the two cannot differ. A figure under the anonymity floor and a
figure that does not exist are the same empty text.

Complementary suppression: a table may show a total for a line (a row or a column) of disjoint
cells. Subtracting the visible cells from it must not give a small number that can only be the
hidden cells (``0 < rest < floor``): then the smallest visible cell of that line is hidden too,
and the lines are checked again until none gives a small rest. Everything is computed on the
released values (never on exact counts), which are all the reader has."""

from __future__ import annotations

import csv
import io
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

EMPTY = ""  # a hidden figure and a missing one: the same text, on the page and in the CSV


@dataclass(frozen=True)
class Line:
    """Cells of one row or column whose people are disjoint, and the released total over them
    (None: no total is shown for this line)."""

    total: int | None
    keys: tuple[Hashable, ...]


def residual(values: Mapping[Hashable, int | None], line: Line) -> int | None:
    """What the line's total leaves once its visible cells are taken away."""
    if line.total is None:
        return None
    return line.total - sum(values[key] or 0 for key in line.keys if values.get(key) is not None)


def suppress(values: Mapping[Hashable, int | None], lines: Iterable[Line], floor: int) -> dict[Hashable, int | None]:
    """``values`` with the cells hidden (None) that would let a total reveal a hidden one."""
    shown = dict(values)
    lines = tuple(lines)
    changed = True
    while changed:
        changed = False
        for line in lines:
            rest = residual(shown, line)
            if rest is None or not 0 < rest < floor:
                continue
            visible = [key for key in line.keys if shown.get(key) is not None]
            # Never empty: with no visible cell the rest is the total itself, at least the floor.
            smallest = min(visible, key=lambda key: (shown[key], str(key)))
            shown[smallest] = None
            changed = True
    return shown


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[str, ...]
    emphasis: bool = False  # a totals row, set apart on the page


@dataclass(frozen=True)
class Table:
    """One table of the observatory: ``id`` names its CSV file and its place on the page."""

    id: str
    caption: str
    row_heading: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def header(self) -> tuple[str, ...]:
        return (self.row_heading, *self.columns)

    def lines(self) -> list[tuple[str, ...]]:
        """The table as the page shows it: the header, then each row."""
        return [self.header, *((row.label, *row.cells) for row in self.rows)]

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerows(self.lines())
        return out.getvalue()


def cells_of(values: Sequence[str | None]) -> tuple[str, ...]:
    return tuple(EMPTY if value is None else value for value in values)
