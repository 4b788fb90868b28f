"""The demo towns ship with their directory, agenda and opening hours published as open data,
and the DCAT-AP catalogue of each validates."""

from __future__ import annotations

import pytest
import rdflib
from sqlalchemy import select

from app.extensions import db
from app.territories.models import Territory
from tests.opendata.conftest import csv_rows, text

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")


def test_the_demo_towns_publish_some_datasets(runner, client):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    territory = db.session.scalar(select(Territory).where(Territory.slug == "laciotat"))
    host = f"http://{territory.hosts[0].hostname}"
    page = text(client.get("/data", base_url=host))
    for dataset_id in ("actors", "publications", "opening-hours"):
        assert f'href="/data/{dataset_id}"' in page
    assert client.get("/data/street-reports.csv", base_url=host).status_code == 404
    actors = csv_rows(text(client.get("/data/actors.csv", base_url=host)))
    assert len(actors) >= 5 and all(row["opening_hours"] for row in actors[:1])
    graph = rdflib.Graph().parse(data=text(client.get("/catalog.jsonld", base_url=host)), format="json-ld")
    assert len(list(graph.subjects(rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/dcat#Dataset")))) == 3
