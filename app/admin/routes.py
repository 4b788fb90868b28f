"""Territory administration. Every view here runs after ``require_territory_admin`` (see
``app/admin/__init__.py``): load → (authorised) → service → render."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.models import User
from app.actors.forms import KIND_LABELS, KindForm
from app.actors.models import Actor
from app.actors.services import (
    approve_change,
    refuse_change,
    reject_actor,
    set_kind,
    verify_actor,
)
from app.admin import bp, services
from app.admin.permissions import require_territory_admin
from app.extensions import db
from app.htmx import fragment_or_see_other, render, see_other
from app.i18n import LANGUAGE_NAMES, SUPPORTED
from app.legal import services as legal_services
from app.legal.forms import LegalTextForm
from app.media.services import ImageError, store_image
from app.publications.models import Publication
from app.territories import services as territory_services
from app.territories.context import current_territory, get_scoped_or_404, request_hostname, scoped
from app.territories.forms import (
    AreaForm,
    HashtagForm,
    ModerationForm,
    NeighbourhoodForm,
    SettingsForm,
)
from app.territories.models import RELEASE_BOUNDS, Hashtag, Neighbourhood

# Every page of this blueprint is the town admin's: checked before any view runs.
bp.before_request(require_territory_admin)

MAX_GEOJSON_BYTES = 2 * 1024 * 1024



def _admin() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]


@bp.get("/admin")
def index() -> Response:
    territory = current_territory()
    return render("admin/index.html", overview=services.overview(territory),
                  pending=services.pending_actors(territory)[:5])


# --- settings -------------------------------------------------------------------------------


@bp.route("/admin/settings", methods=["GET", "POST"])
def settings() -> Response:
    territory = current_territory()
    if request.method == "GET":
        return render("admin/settings.html", form=SettingsForm(data=_settings_data(territory)))
    form = SettingsForm()
    hostnames = territory_services.parse_hostnames(form.hosts.data or "")
    valid = form.validate_on_submit() & _settings_checked(form, territory, hostnames)
    logo = _uploaded_logo(form, territory) if valid else None
    if not valid or form.logo.errors:
        db.session.rollback()
        return render("admin/settings.html", form=form, status=422)
    territory_services.save_settings(territory, territory_services.Settings(
        name=form.name.data, tagline=form.tagline.data or "", primary_color=form.primary_color.data,
        accent_color=form.accent_color.data, timezone=form.timezone.data,
        default_language=form.default_language.data,
        enabled_languages=list(form.enabled_languages.data), hostnames=hostnames,
        tile_url=form.tile_url.data or "", logo=logo,
        survey_hosts=territory_services.parse_hostnames(form.survey_hosts.data or ""),
        release={name: getattr(form, name).data for name in RELEASE_BOUNDS},
    ))
    flash(_("The settings are saved."), "success")
    return see_other("admin.settings")


def _settings_data(territory: Any) -> dict[str, Any]:
    """The settings form filled with what is saved."""
    return {
        "name": territory.name,
        "tagline": territory.tagline,
        "primary_color": territory.primary_color,
        "accent_color": territory.accent_color,
        "timezone": territory.timezone,
        "default_language": territory.default_language,
        "enabled_languages": territory.enabled_languages,
        "hosts": "\n".join(h.hostname for h in territory.hosts),
        "tile_url": territory.tile_url,
        "survey_hosts": "\n".join(territory_services.survey_host_list(territory)),
        **{name: getattr(territory, name) for name in RELEASE_BOUNDS},
    }


def _settings_checked(form: SettingsForm, territory: Any, hostnames: list[str]) -> bool:
    """The checks a form field cannot make alone; each problem goes on its field."""
    checks = [
        (form.primary_color, territory_services.main_colour_problem(form.primary_color.data or "")),
        (form.accent_color, territory_services.colour_problem(form.accent_color.data or "")),
        (form.timezone, territory_services.timezone_problem(form.timezone.data or "")),
        (form.enabled_languages, territory_services.languages_problem(
            form.default_language.data or "", list(form.enabled_languages.data or []))),
        (form.hosts, territory_services.hostnames_problem(territory, hostnames)
         or _host_in_use_problem(territory, hostnames)),
        (form.tile_url, territory_services.tile_url_problem(form.tile_url.data or "")),
        (form.survey_hosts, territory_services.survey_hosts_problem(
            territory_services.parse_hostnames(form.survey_hosts.data or ""))),
    ]
    for field, problem in checks:
        if problem:
            field.errors = [*field.errors, problem]
    return not any(problem for _field, problem in checks)


def _uploaded_logo(form: SettingsForm, territory: Any) -> Any:
    """The new logo, stored (re-encoded, at most 512 px), if one was sent; an unreadable image
    is an error on its field."""
    if not (form.logo.data and getattr(form.logo.data, "filename", "")):
        return None
    try:
        return store_image(form.logo.data, territory.id, max_side=512)
    except ImageError as error:
        form.logo.errors = [*form.logo.errors, str(error)]
        return None


def _host_in_use_problem(territory: Any, hostnames: list[str]) -> str | None:
    """Removing the host name this page is served on would lock the admin out."""
    current = request_hostname()
    if current in {h.hostname for h in territory.hosts} and current not in hostnames:
        return _("Keep %(host)s: you are using it right now.", host=current)
    return None


# --- areas: neighbourhoods and boundary -----------------------------------------------------


def _area_text(form: AreaForm) -> str:
    """The pasted GeoJSON, or the uploaded file's (which wins when both are given)."""
    upload = form.geojson_file.data
    if upload is not None and getattr(upload, "filename", ""):
        data = upload.read(MAX_GEOJSON_BYTES + 1)
        if len(data) > MAX_GEOJSON_BYTES:
            return "\x00too-large"
        text = data.decode("utf-8", errors="replace")
        form.geojson.data = text if len(text) < 200_000 else form.geojson.data
        return text
    return form.geojson.data or ""


def _check_area(form: AreaForm, within: Any) -> dict[str, Any] | None:
    text = _area_text(form)
    if text == "\x00too-large":
        form.geojson.errors = [*form.geojson.errors, _("The file is too large (2 MB at most).")]
        return None
    check = territory_services.check_area(text, within=within)
    if not check.ok:
        form.geojson.errors = [*form.geojson.errors, *check.errors]
        return None
    return check.geometry


@bp.route("/admin/neighbourhoods", methods=["GET", "POST"])
def neighbourhoods() -> Response:
    territory = current_territory()
    form = NeighbourhoodForm()
    if request.method == "POST":
        valid = form.validate_on_submit()
        name_problem = territory_services.neighbourhood_name_problem(territory, form.name.data or "")
        if name_problem:
            form.name.errors = [*form.name.errors, name_problem]
            valid = False
        geometry = _check_area(form, territory)
        if valid and geometry is not None:
            hood = territory_services.save_neighbourhood(territory, form.name.data, geometry)
            flash(_("%(name)s is added.", name=hood.name), "success")
            return see_other("admin.neighbourhoods")
        status = 422
    else:
        status = 200
    hoods = list(db.session.scalars(scoped(Neighbourhood).order_by(Neighbourhood.name)))
    return render("admin/neighbourhoods.html", form=form, neighbourhoods=hoods, status=status)


@bp.route("/admin/neighbourhoods/<int:neighbourhood_id>", methods=["GET", "POST"])
def neighbourhood_edit(neighbourhood_id: int) -> Response:
    territory = current_territory()
    hood = get_scoped_or_404(Neighbourhood, neighbourhood_id)
    form = NeighbourhoodForm()
    if request.method == "GET":
        form.process(data={"name": hood.name, "geojson": hood.geojson or ""})
        return render("admin/neighbourhood_edit.html", form=form, neighbourhood=hood)
    valid = form.validate_on_submit()
    name_problem = territory_services.neighbourhood_name_problem(territory, form.name.data or "", hood.id)
    if name_problem:
        form.name.errors = [*form.name.errors, name_problem]
        valid = False
    geometry = _check_area(form, territory)
    if not valid or geometry is None:
        return render("admin/neighbourhood_edit.html", form=form, neighbourhood=hood, status=422)
    territory_services.save_neighbourhood(territory, form.name.data, geometry, hood)
    flash(_("%(name)s is saved.", name=hood.name), "success")
    return see_other("admin.neighbourhoods")


@bp.post("/admin/neighbourhoods/<int:neighbourhood_id>/delete")
def neighbourhood_delete(neighbourhood_id: int) -> Response:
    hood = get_scoped_or_404(Neighbourhood, neighbourhood_id)
    name = hood.name
    db.session.delete(hood)
    db.session.commit()
    return fragment_or_see_other(None, "admin.neighbourhoods", _("%(name)s is deleted.", name=name))


@bp.route("/admin/boundary", methods=["GET", "POST"])
def boundary() -> Response:
    territory = current_territory()
    form = AreaForm()
    if request.method == "GET":
        form.process(data={"geojson": territory.boundary_geojson or ""})
        return render("admin/boundary.html", form=form)
    geometry = _check_area(form, None) if form.validate_on_submit() else None
    if geometry is None:
        return render("admin/boundary.html", form=form, status=422)
    territory_services.set_boundary(territory, geometry)
    flash(_("The boundary is saved."), "success")
    return see_other("admin.boundary")


# --- hashtag catalogue ----------------------------------------------------------------------


@bp.route("/admin/hashtags", methods=["GET", "POST"])
def hashtags() -> Response:
    territory = current_territory()
    form = HashtagForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                hashtag = territory_services.add_hashtag(territory, form.tag.data)
            except territory_services.TerritoryError as error:
                form.tag.errors = [*form.tag.errors, str(error)]
            else:
                flash(_("%(tag)s is added to the catalogue.", tag=hashtag.label), "success")
                return see_other("admin.hashtags")
        status = 422
    tags = list(db.session.scalars(scoped(Hashtag).order_by(Hashtag.active.desc(), Hashtag.tag)))
    return render("admin/hashtags.html", form=form, hashtags=tags, status=status)


@bp.post("/admin/hashtags/<int:hashtag_id>/deactivate")
def hashtag_deactivate(hashtag_id: int) -> Response:
    return _set_hashtag_active(hashtag_id, False)


@bp.post("/admin/hashtags/<int:hashtag_id>/reactivate")
def hashtag_reactivate(hashtag_id: int) -> Response:
    return _set_hashtag_active(hashtag_id, True)


def _set_hashtag_active(hashtag_id: int, active: bool) -> Response:
    hashtag = get_scoped_or_404(Hashtag, hashtag_id)
    territory_services.set_hashtag_active(hashtag, active)
    return fragment_or_see_other("admin/_hashtag_row.html", "admin.hashtags", hashtag=hashtag)


# --- actors ---------------------------------------------------------------------------------


@bp.get("/admin/actors")
def actors() -> Response:
    territory = current_territory()
    return render(
        "admin/actors.html",
        actors=services.pending_actors(territory),
        changes=services.actors_with_changes(territory),
        verified=services.verified_actors(territory),
    )


def _kind_or_400() -> str | None:
    """The kind the town chose in the row's select, or None when the row has no select."""
    if "kind" not in request.form:
        return None
    form = KindForm()
    if not form.validate():
        abort(400)
    return str(form.kind.data)


@bp.post("/admin/actors/<int:actor_id>/verify")
def actor_verify(actor_id: int) -> Response:
    actor = get_scoped_or_404(Actor, actor_id)
    kind = _kind_or_400()
    if actor.status == "pending" and kind is not None and kind != actor.kind:
        set_kind(actor, _admin(), kind)
    return _decide(actor, verify_actor)


@bp.post("/admin/actors/<int:actor_id>/reject")
def actor_reject(actor_id: int) -> Response:
    return _decide(get_scoped_or_404(Actor, actor_id), reject_actor)


def _decide(actor: Actor, decision: Any) -> Response:
    if actor.status == "pending":
        decision(actor, _admin())
    message = {
        "verified": _("%(name)s is verified: its page is public.", name=actor.name),
        "rejected": _("%(name)s is rejected.", name=actor.name),
    }.get(actor.status)
    return fragment_or_see_other("admin/_actor_row.html", "admin.actors", message, actor=actor)


@bp.post("/admin/actors/<int:actor_id>/change/accept")
def actor_change_accept(actor_id: int) -> Response:
    actor = get_scoped_or_404(Actor, actor_id)
    kind = _kind_or_400()
    if actor.has_pending_change:
        approve_change(actor, _admin(), kind=kind)
    return fragment_or_see_other(
        "admin/_change_row.html", "admin.actors",
        _("The change of %(name)s is verified.", name=actor.name), actor=actor, decided="accepted",
    )


@bp.post("/admin/actors/<int:actor_id>/change/refuse")
def actor_change_refuse(actor_id: int) -> Response:
    actor = get_scoped_or_404(Actor, actor_id)
    if actor.has_pending_change:
        refuse_change(actor, _admin())
    return fragment_or_see_other(
        "admin/_change_row.html", "admin.actors",
        _("The change of %(name)s is refused.", name=actor.name), actor=actor, decided="refused",
    )


@bp.post("/admin/actors/<int:actor_id>/kind")
def actor_kind(actor_id: int) -> Response:
    actor = get_scoped_or_404(Actor, actor_id)
    kind = _kind_or_400()
    if kind is None:
        abort(400)
    set_kind(actor, _admin(), kind)
    return fragment_or_see_other(
        "admin/_kind_row.html", "admin.actors",
        _("%(name)s is now: %(kind)s.", name=actor.name, kind=KIND_LABELS[actor.kind]),
        actor=actor, saved=True,
    )


# --- moderation -----------------------------------------------------------------------------


@bp.get("/admin/moderation")
def moderation() -> Response:
    territory = current_territory()
    publications = services.recent_publications(territory)
    return render("admin/moderation.html", publications=publications, forms=_moderation_forms(publications))


def _moderation_forms(publications: list[Publication], **given: ModerationForm) -> dict[int, ModerationForm]:
    """One unpublish form per row, each with its own prefix so errors land on the right row."""
    return {p.id: given.get(f"p{p.id}") or ModerationForm(prefix=f"p{p.id}", formdata=None) for p in publications}


@bp.post("/admin/publications/<int:publication_id>/unpublish")
def publication_unpublish(publication_id: int) -> Response:
    publication = get_scoped_or_404(Publication, publication_id)
    if publication.moderated_at is not None:  # a second click or a stale page: keep the first reason
        return _moderation_done(publication, _("“%(title)s” is unpublished.", title=publication.title))
    form = ModerationForm(prefix=f"p{publication.id}")
    if form.validate_on_submit() and (form.reason.data or "").strip():
        services.unpublish(publication, _admin(), form.reason.data)
        return _moderation_done(publication, _("“%(title)s” is unpublished.", title=publication.title))
    if not form.errors:
        form.reason.errors = [_("Say why it is unpublished: the actor will read it.")]
    publications = services.recent_publications(current_territory())
    return render("admin/moderation.html", "admin/_publication_row.html", status=422,
                  publication=publication, form=form, publications=publications,
                  forms=_moderation_forms(publications, **{f"p{publication.id}": form}))


@bp.post("/admin/publications/<int:publication_id>/restore")
def publication_restore(publication_id: int) -> Response:
    publication = get_scoped_or_404(Publication, publication_id)
    services.restore(publication, _admin())
    return _moderation_done(publication, _("“%(title)s” is restored.", title=publication.title))


def _moderation_done(publication: Publication, message: str) -> Response:
    return fragment_or_see_other("admin/_publication_row.html", "admin.moderation", message,
                                 publication=publication,
                                 form=ModerationForm(prefix=f"p{publication.id}", formdata=None))



# --- legal pages --------------------------------------------------------------------------------


def _legal_kind_or_404(kind: str) -> str:
    if kind not in legal_services.KINDS:
        abort(404)
    return kind


def _editable_languages() -> list[str]:
    """The territory's languages, its default first: the ones its legal pages are written in."""
    territory = current_territory()
    enabled = [code for code in territory.enabled_languages if code in SUPPORTED]
    return sorted(enabled, key=lambda code: code != territory.default_language)


def _legal_language_or_404(language: str) -> str:
    if language not in _editable_languages():
        abort(404)
    return language


@bp.get("/admin/legal")
def legal() -> Response:
    territory = current_territory()
    languages = _editable_languages()
    pages = [
        (kind, legal_services.page_version(territory, kind),
         legal_services.editor_states(territory, kind, languages))
        for kind in legal_services.KINDS
    ]
    return render("admin/legal.html", pages=pages, titles=legal_services.TITLES)


def _legal_editor(kind: str, status: int = 200, **posted: Any) -> Response:
    """The editor of ``kind``: one form per language, filled with the saved (or default) text,
    except the language just posted (``posted``: its form, and its preview), which keeps what
    was typed."""
    territory = current_territory()
    states = legal_services.editor_states(territory, kind, _editable_languages())
    forms = {
        state.language: posted.get("form") if posted.get("language") == state.language
        else LegalTextForm(prefix=state.language, formdata=None, data={"body": state.source})
        for state in states
    }
    return render("admin/legal_edit.html", status=status, kind=kind, title=legal_services.TITLES[kind],
                  version=legal_services.page_version(territory, kind), states=states, forms=forms,
                  previewed=posted.get("language"), preview=posted.get("preview"))


@bp.get("/admin/legal/<kind>")
def legal_edit(kind: str) -> Response:
    return _legal_editor(_legal_kind_or_404(kind))


@bp.post("/admin/legal/<kind>/<language>")
def legal_save(kind: str, language: str) -> Response:
    """Save a language's text (a new version of the page), or only preview it (``action``)."""
    kind, language = _legal_kind_or_404(kind), _legal_language_or_404(language)
    territory = current_territory()
    form = LegalTextForm(prefix=language)
    if not form.validate_on_submit():  # the CSRF token: nothing else is checked by the form
        return _legal_editor(kind, status=400, language=language, form=form)
    body = form.body.data or ""
    problem = legal_services.text_problem(body)
    if problem:
        form.body.errors = [*form.body.errors, problem]
        return _legal_editor(kind, status=422, language=language, form=form)
    if request.form.get("action") == "preview":
        return _legal_editor(kind, language=language, form=form,
                             preview=legal_services.preview(territory, language, body))
    legal_services.save_text(territory, kind, language, body)
    flash(_("The new version of “%(page)s” (%(language)s) is published.",
            page=legal_services.TITLES[kind], language=LANGUAGE_NAMES[language]), "success")
    return see_other("admin.legal_edit", kind=kind, anchor=f"#legal-{language}")


@bp.post("/admin/legal/<kind>/<language>/reset")
def legal_reset(kind: str, language: str) -> Response:
    kind, language = _legal_kind_or_404(kind), _legal_language_or_404(language)
    if legal_services.reset_text(current_territory(), kind, language):
        flash(_("“%(page)s” (%(language)s) shows the default text again.",
                page=legal_services.TITLES[kind], language=LANGUAGE_NAMES[language]), "success")
    return see_other("admin.legal_edit", kind=kind, anchor=f"#legal-{language}")
