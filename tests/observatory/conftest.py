"""The observatory's tests: a town with an admin, and people planted with a profile.

(tests/observatory/package.json belongs to another tool, the HTTP Observatory scanner of
tests/core/test_observatory.py; it stays.)"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest

from app.accounts.consents import PROFILE_TARGETING
from app.accounts.models import Consent, UserHashtag
from app.extensions import db
from tests.factories import NEGLIGIBLE_NOISE, login_as, make_citizen, make_territory, make_user


@pytest.fixture
def territory(app):
    # Noise far under one person: the floor and the rounding decide, as the test sets them up
    # (the engine's noise itself is tested in tests/releases).
    return make_territory("laciotat", "La Ciotat", hosts=("localhost",), timezone="Europe/Paris",
                          **NEGLIGIBLE_NOISE)


@pytest.fixture
def admin(territory):
    return make_user(territory, email="admin@laciotat.example", is_admin=True)


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    return client


def plant(territory, count: int, *, hood=None, population_type=None, consent: bool = True, hashtags=()):
    """``count`` people of this profile; with the profile-targeting consent unless told."""
    people = []
    for _ in range(count):
        person = make_citizen(territory, neighbourhood_id=hood.id if hood else None,
                              population_type=population_type)
        if consent:
            db.session.add(Consent(user_id=person.id, purpose=PROFILE_TARGETING))
        for tag in hashtags:
            db.session.add(UserHashtag(user_id=person.id, hashtag_id=tag.id))
        people.append(person)
    db.session.commit()
    return people


class _Tables(HTMLParser):
    """Each <table id=...> of a page, as lists of cell texts (th and td alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.cells_html: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag == "table" and dict(attrs).get("class") == "obs-table":
            self._table = dict(attrs)["id"]
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._cell is not None:
            self._cell.append(data)


def page_tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def csv_rows(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))
