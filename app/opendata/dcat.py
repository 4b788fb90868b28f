"""The catalogue in DCAT-AP 3.0 (JSON-LD), as data.gouv.fr and the European portals harvest it:
a dcat:Catalog of the datasets the town publishes, each with its distributions.

Controlled vocabularies are the EU Publications Office's (data themes, frequencies, file types,
languages), media types IANA's; every address is absolute, on the host the catalogue was asked
through (the territory's). Nodes named by a vocabulary are typed here too (dct:Frequency,
skos:Concept...), as the DCAT-AP shapes expect of them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from flask import current_app, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from shapely.geometry import shape

from app.opendata import services
from app.opendata.datasets import Dataset
from app.territories.models import Territory

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "locn": "http://www.w3.org/ns/locn#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
}
LANGUAGES = "http://publications.europa.eu/resource/authority/language/"
LANGUAGE_CODES = {"fr": "FRA", "nl": "NLD", "en": "ENG", "de": "DEU", "it": "ITA", "es": "SPA"}
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
IANA = "http://www.iana.org/assignments/media-types/"
# The EU data-theme vocabulary's English labels (a skos:Concept carries its label in DCAT-AP).
THEME_LABELS = {
    "AGRI": "Agriculture, fisheries, forestry and food", "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport", "ENER": "Energy", "ENVI": "Environment",
    "GOVE": "Government and public sector", "HEAL": "Health", "INTR": "International issues",
    "JUST": "Justice, legal system and public safety", "REGI": "Regions and cities",
    "SOCI": "Population and society", "TECH": "Science and technology", "TRAN": "Transport",
}
LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"  # ADMS publisher types
ICS_RULE = "/agenda.ics"  # the agenda's iCalendar feed, a distribution of the publications once it exists


def _date(moment: datetime) -> dict[str, str]:
    return {"@value": moment.replace(microsecond=0).isoformat().replace("+00:00", "Z"), "@type": "xsd:dateTime"}


def _text(value: Any, language: str) -> dict[str, str]:
    return {"@value": str(value), "@language": language}


def _ref(uri: str, kind: str, **more: Any) -> dict[str, Any]:
    return {"@id": uri, "@type": kind, **more}


def _location(territory: Territory, language: str) -> dict[str, Any]:
    """The territory as a dct:Location: its name, its bounding box and centre (WKT, WGS 84)."""
    node: dict[str, Any] = {"@type": "dct:Location", "skos:prefLabel": _text(territory.name, language)}
    if territory.boundary_geojson:
        try:
            west, south, east, north = shape(json.loads(territory.boundary_geojson)).bounds
        except (ValueError, TypeError, AttributeError):
            west = south = east = north = None
        if west is not None:
            node["dcat:bbox"] = {"@type": "gsp:wktLiteral", "@value": (
                f"POLYGON(({west} {south},{east} {south},{east} {north},{west} {north},{west} {south}))")}
    node["dcat:centroid"] = {"@type": "gsp:wktLiteral", "@value": f"POINT({territory.center_lon} {territory.center_lat})"}
    return node


def _link(url: str) -> dict[str, str]:
    """An address as DCAT-AP's access and download URLs want it: a resource."""
    return {"@id": url, "@type": "rdfs:Resource"}


def _distribution(territory: Territory, dataset: Dataset, extension: str, licence: services.Licence,
                  modified: datetime, language: str) -> dict[str, Any]:
    url = url_for("opendata.download", dataset_id=dataset.id, extension=extension, _external=True)
    media_type = services.MEDIA_TYPES[extension]
    node: dict[str, Any] = {
        "@id": f"{url}#distribution", "@type": "dcat:Distribution",
        "dct:title": _text(f"{dataset.title} ({services.FILE_TYPES[extension]})", language),
        "dcat:accessURL": _link(url_for("opendata.dataset", dataset_id=dataset.id, _external=True)),
        "dcat:downloadURL": _link(url),
        "dct:format": _ref(FILE_TYPES + services.FILE_TYPES[extension], "dct:MediaTypeOrExtent"),
        "dcat:mediaType": _ref(IANA + media_type, "dct:MediaType"),
        "dct:license": _ref(licence.uri, "dct:LicenseDocument"),
        "dct:modified": _date(modified),
    }
    if extension == "csv":
        node["dct:conformsTo"] = _ref(url_for("opendata.schema", dataset_id=dataset.id, _external=True),
                                      "dct:Standard")
    return node


def _ics_distribution(dataset: Dataset, licence: services.Licence, modified: datetime, language: str) -> dict[str, Any] | None:
    rule = next((r for r in current_app.url_map.iter_rules() if r.rule == ICS_RULE), None)
    if rule is None or dataset.id != "publications":
        return None
    url = url_for(rule.endpoint, _external=True)
    return {
        "@id": f"{url}#distribution", "@type": "dcat:Distribution",
        "dct:title": _text(f"{dataset.title} (iCalendar)", language),
        "dcat:accessURL": _link(url), "dcat:downloadURL": _link(url),
        "dct:format": _ref(FILE_TYPES + "ICS", "dct:MediaTypeOrExtent"),
        "dcat:mediaType": _ref(IANA + "text/calendar", "dct:MediaType"),
        "dct:license": _ref(licence.uri, "dct:LicenseDocument"),
        "dct:modified": _date(modified),
    }


def catalogue(territory: Territory) -> dict[str, Any]:
    """The DCAT-AP 3.0 catalogue of the datasets the town publishes (none: an empty catalogue)."""
    language = territory.default_language
    licence = services.licence_of(territory)
    email = services.contact_email(territory)
    publisher = {"@id": f"{request.host_url.rstrip('/')}/#town", "@type": "foaf:Agent",
                 "foaf:name": _text(territory.name, language),
                 "dct:type": _ref(LOCAL_AUTHORITY, "skos:Concept", **{"skos:prefLabel": {
                     "@value": "Local Authority", "@language": "en"}})}
    languages = [_ref(LANGUAGES + LANGUAGE_CODES[code], "dct:LinguisticSystem")
                 for code in territory.enabled_languages if code in LANGUAGE_CODES]
    datasets = []
    with force_locale(language):
        for dataset in services.published_datasets(territory):
            modified = services.modified(territory, dataset)
            page = url_for("opendata.dataset", dataset_id=dataset.id, _external=True)
            node: dict[str, Any] = {
                "@id": page, "@type": "dcat:Dataset",
                "dct:identifier": page,
                "dct:title": _text(dataset.title, language),
                "dct:description": _text(dataset.description, language),
                "dcat:keyword": [_text(keyword, language) for keyword in dataset.keywords],
                "dcat:theme": [
                    _ref(uri, "skos:Concept", **{"skos:prefLabel": {"@value": THEME_LABELS[uri.rsplit("/", 1)[1]],
                                                                    "@language": "en"}})
                    for uri in dataset.theme_uris
                ],
                "dct:publisher": {"@id": publisher["@id"]},
                "dct:spatial": _location(territory, language),
                "dct:accrualPeriodicity": _ref(dataset.frequency_uri, "dct:Frequency"),
                "dct:modified": _date(modified),
                "dct:language": languages,
                "dcat:landingPage": _ref(page, "foaf:Document"),
                "dcat:distribution": [
                    _distribution(territory, dataset, extension, licence, modified, language)
                    for extension in dataset.formats
                ],
            }
            ics = _ics_distribution(dataset, licence, modified, language)
            if ics is not None:
                node["dcat:distribution"].append(ics)
            if email:
                node["dcat:contactPoint"] = {"@type": "vcard:Kind", "vcard:fn": territory.name,
                                             "vcard:hasEmail": {"@id": f"mailto:{email}"}}
            temporal = dataset.temporal(territory)
            if temporal is not None:
                node["dct:temporal"] = {"@type": "dct:PeriodOfTime", "dcat:startDate": _date(temporal[0]),
                                        "dcat:endDate": _date(temporal[1])}
            datasets.append(node)
        title = _text(f"{territory.name} — " + str(_catalogue_title()), language)
        description = _text(_catalogue_description(territory), language)
    modified_all = max((services.modified(territory, d) for d in services.published_datasets(territory)),
                       default=services.issued(territory))
    return {
        "@context": CONTEXT,
        "@id": url_for("opendata.catalogue_jsonld", _external=True),
        "@type": "dcat:Catalog",
        "dct:title": title,
        "dct:description": description,
        "dct:publisher": publisher,
        "foaf:homepage": _ref(url_for("opendata.catalogue", _external=True), "foaf:Document"),
        "dct:language": languages,
        "dct:license": _ref(licence.uri, "dct:LicenseDocument"),
        "dct:issued": _date(services.issued(territory)),
        "dct:modified": _date(modified_all),
        "dct:spatial": _location(territory, language),
        "dcat:dataset": datasets,
    }


def _catalogue_title() -> str:
    return _("open data")


def _catalogue_description(territory: Territory) -> str:
    return _("The open data that %(town)s publishes on its local app: actors, publications, opening hours and "
             "statistics released without naming anyone.", town=territory.name)
