"""/catalog.jsonld is DCAT-AP 3.0: it validates against the official SHACL shapes (vendored,
no network), names only what the town publishes, with absolute addresses on its own host and
the EU vocabularies' URIs."""

from __future__ import annotations

import json
from pathlib import Path

import pyshacl
import pytest
import rdflib
from rdflib.namespace import DCAT, RDF

from app.opendata import services
from tests.opendata.conftest import CONTACT, HOST_B, publish_all, text

SHAPES = Path(__file__).parent / "data" / "dcat-ap-3.0.0-SHACL.jsonld"
# rdflib's JSON-LD parser builds a ConjunctiveGraph, which rdflib itself has deprecated.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:rdflib.*")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES, format="json-ld")


def _validate(body: str, shapes: rdflib.Graph) -> tuple[bool, str]:
    data = rdflib.Graph().parse(data=body, format="json-ld")
    conforms, _report, report_text = pyshacl.validate(data, shacl_graph=shapes)
    return bool(conforms), str(report_text)


def test_the_catalogue_validates_against_the_dcat_ap_shapes(client, open_town, shapes):
    publish_all(open_town)
    body = text(client.get("/catalog.jsonld"))
    conforms, report = _validate(body, shapes)
    assert conforms, report
    graph = rdflib.Graph().parse(data=body, format="json-ld")
    (catalogue,) = graph.subjects(RDF.type, DCAT.Catalog)
    assert len(list(graph.objects(catalogue, DCAT.dataset))) == 6
    # 13 files of the six datasets, and the town's agenda (/agenda.ics) as a distribution of "publications".
    assert len(set(graph.subjects(RDF.type, DCAT.Distribution))) == 14


def test_the_shapes_catch_a_dataset_without_its_mandatory_description(client, open_town, shapes):
    """The validation is real: the same catalogue less a dataset's description fails."""
    publish_all(open_town)
    data = client.get("/catalog.jsonld").get_json()
    del data["dcat:dataset"][0]["dct:description"]
    conforms, report = _validate(json.dumps(data), shapes)
    assert not conforms and "description" in report


def test_each_dataset_says_what_dcat_ap_asks(client, open_town):
    publish_all(open_town, licence="cc0-1.0")
    catalogue = client.get("/catalog.jsonld").get_json()
    assert catalogue["dct:publisher"]["foaf:name"]["@value"] == "La Ciotat"
    assert catalogue["foaf:homepage"]["@id"] == "http://localhost/data"
    assert {language["@id"].rsplit("/", 1)[1] for language in catalogue["dct:language"]} == {"FRA", "NLD", "ENG"}
    for node in catalogue["dcat:dataset"]:
        assert node["dct:identifier"].startswith("http://localhost/data/")
        assert all(theme["@id"].startswith("http://publications.europa.eu/resource/authority/data-theme/")
                   for theme in node["dcat:theme"])
        assert node["dct:accrualPeriodicity"]["@id"].startswith("http://publications.europa.eu/resource/authority/frequency/")
        assert node["dcat:contactPoint"]["vcard:hasEmail"]["@id"] == f"mailto:{CONTACT}"
        assert node["dct:spatial"]["dcat:bbox"]["@value"].startswith("POLYGON((5.58 43.16")
        assert node["dcat:keyword"]
        for distribution in node["dcat:distribution"]:
            assert distribution["dct:license"]["@id"] == "https://creativecommons.org/publicdomain/zero/1.0/"
            assert distribution["dcat:downloadURL"]["@id"].startswith(("http://localhost/data/",
                                                                       "http://localhost/agenda.ics"))
            assert distribution["dcat:mediaType"]["@id"].startswith("http://www.iana.org/assignments/media-types/")
            assert client.get(distribution["dcat:downloadURL"]["@id"]).status_code == 200
    csv_of_actors = next(d for node in catalogue["dcat:dataset"] for d in node["dcat:distribution"]
                         if d["dcat:downloadURL"]["@id"] == "http://localhost/data/actors.csv")
    assert csv_of_actors["dct:conformsTo"]["@id"] == "http://localhost/data/actors/schema.json"


def test_only_published_datasets_and_the_hosts_own_addresses(client, open_town, shapes):
    services.save_choice(open_town.territory, ["opening-hours"], "etalab-2.0", "")
    body = text(client.get("/catalog.jsonld"))
    conforms, report = _validate(body, shapes)
    assert conforms, report
    data = json.loads(body)
    assert [node["@id"] for node in data["dcat:dataset"]] == ["http://localhost/data/opening-hours"]
    assert "dcat:contactPoint" not in data["dcat:dataset"][0]  # no address given: none invented
    theirs = text(client.get("/catalog.jsonld", base_url=HOST_B))
    assert "http://localhost" not in theirs and "La Ciotat" not in theirs
