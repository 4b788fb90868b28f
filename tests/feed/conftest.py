"""Helpers of the feed tests."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_territory


@pytest.fixture
def territory():  # type: ignore[no-untyped-def]
    return make_territory(timezone="Europe/Paris")


def titles_in_order(html: str, titles: list[str]) -> list[str]:
    """The given titles, in the order they appear on the page (absent ones left out)."""
    positions = [(html.find(title), title) for title in titles if title in html]
    return [title for _position, title in sorted(positions)]


def day_sections(html: str) -> dict[str, str]:
    """Agenda sections by their ISO day (the <time datetime> of each day heading)."""
    parts = re.split(r'<section class="agenda-day"', html)[1:]
    sections = {}
    for part in parts:
        day = re.search(r'<time datetime="(\d{4}-\d{2}-\d{2})">', part)
        assert day
        sections[day.group(1)] = part
    return sections
