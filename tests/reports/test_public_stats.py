"""Statistics of street reports by category and neighbourhood: counts released through the
release engine to the public; a cell under the floor is shown exactly as an empty one, with no
resolution time and no overdue share computed for it."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models_common import utcnow
from app.releases.models import CountRelease
from tests.reports.helpers_public import category, report, resolve, town


@pytest.fixture
def territory(app):  # type: ignore[no-untyped-def]
    return town()


def _rows(page: str, category_name: str) -> dict[str, str]:
    """The rows of a category's table on the page: neighbourhood -> its cells' HTML."""
    section = page.split(f">{category_name}</h2>", 1)[1].split("</table>", 1)[0]
    return {name: cells for name, cells in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', section)}


@pytest.fixture
def planted(territory):  # type: ignore[no-untyped-def]
    """Pothole: 12 reports in the Port (4 resolved after 2, 3, 5 and 10 days; expected in 4 days),
    3 in the Hill (one resolved). Graffiti: none anywhere."""
    pothole = category(territory, days=4)
    graffiti = category(territory, "Graffiti", "graffiti")
    start = utcnow() - timedelta(days=40)
    port = [report(territory, pothole, lat=43.175, lon=5.605, created=start + timedelta(hours=n)) for n in range(12)]
    for made, days in zip(port, (2, 3, 5, 10), strict=False):
        resolve(made, days)
    hill = [report(territory, pothole, lat=43.175, lon=5.625, created=start) for _ in range(3)]
    resolve(hill[0], 1)
    return pothole, graffiti


def test_a_cell_under_the_floor_is_hidden_like_an_empty_one(client, planted):
    page = client.get("/reports/stats").get_data(as_text=True)
    pothole, graffiti = _rows(page, "Pothole"), _rows(page, "Graffiti")

    # Three reports in the Hill: under the floor of 11, the same cells as no report at all.
    assert pothole["Hill"] == graffiti["Hill"] == graffiti["Port"] == "<td></td><td></td><td></td>"
    # Twelve in the Port: released (noise aside, at least the floor), with the median of the
    # resolved ones (2, 3, 5, 10 days: 4 days) and the share past their 4 expected days
    # (5 and 10 days late, and the 8 still open 40 days on: 10 of 12).
    cells = re.findall(r"<td>([^<]*)</td>", pothole["Port"])
    assert int(cells[0]) >= 11
    assert cells[1] == "4 d"
    assert cells[2] == "83%"


def test_the_csv_hides_the_same_cells_the_same_way(client, planted):
    response = client.get("/reports/stats.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_cell = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert by_cell[("Pothole", "Hill")] == by_cell[("Graffiti", "Hill")] == ["", "", ""]
    assert by_cell[("Pothole", "Port")][1:] == ["4.0", "0.83"]
    assert int(by_cell[("Pothole", "Port")][0]) >= 11


def test_every_count_is_a_public_release_answered_the_same_all_day(client, territory, planted):
    first = client.get("/reports/stats").get_data(as_text=True)
    releases = db.session.scalars(select(CountRelease).where(CountRelease.territory_id == territory.id)).all()
    # One stored answer per category × column (Port, Hill, no neighbourhood), for anybody.
    assert len(releases) == 2 * 3
    assert {release.asker_kind for release in releases} == {"public"}
    assert all(release.epsilon == 0 for release in releases)  # a fixed table costs no budget

    pothole, _graffiti = planted
    for _ in range(20):  # many more reports in the Hill later the same day...
        report(territory, pothole, lat=43.175, lon=5.625)
    again = client.get("/reports/stats").get_data(as_text=True)
    assert _rows(again, "Pothole")["Hill"] == "<td></td><td></td><td></td>"  # ...the day's answer stands
    assert again.split("<h1>", 1)[1].split("</table>")[:-1] == first.split("<h1>", 1)[1].split("</table>")[:-1]
