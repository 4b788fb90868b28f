"""The open-data catalogue as a visitor, a data portal and the town see it: only what the town
publishes, public fields only, every file described by its schema, another town's data never."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from flask_babel import force_locale

from app.actors.services import is_open_now
from app.extensions import db
from app.models_common import utcnow
from app.opendata import services
from app.opendata.datasets import DATASETS, osm_opening_hours
from tests.factories import login_as
from tests.opendata.conftest import CONTACT, HOST_B, HOURS, csv_rows, publish_all, text
from tests.polls.conftest import answer, citizen, logged_in, make_poll, option, question
from tests.reports.helpers_public import category, report
from tests.support.csrf import csrf_token

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _downloads(dataset_id: str) -> list[str]:
    return [f"/data/{dataset_id}.{extension}" for extension in DATASETS[dataset_id].formats]


def test_nothing_is_published_until_the_town_chooses(client, open_town):
    assert "publishes no dataset yet" in text(client.get("/data"))
    catalogue = client.get("/catalog.jsonld").get_json()
    assert catalogue["dcat:dataset"] == []
    for dataset_id in DATASETS:
        assert client.get(f"/data/{dataset_id}").status_code == 404
        assert client.get(f"/data/{dataset_id}/schema.json").status_code == 404
        for url in _downloads(dataset_id):
            assert client.get(url).status_code == 404, url


def test_a_dataset_the_town_does_not_publish_is_absent_everywhere(client, open_town):
    services.save_choice(open_town.territory, ["actors", "publications"], "etalab-2.0", CONTACT)
    page = text(client.get("/data"))
    assert "/data/actors" in page and "/data/publications" in page
    assert "/data/opening-hours" not in page and "/data/consultations" not in page
    ids = {node["dct:identifier"] for node in client.get("/catalog.jsonld").get_json()["dcat:dataset"]}
    assert ids == {"http://localhost/data/actors", "http://localhost/data/publications"}
    for url in [*_downloads("opening-hours"), *_downloads("street-reports"), "/data/observatory"]:
        assert client.get(url).status_code == 404, url
    assert client.get("/data/actors.csv").status_code == 200
    assert client.get("/data/publications.geojson").status_code == 404  # no such file for this dataset


def test_downloads_name_nobody_and_show_no_address_but_the_towns(client, open_town):
    publish_all(open_town)
    bodies = []
    for dataset_id in DATASETS:
        for url in [*_downloads(dataset_id), f"/data/{dataset_id}/schema.json", f"/data/{dataset_id}"]:
            response = client.get(url)
            assert response.status_code == 200, url
            bodies.append(text(response))
    bodies.append(text(client.get("/catalog.jsonld")))
    everything = "\n".join(bodies)
    assert set(EMAIL.findall(everything)) == {CONTACT}
    for private in ("Marie Dupont", "Alain Admin", "jeanne.boulangere", "+33 4 00 00 00 01", "Brouillon secret"):
        assert private not in everything, private
    assert "Boulangerie du Port" in everything  # an actor's public name is public


def test_another_territorys_data_never_appears(client, open_town):
    publish_all(open_town)
    everything = "\n".join(text(client.get(url)) for dataset_id in DATASETS for url in _downloads(dataset_id))
    everything += text(client.get("/catalog.jsonld")) + text(client.get("/data"))
    assert "Ailleurs" not in everything and "ailleurs.test" not in everything
    # And the other town's catalogue is its own, on its own host, with its own addresses.
    theirs = client.get("/catalog.jsonld", base_url=HOST_B).get_json()
    assert theirs["@id"] == "http://autre.test/catalog.jsonld"
    names = [row["name"] for row in csv_rows(text(client.get("/data/actors.csv", base_url=HOST_B)))]
    assert names == ["Épicerie d'Ailleurs"]


def test_csv_headers_match_their_table_schema(client, open_town):
    publish_all(open_town)
    for dataset_id, dataset in DATASETS.items():
        schema = client.get(f"/data/{dataset_id}/schema.json").get_json()
        header = text(client.get(f"/data/{dataset_id}.csv")).lstrip("\ufeff").split("\r\n", 1)[0].split(",")
        assert header == [field["name"] for field in schema["fields"]], dataset_id
        assert all(field["type"] in ("string", "integer", "number", "boolean", "datetime") and field["description"]
                   for field in schema["fields"])
        page = text(client.get(f"/data/{dataset_id}"))
        for column in dataset.columns:  # the page describes every column
            assert f"<code>{column.name}</code>" in page
        records = client.get(f"/data/{dataset_id}.json").get_json()["records"]
        for record in records:
            assert list(record) == header, dataset_id


def test_actors_public_fields_and_opening_hours_in_both_forms(client, open_town):
    publish_all(open_town)
    rows = csv_rows(text(client.get("/data/actors.csv")))
    assert [row["name"] for row in rows] == ["Boulangerie du Port"]
    bakery = rows[0]
    assert bakery["opening_hours"] == "Mo,Tu 09:00-12:30,14:00-19:00; Sa 08:00-13:00"
    assert json.loads(bakery["opening_hours_json"]) == HOURS
    assert (bakery["latitude"], bakery["longitude"], bakery["website"]) == ("43.1741", "5.6049", "https://boulangerie.test")
    geo = client.get("/data/actors.geojson")
    assert geo.mimetype == "application/geo+json"
    feature = geo.get_json()["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [5.6049, 43.1741]}
    assert "phone" not in feature["properties"] and "email" not in feature["properties"]


def test_opening_hours_say_who_is_open_at_the_download(client, open_town):
    publish_all(open_town)
    records = client.get("/data/opening-hours.json").get_json()["records"]
    (bakery,) = records
    assert bakery["mon"] == "09:00-12:30,14:00-19:00" and bakery["wed"] == ""
    assert isinstance(bakery["open_now"], bool)
    assert bakery["open_now"] == is_open_now(open_town.bakery, utcnow(), "Europe/Paris")


def test_osm_opening_hours_group_days_and_cross_midnight():
    week = {day: [["10:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    assert osm_opening_hours(week) == "Mo-Fr 10:00-18:00"
    assert osm_opening_hours({"fri": [["22:00", "02:00"]], "sat": [["22:00", "02:00"]]}) == "Fr,Sa 22:00-02:00"
    assert osm_opening_hours({}) == ""


def test_publications_carry_their_recurrence_and_only_visible_ones(client, open_town):
    publish_all(open_town)
    rows = csv_rows(text(client.get("/data/publications.csv")))
    assert [row["title"] for row in rows] == ["Marché de Noël"]
    assert rows[0]["rrule"] == "FREQ=WEEKLY;BYDAY=SA" and rows[0]["hashtags"] == ""
    assert rows[0]["url"].startswith("http://localhost/p/")


def test_downloads_are_cacheable_conditional_and_open_to_any_site(client, open_town):
    publish_all(open_town)
    for url, media_type in (("/data/actors.csv", "text/csv"), ("/data/actors.json", "application/json"),
                            ("/data/actors.geojson", "application/geo+json"), ("/catalog.jsonld", "application/ld+json"),
                            ("/data/actors/schema.json", "application/json")):
        response = client.get(url)
        assert response.mimetype == media_type, url
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Cache-Control"].startswith("public, max-age=")
        assert "Set-Cookie" not in response.headers, url
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
    disposition = client.get("/data/opening-hours.csv").headers["Content-Disposition"]
    assert disposition == 'attachment; filename="laciotat-opening-hours.csv"'


def test_hidden_figures_are_empty_never_zero(client, open_town):
    """Three street reports in a category (under the floor of 11) and twelve in another; a
    closed poll answered by two people: the small figures are empty cells, JSON nulls."""
    territory = open_town.territory
    few, many = category(territory, "Graffiti", "graffiti"), category(territory, "Pothole", "pothole")
    for _ in range(3):
        report(territory, few)
    for _ in range(12):
        report(territory, many)
    publish_all(open_town)
    rows = {(row["category"], row["neighbourhood"]): row for row in csv_rows(text(client.get("/data/street-reports.csv")))}
    graffiti = [row for (name, _hood), row in rows.items() if name == "Graffiti"]
    assert graffiti and all(row["reports"] == row["median_resolution_days"] == row["overdue_share"] == ""
                            for row in graffiti)
    assert any(row["reports"] not in ("", "0") and int(row["reports"]) >= 11
               for (name, _hood), row in rows.items() if name == "Pothole")
    assert "0" not in [row["reports"] for row in rows.values()]
    records = client.get("/data/street-reports.json").get_json()["records"]
    assert all(record["reports"] is None for record in records if record["category"] == "Graffiti")


def test_consultations_publish_closed_polls_with_released_figures_only(client, open_town):
    territory = open_town.territory
    closed = make_poll(open_town.bakery, kinds=("single",))
    still_open = make_poll(open_town.bakery, kinds=("single",))
    single = question(closed, "single")
    for _ in range(2):
        person = citizen(territory)
        response = answer(logged_in(client.application, person), closed, {f"q{single.id}": option(closed, "single", "Square")})
        assert response.status_code == 303
    closed.valid_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    publish_all(open_town)
    rows = csv_rows(text(client.get("/data/consultations.csv")))
    assert rows and {row["poll_id"] for row in rows} == {str(closed.id)}
    assert str(still_open.id) not in {row["poll_id"] for row in rows}
    assert all(row["people"] == "" for row in rows)  # two people: under the floor, hidden
    assert {row["answer"] for row in rows} >= {"Square", "Harbour", "Park"}


def test_the_town_admin_chooses_licence_datasets_and_contact(client, open_town):
    assert client.get("/admin/data").status_code in (302, 401)  # anonymous: sent to log in
    login_as(client, open_town.citizen)
    assert client.get("/admin/data").status_code == 403
    admin_client = client.application.test_client()
    login_as(admin_client, open_town.admin)
    token = csrf_token(admin_client, "/admin/data")
    refused = admin_client.post("/admin/data", data={"csrf_token": token, "datasets": ["actors"],
                                                     "licence": "odbl-1.0", "contact_email": "Marie.Dupont@example.com"})
    assert refused.status_code == 422 and "a person" in text(refused)
    assert services.published_ids(open_town.territory) == ()
    assert admin_client.post("/admin/data", data={"datasets": ["actors"], "licence": "odbl-1.0"}).status_code == 400
    saved = admin_client.post("/admin/data", data={"csrf_token": token, "datasets": ["actors", "opening-hours"],
                                                   "licence": "odbl-1.0", "contact_email": CONTACT})
    assert saved.status_code == 303
    assert services.published_ids(open_town.territory) == ("actors", "opening-hours")
    catalogue = client.get("/catalog.jsonld").get_json()
    assert catalogue["dct:license"]["@id"] == "https://opendatacommons.org/licenses/odbl/1-0/"
    assert {node["dcat:contactPoint"]["vcard:hasEmail"]["@id"] for node in catalogue["dcat:dataset"]} == {f"mailto:{CONTACT}"}
    # The other town's choice is untouched.
    assert len(services.published_ids(open_town.other)) == len(DATASETS)


def test_the_catalogue_is_searchable_by_words_and_keywords(client, open_town):
    publish_all(open_town)
    found = text(client.get("/data?q=opening"))
    assert "/data/opening-hours" in found and "/data/consultations\"" not in found
    by_keyword = text(client.get("/data?keyword=polls"))
    assert "/data/consultations" in by_keyword and "/data/actors\"" not in by_keyword
    assert "No dataset matches" in text(client.get("/data?q=zzzz"))


def test_the_footer_links_the_catalogue(client, open_town):
    assert '<a href="/data">' in text(client.get("/login"))


def test_search_needs_every_word_and_the_keyword():
    datasets = list(DATASETS.values())
    with force_locale("en"):  # titles and keywords are read in the current language
        _search_in_english(datasets)


def _search_in_english(datasets):
    assert [d.id for d in services.search(datasets, "OPENING now")] == ["opening-hours"]
    assert [d.id for d in services.search(datasets, keyword="shops")] == ["actors", "opening-hours"]
    assert services.search(datasets, "opening", keyword="polls") == []
    assert services.search(datasets) == datasets
