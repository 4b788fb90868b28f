"""Street reports, the reporter's side: filing a report (a category, a place, a description, up
to 3 photos re-encoded without their metadata), with the open reports of the same category
nearby shown first so that one can follow ("me too") instead of filing a duplicate; a report's
page (its public history, follow, reopen, and for its reporter only the private thread with the
service); the person's own reports and those they follow.

Without JavaScript the report is one form and two posts: the first ("Continue") checks it and
shows the reports nearby, the second sends it ("Send mine anyway"). The photos of the first
post are stored (re-encoded) at once and kept for this form in the session, so nothing is to
be chosen again. A hidden key made with the page makes a form sent twice one report.

The reporter is never named: not on the page, not to the service, not to followers."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, flash, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import db
from app.forms import ConfirmForm
from app.geo import PlaceError, parse_point
from app.htmx import render, see_other
from app.media.models import Media
from app.media.services import ImageError, store_image
from app.models_common import utcnow
from app.reports import bp, geocoding, services
from app.reports.forms_reporting import MessageForm, NoteForm, ReportForm
from app.reports.models import PHOTOS_MAX, REOPEN_DAYS, Report, ReportFollower, ReportPhoto
from app.territories.context import current_territory, get_scoped_or_404
from app.territories.services import in_territory

PENDING = "report_photos"  # session: {idempotency key: [media ids]} of forms not sent yet
PENDING_FORMS_MAX = 3


# --- the photos of a form not sent yet --------------------------------------------------------


def _pending(key: str) -> list[int]:
    return list((session.get(PENDING) or {}).get(key, [])) if key else []


def _keep_pending(key: str, media_ids: list[int]) -> None:
    kept = dict(session.get(PENDING) or {})
    kept.pop(key, None)
    if media_ids:
        kept[key] = media_ids
    session[PENDING] = dict(list(kept.items())[-PENDING_FORMS_MAX:])


def _drop_pending(key: str, delete: bool) -> None:
    """Forget a form's photos; ``delete``: remove them too (the person followed another report)."""
    media_ids = _pending(key)
    _keep_pending(key, [])
    if delete and media_ids:
        attached = set(db.session.scalars(select(ReportPhoto.media_id).where(ReportPhoto.media_id.in_(media_ids))))
        for media in db.session.scalars(select(Media).where(
                Media.id.in_(media_ids), Media.territory_id == current_territory().id)):
            if media.id not in attached:
                db.session.delete(media)
        db.session.commit()


def _take_photos(form: ReportForm, key: str) -> list[int]:
    """The form's photos: those kept from an earlier post (less the ones unticked) and the new
    ones, stored re-encoded. A 4th is refused (none of the new ones is kept then)."""
    kept = _pending(key)
    removed = {value for value in request.form.getlist("remove_photo")}
    kept = [media_id for media_id in kept if str(media_id) not in removed]
    uploads = [upload for upload in request.files.getlist(form.photos.name) if upload and upload.filename]
    if len(kept) + len(uploads) > PHOTOS_MAX:
        form.photos.errors = [*form.photos.errors,
                              _("At most %(max)d photos: leave out %(extra)d.", max=PHOTOS_MAX,
                                extra=len(kept) + len(uploads) - PHOTOS_MAX)]
        _keep_pending(key, kept)
        return kept
    for upload in uploads:
        try:
            kept.append(store_image(upload, current_territory().id).id)
        except ImageError as error:
            form.photos.errors = [*form.photos.errors, f"{upload.filename}: {error}"]
    db.session.commit()
    _keep_pending(key, kept)
    return kept


# --- filing -------------------------------------------------------------------------------------


def _place(form: ReportForm) -> tuple[float | None, float | None, bool] | None:
    """The point (and whether there is one): the position or a pin; with an address only, the
    point the geocoder finds for it in the territory (app.reports.geocoding), else none: the
    report keeps its address and an agent places it. None: the form says what is wrong."""
    territory = current_territory()
    if form.lat.data or form.lon.data:
        try:
            lat, lon = parse_point(form.lat.data, form.lon.data)
        except PlaceError as error:
            form.lat.errors = [*form.lat.errors, str(error)]
            return None
        if not in_territory(territory, lat, lon):
            form.lat.errors = [*form.lat.errors, _("This point is outside %(town)s.", town=territory.name)]
            return None
        return lat, lon, True
    if form.address.data:
        found = geocoding.locate(territory, form.address.data) if not form.address.errors else None
        if found is not None:  # drawn again (nearby reports), the form keeps the point found
            form.lat.data, form.lon.data = f"{found.lat:.5f}", f"{found.lon:.5f}"
            return found.lat, found.lon, True
        return None, None, False
    form.address.errors = [*form.address.errors,
                           _("Say where: use your position, click the map or type an address.")]
    return None


@bp.route("/reports/new", methods=["GET", "POST"])
@login_required
def new_report() -> Response:
    territory = current_territory()
    form = ReportForm()
    categories = services.categories(territory)
    if request.method == "GET":
        form.idempotency_key.data = str(uuid.uuid4())
        if request.args.get("category"):
            form_category = services.category_in(territory, request.args.get("category"))
            return _form_page(form, categories, form_category.id if form_category else None)
        return _form_page(form, categories, None)
    form.validate_on_submit()  # the CSRF token is checked for every POST by app.extensions.csrf
    key = "" if form.idempotency_key.errors else (form.idempotency_key.data or "")
    form.idempotency_key.errors = []  # a mangled key: the form gets a new one below
    existing = db.session.scalar(select(Report).where(
        Report.territory_id == territory.id, Report.idempotency_key == key)) if key else None
    if existing is not None:  # sent twice (a double tap, a second tab): the first one stands
        if existing.reporter_id != current_user.id:
            abort(409)
        return see_other(".show", report_id=existing.id)
    if not key:
        key = form.idempotency_key.data = str(uuid.uuid4())
    category = services.category_in(territory, request.form.get("category"))
    category_error = None if category else _("Choose what kind of problem it is.")
    place = _place(form)
    photo_ids = _take_photos(form, key)
    has_errors = bool(category_error or place is None or any(
        field.errors for field in (form.description, form.address, form.lat, form.photos)))
    if has_errors or category is None or place is None:
        return _form_page(form, categories, category.id if category else None, photo_ids=photo_ids,
                          category_error=category_error, status=422)
    lat, lon, _located = place
    if request.form.get("action") != "send" and lat is not None and lon is not None:
        nearby = services.nearby_open(territory, category, lat, lon)
        if nearby:
            return _form_page(form, categories, category.id, photo_ids=photo_ids, nearby=nearby)
    try:
        report, _created = services.file_report(territory, current_user, services.NewReport(
            category=category, lat=lat, lon=lon, description=form.description.data or "",
            address=form.address.data or "", photo_media_ids=tuple(photo_ids), idempotency_key=key))
    except services.ReportError as error:
        form.photos.errors = [*form.photos.errors, str(error)]
        return _form_page(form, categories, category.id, photo_ids=photo_ids, status=422)
    _drop_pending(key, delete=False)
    flash(_("Thank you: your report is sent to the service."), "success")
    return see_other(".show", report_id=report.id)


def _form_page(form: ReportForm, categories: list[Any], chosen: int | None, *, photo_ids: list[int] | None = None,
               category_error: str | None = None, nearby: list[Any] | None = None, status: int = 200) -> Response:
    photos = list(db.session.scalars(select(Media).where(Media.id.in_(photo_ids or []))))
    return render(
        "reports/reporting_new.html", form=form, categories=categories, chosen=chosen, photos=photos,
        category_error=category_error, nearby=nearby or [], photos_max=PHOTOS_MAX,
        has_errors=status == 422, status_label=services.status_label, status=status,
        geocoder=geocoding.configured(), outbox_owner=services.outbox_owner(current_user.id),
    )


# --- a report's page ----------------------------------------------------------------------------


def _report_or_404(report_id: int) -> Report:
    return get_scoped_or_404(Report, report_id)


def _is_reporter(report: Report) -> bool:
    return bool(current_user.is_authenticated) and report.reporter_id == current_user.id


@bp.get("/reports/<int:report_id>")
def show(report_id: int) -> Response:
    report = _report_or_404(report_id)
    return _report_page(report)


def _report_page(report: Report, note_form: NoteForm | None = None, message_form: MessageForm | None = None,
                 status: int = 200) -> Response:
    reporter = _is_reporter(report)
    sees_all_photos = reporter or services.is_agent(current_user, report)
    now = utcnow()
    merged_into = db.session.get(Report, report.merged_into_id) if report.merged_into_id else None
    return render(
        "reports/reporting_show.html", report=report, is_reporter=reporter,
        photos=[photo for photo in report.photos if photo.approved or sees_all_photos],
        history=services.history(report), overdue=report.is_overdue(now),
        following=services.is_follower(report, current_user),
        may_reopen=services.may_reopen(report, current_user, now), reopen_days=REOPEN_DAYS,
        thread=services.thread(report) if reporter else [],
        note_form=note_form or NoteForm(), message_form=message_form or MessageForm(),
        confirm=ConfirmForm(), status_label=services.status_label,
        merged_into=merged_into if merged_into is not None and merged_into.territory_id == report.territory_id else None,
        status=status,
    )


@bp.post("/reports/<int:report_id>/follow")
@login_required
def follow_report(report_id: int) -> Response:
    report = _report_or_404(report_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    discarded = request.form.get("discard", "")
    if discarded:  # followed instead of sending one's own: its photos go
        _drop_pending(discarded, delete=True)
    if _is_reporter(report):
        flash(_("This is your own report: you are told of its changes already."), "success")
    elif services.follow(report, current_user):
        flash(_("You follow this report: you will be told of its changes."), "success")
    return see_other(".show", report_id=report.id)


@bp.post("/reports/<int:report_id>/unfollow")
@login_required
def unfollow_report(report_id: int) -> Response:
    report = _report_or_404(report_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.unfollow(report, current_user)
    flash(_("You no longer follow this report."), "success")
    return see_other(".show", report_id=report.id)


@bp.post("/reports/<int:report_id>/reopen")
@login_required
def reopen_report(report_id: int) -> Response:
    report = _report_or_404(report_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _report_page(report, note_form=form, status=422)
    try:
        services.reopen(report, current_user, form.note.data or "")
    except services.ReportError as error:
        form.note.errors = [*form.note.errors, str(error)]
        return _report_page(report, note_form=form, status=403)
    flash(_("The report is open again: the service is told."), "success")
    return see_other(".show", report_id=report.id)


@bp.post("/reports/<int:report_id>/messages")
@login_required
def reply_report(report_id: int) -> Response:
    report = _report_or_404(report_id)
    if not _is_reporter(report):
        abort(404)
    form = MessageForm()
    if not form.validate_on_submit():
        return _report_page(report, message_form=form, status=422)
    try:
        services.write(report, False, current_user, form.body.data or "")
    except services.ReportError as error:
        form.body.errors = [*form.body.errors, str(error)]
        return _report_page(report, message_form=form, status=422)
    flash(_("Your answer is sent to the service."), "success")
    return see_other(".show", anchor="#thread", report_id=report.id)


# --- mine ---------------------------------------------------------------------------------------


@bp.get("/me/reports")
@login_required
def my_reports() -> Response:
    territory = current_territory()
    mine = list(db.session.scalars(select(Report).where(
        Report.territory_id == territory.id, Report.reporter_id == current_user.id,
    ).order_by(Report.updated_at.desc())))
    followed = list(db.session.scalars(select(Report).join(
        ReportFollower, ReportFollower.report_id == Report.id).where(
        Report.territory_id == territory.id, ReportFollower.user_id == current_user.id,
    ).order_by(Report.updated_at.desc())))
    return render("reports/reporting_mine.html", mine=mine, followed=followed, now=utcnow(),
                  status_label=services.status_label, outbox_owner=services.outbox_owner(current_user.id))
