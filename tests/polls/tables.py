"""The figures of a results page as a reader sees them: each table's caption, header and rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Table:
    caption: str = ""
    classes: str = ""
    rows: list[list[str]] = field(default_factory=list)
    raw_cells: list[list[str]] = field(default_factory=list)  # each cell's markup, as sent


class _Tables(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.tables: list[Table] = []
        self.table: Table | None = None
        self.cell: list[str] | None = None
        self.in_caption = False
        self.cell_start = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.table = Table(classes=dict(attrs).get("class") or "")
        elif self.table is not None and tag == "tr":
            self.table.rows.append([])
            self.table.raw_cells.append([])
        elif self.table is not None and tag in ("td", "th"):
            self.cell = []
            self.cell_start = len(self.get_starttag_text() or "")
            self.raw_start = self._offset()
        elif self.table is not None and tag == "caption":
            self.in_caption = True

    def _offset(self) -> int:
        line, column = self.getpos()
        lines = self.source.splitlines(keepends=True)
        return sum(len(text) for text in lines[: line - 1]) + column

    def handle_endtag(self, tag: str) -> None:
        if self.table is None:
            return
        if tag in ("td", "th") and self.cell is not None:
            self.table.rows[-1].append(" ".join("".join(self.cell).split()))
            self.table.raw_cells[-1].append(self.source[self.raw_start:self._offset()] + f"</{tag}>")
            self.cell = None
        elif tag == "caption":
            self.in_caption = False
        elif tag == "table":
            self.tables.append(self.table)
            self.table = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        elif self.in_caption and self.table is not None:
            self.table.caption += data


def tables_of(html: str, css_class: str = "") -> list[Table]:
    parser = _Tables(html)
    parser.feed(html)
    for table in parser.tables:
        table.caption = " ".join(table.caption.split())
    return [t for t in parser.tables if css_class in t.classes.split()] if css_class else parser.tables
