"""The privacy centre's pages: consents, what is held, the data archive and deleting the account.

Only ever the logged-in person's own data, in their territory: another person's consent or
export is a 404. Routes load, check, call app.privacy.services, render."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, send_file, session
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from app.accounts import consents
from app.accounts import services as accounts
from app.accounts.consents import CONSENT_LABELS
from app.accounts.permissions import own_consent_or_404
from app.campaigns.models import RECIPIENT_LINK_LIFETIME
from app.extensions import API_LIMIT, PASSWORD_FORM_LIMIT, limiter, person_key
from app.htmx import render, see_other, wants_fragment
from app.models_common import utcnow
from app.privacy import bp, exports, services, tasks
from app.privacy.erasure import erase_account
from app.privacy.forms import CHANNEL_LABELS, PURPOSE_EXPLANATIONS, DeleteAccountForm, ExportForm
from app.privacy.permissions import own_downloadable_export_or_404


def _labels() -> dict[str, Any]:
    return {
        "consent_labels": CONSENT_LABELS,
        "purpose_explanations": PURPOSE_EXPLANATIONS,
        "channel_labels": CHANNEL_LABELS,
        "withdrawable": services.withdrawable,
    }


def _centre(status: int = 200, fragment: str | None = None, **context: Any) -> Response:
    user = current_user
    context.setdefault("export_form", ExportForm(formdata=None))
    return render(
        "privacy/centre.html",
        fragment,
        status=status,
        consents=consents.consents_of(user),
        holdings=services.holdings(user),
        export=exports.latest_export(user),
        now=utcnow(),
        live_minutes=services.live_cell_lifetime_minutes(),
        delivery_days=RECIPIENT_LINK_LIFETIME.days,
        **_labels(),
        **context,
    )


@bp.get("/me/privacy")
@login_required
def centre() -> Response:
    return _centre()


# --- consents --------------------------------------------------------------------------------


@bp.post("/me/privacy/consents/<int:consent_id>/withdraw")
@login_required
def withdraw_consent(consent_id: int) -> Response:
    consent = own_consent_or_404(consent_id)
    # Withdrawing live location deletes the live cell in the same transaction
    # (app.places' listener on Consent).
    withdrawn = consents.withdraw_consent(current_user, consent.id)
    if wants_fragment():
        return render(
            "privacy/centre.html",
            "privacy/_consent_withdrawn.html",
            consent=consent,
            holdings=services.holdings(current_user),
            live_minutes=services.live_cell_lifetime_minutes(),
            delivery_days=RECIPIENT_LINK_LIFETIME.days,
            **_labels(),
        )
    if withdrawn:
        flash(_("Your consent is withdrawn."), "success")
    return see_other("privacy.centre", "#consents")


# --- the data archive ------------------------------------------------------------------------


@bp.post("/me/privacy/export")
@login_required
@limiter.limit(PASSWORD_FORM_LIMIT)
def request_export() -> Response:
    form = ExportForm()
    if form.validate_on_submit():
        if accounts.check_password(current_user, form.password.data):
            export, created = exports.request_export(current_user)
            if created:
                tasks.build_export(export.id)
            if wants_fragment():
                return _centre(fragment="privacy/_export.html")
            flash(_("Your archive is being prepared."), "success")
            return see_other("privacy.centre", "#export")
        form.password.errors.append(_("This is not your password."))
    return _centre(422, "privacy/_export.html", export_form=form)


@bp.get("/me/privacy/export/status")
@login_required
@limiter.limit(API_LIMIT, key_func=person_key)
def export_status() -> Response:
    """The progress of the latest export, polled (htmx) while it is being built."""
    if not wants_fragment():
        return see_other("privacy.centre", "#export")
    return render(
        "privacy/_export.html",
        export=exports.latest_export(current_user),
        export_form=ExportForm(formdata=None),
        now=utcnow(),
    )


@bp.get("/me/privacy/export/<int:export_id>/download")
@login_required
def download_export(export_id: int) -> Response:
    export = own_downloadable_export_or_404(export_id)
    path = exports.export_path(export)
    if not path.is_file():
        abort(404)
    assert export.ready_at is not None
    response = send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"my-data-{export.ready_at:%Y-%m-%d}.zip",
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- deleting the account --------------------------------------------------------------------


@bp.route("/me/privacy/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(PASSWORD_FORM_LIMIT, methods=["POST"])
def delete_account() -> Response:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if accounts.check_password(current_user, form.password.data):
            user = current_user._get_current_object()  # type: ignore[attr-defined]
            erase_account(user)
            logout_user()
            language = session.get("language")
            session.clear()
            if language:
                session["language"] = language
            flash(_("Your account has been deleted."), "success")
            return see_other("feed.for_you")
        form.password.errors.append(_("This is not your password."))
    return render(
        "privacy/delete.html",
        form=form,
        holdings=services.holdings(current_user),
        status=422 if form.errors else 200,
    )
