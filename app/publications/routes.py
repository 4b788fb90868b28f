"""Publication routes: the acting actor's tools (/manage/publications...) and the public page.

Every tool route is scoped twice: to the territory (another territory's publication is a 404)
and to the acting actor, ``g.actor`` (another actor's publication is a 404 too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import abort, current_app, flash, g, render_template, request, url_for
from flask_babel import format_date, format_datetime, format_time, get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from app import changes
from app.actors.roles import actor_role_required
from app.extensions import db
from app.fragments import remember
from app.htmx import fragment_or_see_other, render, see_other
from app.media.services import ImageError, store_image
from app.models_common import staggered_minute, utcnow
from app.publications import bp, recurrence, services
from app.publications.forms import FORMS, KIND_FIELDS, EventForm, PublicationForm
from app.publications.models import PUBLICATION_KINDS, PUBLICATION_STATUSES, Publication
from app.publications.permissions import can_edit, can_view, own_publication_or_404
from app.security import safe_next
from app.territories.context import current_territory
from app.territories.services import active_hashtags


@bp.get("/manage/publications")
@actor_role_required()
def manage() -> Response:
    status = request.args.get("status", "")
    if status not in PUBLICATION_STATUSES:
        status = ""
    return render(
        "publications/manage.html",
        publications=services.actor_publications(g.actor, status or None),
        current_status=status,
        counts=services.status_counts(g.actor),
    )


@bp.route("/manage/publications/new", methods=["GET", "POST"])
@actor_role_required()
def new() -> Response:
    kind = request.args.get("kind", "")
    if kind not in PUBLICATION_KINDS:
        return render("publications/choose_kind.html", kinds=PUBLICATION_KINDS)
    form = FORMS[kind]()
    if request.method == "GET" and kind == "offer":
        form.valid_from.data = utcnow()
    publishing = request.form.get("action") == "publish"
    if form.validate_on_submit() and _welcome_offer_may_go(form, publishing):
        image_id = _stored_image_id(form)
        if not form.image.errors:
            publication = services.create_publication(
                g.actor,
                kind,
                created_by_id=current_user.id,
                hashtags=form.resolved_hashtags,
                image_media_id=image_id,
                status="published" if request.form.get("action") == "publish" else "draft",
                **_kind_data(form, kind),
            )
            flash(
                _("Published.") if publication.status == "published" else _("Draft saved."),
                "success",
            )
            if kind == "poll":  # next: its questions (app.polls)
                return see_other("polls.questions", poll_id=publication.id)
            return see_other(".manage")
    return _form_page(form, kind, None)


@bp.route("/manage/publications/<int:publication_id>/edit", methods=["GET", "POST"])
@actor_role_required()
def edit(publication_id: int) -> Response:
    publication = own_publication_or_404(publication_id)
    form = FORMS[publication.kind](obj=publication if request.method == "GET" else None)
    if request.method == "GET":
        form.hashtags.data = " ".join(h.label for h in publication.hashtags)
        if publication.kind == "event":
            form.show_repeat(publication.rrule, current_territory())
        if publication.kind == "offer":
            form.welcome_population_types.data = publication.welcome_population_type_list
    publishing = request.form.get("action") == "publish" or publication.status == "published"
    if form.validate_on_submit() and _welcome_offer_may_go(form, publishing):
        image_id = _stored_image_id(form)
        if not form.image.errors:
            services.update_publication(
                publication,
                hashtags=form.resolved_hashtags,
                image_media_id=image_id,
                remove_image=form.remove_image.data,
                **_kind_data(form, publication.kind),
            )
            if request.form.get("action") == "publish" and publication.status != "published":
                services.set_status(publication, "published")
                flash(_("Published."), "success")
            else:
                flash(_("Changes saved."), "success")
            return see_other(".manage")
    return _form_page(form, publication.kind, publication)


@bp.post("/manage/publications/<int:publication_id>/status")
@actor_role_required()
def set_status(publication_id: int) -> Response:
    publication = own_publication_or_404(publication_id)
    status = request.form.get("status", "")
    if status not in PUBLICATION_STATUSES:
        abort(400)
    back = safe_next(request.form.get("next"), url_for(".manage"), within="/manage/publications")
    if status == "published" and publication.is_welcome_offer and not g.actor.is_verified:
        message = str(WELCOME_OFFER_WAITS)
    else:
        services.set_status(publication, status)
        message = _STATUS_MESSAGES[status]()
    return fragment_or_see_other(
        "publications/_manage_row.html", back, message, publication=publication
    )


WELCOME_OFFER_WAITS = _l(
    "A welcome offer can be published once the town has verified your page: "
    "keep it as a draft until then."
)


def _welcome_offer_may_go(form: PublicationForm, publishing: bool) -> bool:
    """Until the town verifies the actor, a welcome offer stays a draft (the form says why)."""
    welcome = getattr(form, "is_welcome_offer", None)
    if welcome is not None and welcome.data and publishing and not g.actor.is_verified:
        welcome.errors = [*welcome.errors, WELCOME_OFFER_WAITS]
        return False
    return True


@bp.post("/manage/publications/<int:publication_id>/cancel")
@actor_role_required()
def cancel(publication_id: int) -> Response:
    publication = _own_event_or_404(publication_id)
    services.cancel(publication)
    flash(_("The event is cancelled: it stays listed as such."), "success")
    return see_other(".edit", publication_id=publication.id)


@bp.post("/manage/publications/<int:publication_id>/uncancel")
@actor_role_required()
def uncancel(publication_id: int) -> Response:
    publication = _own_event_or_404(publication_id)
    services.uncancel(publication)
    flash(_("The event takes place again."), "success")
    return see_other(".edit", publication_id=publication.id)


@bp.post("/manage/publications/<int:publication_id>/occurrences/cancel")
@actor_role_required()
def cancel_occurrence(publication_id: int) -> Response:
    publication = _own_event_or_404(publication_id)
    try:
        moment = datetime.fromisoformat(request.form.get("occurrence", ""))
    except ValueError:
        abort(400)
    if moment.tzinfo is None or not services.cancel_occurrence(publication, moment.astimezone(UTC)):
        abort(400)
    flash(_("This date is cancelled."), "success")
    return see_other(".edit", publication_id=publication.id)


def _own_event_or_404(publication_id: int) -> Publication:
    publication = own_publication_or_404(publication_id)
    if publication.kind != "event":
        abort(404)
    return publication


_STATUS_MESSAGES = {
    "published": lambda: _("Published."),
    "archived": lambda: _("Archived."),
    "draft": lambda: _("Moved back to drafts."),
}


@bp.get("/p/<int:publication_id>")
def show(publication_id: int) -> Response:
    publication = services.publication_for_page(current_territory().id, publication_id)
    if publication is None:
        abort(404)
    if not can_view(current_user, publication):
        abort(404)
    if publication.kind == "poll":  # a poll's page is where people answer it (app.polls)
        return see_other("polls.show", poll_id=publication.id)
    now = utcnow()

    def body() -> str:
        next_dates: list[Any] = []
        if publication.rrule:
            next_dates = recurrence.occurrences(
                publication, current_territory(), now, now + UPCOMING_WINDOW
            )[:5]
        return render_template(
            "publications/_page_body.html", publication=publication, next_dates=next_dates
        )

    # What the page says is the same for everybody who may see it: rendered once and kept
    # (app.fragments) while the feed data is unchanged in any process of this machine's
    # instance, and for the minute at most, each publication's own (a recurring event's next
    # dates; a change made on another machine). Whether it is public (the notice its members see otherwise) is in the key
    # too. Who may see it is checked above, at each request.
    key = (
        publication.id,
        changes.version("feed", db.engine),
        publication.is_visible,
        staggered_minute(("publication", publication.id)),
    )
    return render(
        "publications/show.html",
        publication=publication,
        publication_body=remember("publication-page", key, body),
        can_edit=can_edit(current_user, publication),
    )


# How far ahead the next dates of a recurring event are looked for (its editor cancels them one by one).
UPCOMING_WINDOW = timedelta(days=3660)


# --- helpers ----------------------------------------------------------------------------------


def _kind_data(form: PublicationForm, kind: str) -> dict[str, Any]:
    data = {name: getattr(form, name).data for name in KIND_FIELDS[kind]}
    if isinstance(form, EventForm):
        data["rrule"] = form.repeat_choice().rrule(form.starts_at.data, current_territory())
    return data


def _stored_image_id(form: PublicationForm) -> int | None:
    """Store the uploaded image, if any; a refused one puts its error next to the field."""
    upload = form.image.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    try:
        return store_image(upload, current_territory().id).id
    except ImageError as error:
        db.session.rollback()
        form.image.errors = [*form.image.errors, str(error)]
        return None


def _form_page(form: PublicationForm, kind: str, publication: Publication | None) -> Response:
    status = 422 if request.method == "POST" else 200
    upcoming: list[Any] = []
    if publication is not None and publication.rrule:
        now = utcnow()
        upcoming = recurrence.occurrences(
            publication, current_territory(), now, now + UPCOMING_WINDOW
        )[:12]
    return render(
        "publications/form.html",
        upcoming_occurrences=upcoming,
        form=form,
        kind=kind,
        publication=publication,
        catalogue=active_hashtags(current_territory()),
        status=status,
    )


# --- template helpers shared with the feed and actor pages --------------------------------

# Date lines, per process: a line depends only on the dates below, the language and the time
# zone (never on the time of the request), and formatting them (Babel) was a large part of the
# lists that show many (Near me).
_date_lines: dict[tuple[Any, ...], str] = {}
_MAX_DATE_LINES = 20_000


@bp.app_template_global()
def publication_date_line(publication: Publication) -> str:
    """One line saying when: an event's dates, an offer's end of validity, news's date."""
    key = (
        publication.kind,
        publication.starts_at,
        publication.ends_at,
        publication.valid_until,
        publication.published_at,
        publication.created_at,
        str(get_locale()),
        str(get_timezone()),
        id(current_app._get_current_object()),  # type: ignore[attr-defined]
    )
    line = _date_lines.get(key)
    if line is None:
        if len(_date_lines) >= _MAX_DATE_LINES:
            _date_lines.clear()
        line = _date_lines[key] = _date_line(publication)
    return line


def _date_line(publication: Publication) -> str:
    if publication.kind in ("event", "poll") and publication.starts_at:
        start, end = publication.starts_at, publication.ends_at
        if end is None:
            return format_datetime(start, "medium")
        if format_date(start, "short") == format_date(end, "short"):
            return _(
                "%(date)s, %(start)s – %(end)s",
                date=format_date(start, "full"),
                start=format_time(start, "short"),
                end=format_time(end, "short"),
            )
        return _(
            "From %(start)s to %(end)s",
            start=_date_time(start),
            end=_date_time(end),
        )
    if publication.kind == "offer" and publication.valid_until:
        return _("Valid until %(date)s", date=_date_time(publication.valid_until))
    if publication.kind == "poll" and publication.valid_until:
        return _("Answers until %(date)s", date=_date_time(publication.valid_until))
    when = publication.published_at or publication.created_at
    return _("Published on %(date)s", date=format_date(when, "long")) if when else ""


@bp.app_template_global()
def publication_validity_line(publication: Publication) -> str:
    """An offer's whole validity window."""
    if publication.valid_from and publication.valid_until:
        return _(
            "From %(start)s to %(end)s",
            start=_date_time(publication.valid_from),
            end=_date_time(publication.valid_until),
        )
    return publication_date_line(publication)


def _date_time(value: Any) -> str:
    return _(
        "%(date)s at %(time)s", date=format_date(value, "full"), time=format_time(value, "short")
    )


@bp.app_template_global()
def publication_kind_label(kind: str) -> str:
    return {"news": _("News"), "event": _("Event"), "offer": _("Offer"), "poll": _("Poll")}.get(
        kind, kind
    )


@bp.app_template_global()
def publication_status_label(status: str) -> str:
    return {"draft": _("Draft"), "published": _("Published"), "archived": _("Archived")}.get(
        status, status
    )
