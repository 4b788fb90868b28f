"""Open data: the catalogue and each dataset's page (everyone), the downloads and the DCAT-AP
catalogue (everyone, any origin: public GETs with CORS), and the town admins' choice of what is
published. A dataset the town does not publish is a 404 everywhere."""

from __future__ import annotations

import json

from flask import abort, flash, make_response, request
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.admin.permissions import require_territory_admin
from app.extensions import API_LIMIT, limiter, person_key
from app.htmx import render, see_other
from app.opendata import bp, dcat, services
from app.opendata.datasets import DATASETS, Dataset
from app.opendata.forms import OpenDataForm
from app.territories.context import current_territory

MAX_AGE = 300


def _published_or_404(dataset_id: str) -> Dataset:
    found = services.published_dataset(current_territory(), dataset_id)
    if found is None:
        abort(404)
    return found


def _public(response: Response, max_age: int = MAX_AGE) -> Response:
    """A public GET anybody may read, from any site (CORS), and any cache keep a while; an
    unchanged file answers 304 to its ETag."""
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag, Content-Disposition"
    return response


def _file(body: str, media_type: str, filename: str | None = None, max_age: int = MAX_AGE) -> Response:
    response = make_response(body)
    response.mimetype = media_type
    response.charset = "utf-8"
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.set_etag(services.File(body, media_type, filename or "").etag)
    return _public(response, max_age).make_conditional(request)


# --- everyone ---------------------------------------------------------------------------------------


@bp.get("/data")
def catalogue() -> Response:
    territory = current_territory()
    query = (request.args.get("q") or "").strip()[:100]
    keyword = (request.args.get("keyword") or "").strip()[:60]
    datasets = [(dataset, format_date(services.modified(territory, dataset)))
                for dataset in services.search(services.published_datasets(territory), query, keyword)]
    return render("opendata/catalogue.html", datasets=datasets, query=query, keyword=keyword,
                  licence=services.licence_of(territory))


@bp.get("/data/<dataset_id>")
def dataset(dataset_id: str) -> Response:
    territory = current_territory()
    found = _published_or_404(dataset_id)
    return render("opendata/dataset.html", dataset=found, modified=format_date(services.modified(territory, found)),
                  licence=services.licence_of(territory), contact=services.contact_email(territory))


@bp.get("/data/<dataset_id>.<extension>")
@limiter.limit(API_LIMIT, key_func=person_key)
def download(dataset_id: str, extension: str) -> Response:
    territory = current_territory()
    found = _published_or_404(dataset_id)
    file = services.download(territory, found, extension)
    if file is None:
        abort(404)
    return _file(file.body, file.media_type, file.filename, max_age=60 if found.id == "opening-hours" else MAX_AGE)


@bp.get("/data/<dataset_id>/schema.json")
@limiter.limit(API_LIMIT, key_func=person_key)
def schema(dataset_id: str) -> Response:
    territory = current_territory()
    found = _published_or_404(dataset_id)
    body = json.dumps(services.table_schema(territory, found), ensure_ascii=False, indent=1)
    return _file(body, "application/json")


@bp.get("/catalog.jsonld")
@limiter.limit(API_LIMIT, key_func=person_key)
def catalogue_jsonld() -> Response:
    body = json.dumps(dcat.catalogue(current_territory()), ensure_ascii=False, indent=1)
    return _file(body, "application/ld+json")


# --- the town's admins ----------------------------------------------------------------------------


@bp.route("/admin/data", methods=["GET", "POST"])
def admin() -> Response:
    refused = require_territory_admin()
    if refused is not None:
        return refused  # type: ignore[return-value]
    territory = current_territory()
    if request.method == "GET":
        form = OpenDataForm(data={"datasets": list(services.published_ids(territory)),
                                  "licence": services.licence_of(territory).key,
                                  "contact_email": services.contact_email(territory)})
        return render("opendata/admin.html", form=form, published=services.published_ids(territory))
    form = OpenDataForm()
    valid = form.validate_on_submit()
    email = form.contact_email.data or ""
    if valid and services.is_an_account_address(territory, email):
        form.contact_email.errors = [_("This is the address of a person's account: give the town's own "
                                       "address (a service's mailbox), which the catalogue publishes.")]
        valid = False
    if not valid:
        return render("opendata/admin.html", form=form, published=services.published_ids(territory), status=422)
    services.save_choice(territory, form.datasets.data or [], form.licence.data or "", email)
    chosen = services.published_ids(territory)
    if chosen:
        flash(_("Published for everyone: %(datasets)s.",
                datasets=", ".join(str(DATASETS[dataset_id].title) for dataset_id in chosen)), "success")
    else:
        flash(_("No dataset is published."), "success")
    return see_other("opendata.admin")
