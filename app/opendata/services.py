"""The town's open data: what it publishes (its choice, its licence, its contact address) and
each published dataset's files (CSV with its Table Schema, JSON, GeoJSON), testable without HTTP.

Files are built in the territory's default language, whoever downloads them: they are the same
for everyone, which lets any cache keep them."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.accounts.models import User
from app.extensions import db
from app.models_common import utcnow
from app.opendata.datasets import DATASET_IDS, DATASETS, Dataset, Row
from app.opendata.models import OpenDataCatalogue
from app.territories.models import Territory


@dataclass(frozen=True)
class Licence:
    key: str
    title: str
    uri: str
    label: Any


LICENCES: dict[str, Licence] = {licence.key: licence for licence in (
    Licence("etalab-2.0", "Licence Ouverte / Open Licence 2.0 (Etalab)",
            "https://www.etalab.gouv.fr/licence-ouverte-open-licence/", _l("Etalab Open Licence 2.0")),
    Licence("odbl-1.0", "Open Data Commons Open Database License (ODbL) 1.0",
            "https://opendatacommons.org/licenses/odbl/1-0/", _l("ODbL 1.0 (share-alike)")),
    Licence("cc-by-4.0", "Creative Commons Attribution 4.0 International",
            "https://creativecommons.org/licenses/by/4.0/", _l("CC-BY 4.0")),
    Licence("cc0-1.0", "Creative Commons Zero 1.0 Universal (public domain)",
            "https://creativecommons.org/publicdomain/zero/1.0/", _l("CC0 1.0 (public domain)")),
)}
DEFAULT_LICENCE = "etalab-2.0"

MEDIA_TYPES = {"csv": "text/csv", "json": "application/json", "geojson": "application/geo+json"}
FILE_TYPES = {"csv": "CSV", "json": "JSON", "geojson": "GEOJSON"}  # the EU file-type vocabulary's codes


# --- the town's choice --------------------------------------------------------------------------------


def catalogue_of(territory: Territory) -> OpenDataCatalogue | None:
    return db.session.get(OpenDataCatalogue, territory.id)


def published_ids(territory: Territory) -> tuple[str, ...]:
    found = catalogue_of(territory)
    chosen = set((found.published if found else "").split(","))
    return tuple(dataset_id for dataset_id in DATASET_IDS if dataset_id in chosen)


def published_datasets(territory: Territory) -> list[Dataset]:
    return [DATASETS[dataset_id] for dataset_id in published_ids(territory)]


def published_dataset(territory: Territory, dataset_id: str) -> Dataset | None:
    """The dataset if the town publishes it; None otherwise (as if it did not exist)."""
    return DATASETS[dataset_id] if dataset_id in published_ids(territory) else None


def licence_of(territory: Territory) -> Licence:
    found = catalogue_of(territory)
    return LICENCES.get(found.licence if found else DEFAULT_LICENCE, LICENCES[DEFAULT_LICENCE])


def contact_email(territory: Territory) -> str:
    found = catalogue_of(territory)
    return found.contact_email if found else ""


def save_choice(territory: Territory, dataset_ids: Iterable[str], licence: str, email: str) -> OpenDataCatalogue:
    found = catalogue_of(territory)
    if found is None:
        found = OpenDataCatalogue(territory_id=territory.id)
        db.session.add(found)
    chosen = set(dataset_ids)
    found.published = ",".join(dataset_id for dataset_id in DATASET_IDS if dataset_id in chosen)
    found.licence = licence if licence in LICENCES else DEFAULT_LICENCE
    found.contact_email = email.strip()
    found.updated_at = utcnow()
    db.session.commit()
    return found


def is_an_account_address(territory: Territory, email: str) -> bool:
    """Whether ``email`` is the address of a person's account here: the catalogue publishes its
    contact address, which must be the town's (a service's mailbox), never a person's."""
    return bool(email) and bool(db.session.scalar(select(func.count()).select_from(User).where(
        User.territory_id == territory.id, func.lower(User.email) == email.strip().lower())))


def search(datasets: list[Dataset], query: str = "", keyword: str = "") -> list[Dataset]:
    """The datasets whose title, description or keywords hold every word of ``query`` (any
    case), and that carry ``keyword`` when given (both as read in the current language)."""
    words = query.casefold().split()
    found = []
    for dataset in datasets:
        keywords = [str(k) for k in dataset.keywords]
        haystack = " ".join([str(dataset.title), str(dataset.description), *keywords]).casefold()
        if all(word in haystack for word in words) and (not keyword or keyword in keywords):
            found.append(dataset)
    return found


def issued(territory: Territory) -> datetime:
    found = catalogue_of(territory)
    return found.created_at if found else territory.created_at


def modified(territory: Territory, dataset: Dataset) -> datetime:
    """When the dataset's data last changed; without any data, when the town last chose."""
    found = catalogue_of(territory)
    return dataset.modified(territory) or (found.updated_at if found else territory.created_at)


# --- the files -----------------------------------------------------------------------------------------


def rows_of(territory: Territory, dataset: Dataset, now: datetime | None = None) -> list[Row]:
    with force_locale(territory.default_language):
        return dataset.rows(territory, now or utcnow())


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _json_value(value: Any) -> Any:
    return _iso(value) if isinstance(value, datetime) else value


def _csv_value(value: Any, column_type: str) -> str:
    if value is None:
        return ""  # hidden and missing alike
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _iso(value)
    text = str(value)
    if column_type == "string" and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text  # no cell read as a formula by a spreadsheet
    return text


def table_schema(territory: Territory, dataset: Dataset) -> dict[str, Any]:
    """The CSV's Table Schema (frictionless): its columns, their types, units and meaning."""
    with force_locale(territory.default_language):
        return {
            "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
            "name": dataset.id,
            "title": str(dataset.title),
            "fields": [column.schema() for column in dataset.columns],
            "missingValues": [""],
        }


def as_csv(dataset: Dataset, rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.name for column in dataset.columns])
    for row in rows:
        writer.writerow([_csv_value(row.get(column.name), column.type) for column in dataset.columns])
    return out.getvalue()


def as_json(territory: Territory, dataset: Dataset, rows: list[Row], licence: Licence) -> str:
    data = {
        "dataset": dataset.id, "publisher": territory.name, "license": licence.uri,
        "records": [{column.name: _json_value(row.get(column.name)) for column in dataset.columns} for row in rows],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def as_geojson(territory: Territory, dataset: Dataset, rows: list[Row], licence: Licence) -> str:
    """A FeatureCollection (RFC 7946): one Point per row that has a position, [lon, lat]."""
    features = [
        {
            "type": "Feature", "id": row.get("id"),
            "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
            "properties": {column.name: _json_value(row.get(column.name)) for column in dataset.columns
                           if column.name not in ("latitude", "longitude")},
        }
        for row in rows if row.get("latitude") is not None and row.get("longitude") is not None
    ]
    return json.dumps({"type": "FeatureCollection", "features": features, "license": licence.uri},
                      ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class File:
    body: str
    media_type: str
    filename: str

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.body.encode()).hexdigest()[:32]


def download(territory: Territory, dataset: Dataset, extension: str, now: datetime | None = None) -> File | None:
    """The dataset as a file of this format; None: the dataset has no such file."""
    if extension not in dataset.formats:
        return None
    rows = rows_of(territory, dataset, now)
    licence = licence_of(territory)
    filename = f"{territory.slug}-{dataset.id}.{extension}"
    if extension == "csv":
        return File("\ufeff" + as_csv(dataset, rows), "text/csv", filename)  # a BOM: spreadsheets read UTF-8
    if extension == "geojson":
        return File(as_geojson(territory, dataset, rows, licence), MEDIA_TYPES["geojson"], filename)
    return File(as_json(territory, dataset, rows, licence), MEDIA_TYPES["json"], filename)
