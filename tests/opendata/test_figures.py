"""The observatory's indicators as open data are the public observatory's own released figures,
cell for cell (a hidden cell empty, never 0), read as numbers whatever the town's language."""

from __future__ import annotations

import csv
import io

from app.accounts.consents import PROFILE_TARGETING
from app.accounts.models import Consent
from app.extensions import db
from app.opendata import services
from app.opendata.datasets import read_figure
from tests.factories import NEGLIGIBLE_NOISE, make_citizen, make_neighbourhood, make_territory
from tests.opendata.conftest import csv_rows, text


def test_figures_are_read_in_the_towns_language():
    assert read_figure("1\u202f230", "fr") == (1230, "people")
    assert read_figure("12\u00a0%", "fr") == (0.12, "share")
    assert read_figure("1,230", "en") == (1230, "people")
    assert read_figure("7%", "en") == (0.07, "share")
    assert read_figure("", "fr") == (None, "")


def test_observatory_indicators_are_the_public_observatorys_cells(app, client):
    territory = make_territory(default_language="fr", established_after_days=0, **NEGLIGIBLE_NOISE)
    port, hill = make_neighbourhood(territory, "Port"), make_neighbourhood(territory, "Colline")
    for hood, count in ((port, 30), (hill, 3)):
        for _ in range(count):
            person = make_citizen(territory, neighbourhood_id=hood.id, population_type="resident")
            db.session.add(Consent(user_id=person.id, purpose=PROFILE_TARGETING))
    territory.observatory_public = "mix"
    db.session.commit()
    services.save_choice(territory, ["observatory"], "etalab-2.0", "")

    page = client.get("/observatory/mix-neighbourhoods.csv", headers={"Accept-Language": "fr"})  # the town's language
    public = list(csv.reader(io.StringIO(text(page).lstrip("\ufeff"))))
    header, lines = public[0], public[1:]
    rows = [row for row in csv_rows(text(client.get("/data/observatory.csv"))) if row["table"] == "mix-neighbourhoods"]
    expected = [(line[0], column, line[i]) for line in lines for i, column in enumerate(header[1:], start=1)]
    assert [(row["row"], row["column"], row["value"]) for row in rows] == [
        (label, column, "" if cell == "" else str(read_figure(cell, "fr")[0])) for label, column, cell in expected]
    port_residents = next(row for row in rows if row["row"] == "Port" and row["value"] and row["unit"] == "people")
    assert int(port_residents["value"]) >= 11
    hill_cells = [row for row in rows if row["row"] == "Colline"]
    assert hill_cells and all(row["value"] == "" for row in hill_cells)  # three people: hidden, not 0
    assert client.get("/data/observatory.json").get_json()["records"][0]["table"] == "mix-neighbourhoods"


def test_without_a_published_observatory_the_indicators_are_empty(app, client):
    territory = make_territory(default_language="fr")
    services.save_choice(territory, ["observatory"], "etalab-2.0", "")
    assert client.get("/data/observatory.json").get_json()["records"] == []
