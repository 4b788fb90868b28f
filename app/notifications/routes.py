"""Notifications, the citizen's side: the settings page (channels, mutes, cap, quiet hours),
the push subscription API used by static/js/push.js and the service worker, the in-app inbox
with its unread badge, and the routes messages link to (open, click, mute, unsubscribe).

Routes load, check, call app.notifications.services, render. Token routes act without a log-in
(the signed token is the capability) and only for an object of the request's territory."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import abort, flash, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts.models import User
from app.actors.models import Actor
from app.extensions import API_LIMIT, csrf, db, limiter, person_key
from app.forms import ConfirmForm
from app.htmx import render, see_other, wants_fragment
from app.notifications import bp, services
from app.notifications.forms import (
    CodeForm,
    EmailForm,
    LimitsForm,
    MuteHashtagForm,
    PhoneForm,
)
from app.notifications.models import DEFAULT_QUIET_END, DEFAULT_QUIET_START
from app.security import safe_next
from app.sms import SmsError
from app.territories.context import current_territory, get_scoped_or_404
from app.territories.models import Hashtag
from app.territories.scoping import belongs
from app.webpush import vapid_public_key

PAGE = "notifications/settings.html"
SMS_RATE_LIMIT = "5 per hour"


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[attr-defined,no-any-return]



# --- the settings page -----------------------------------------------------------------------


def _limits_form(settings: Any) -> LimitsForm:
    quiet = bool(settings.quiet_start and settings.quiet_end)
    return LimitsForm(
        formdata=None,
        data={
            "daily_cap": settings.daily_cap,
            "quiet_enabled": quiet,
            "quiet_start": settings.quiet_start or DEFAULT_QUIET_START,
            "quiet_end": settings.quiet_end or DEFAULT_QUIET_END,
        },
    )


def _hashtag_form(formdata: Any = None) -> MuteHashtagForm:
    form = MuteHashtagForm(formdata=formdata) if formdata is not None else MuteHashtagForm(formdata=None)
    muted = {h.id for h in services.muted_hashtags(_user())}
    form.hashtag.choices = [(None, _("Choose a hashtag"))] + [
        (h.id, h.label)
        for h in db.session.scalars(
            select(Hashtag)
            .where(belongs(Hashtag, current_territory()), Hashtag.active.is_(True))
            .order_by(Hashtag.tag)
        )
        if h.id not in muted
    ]
    return form


def _page(status: int = 200, fragment: str | None = None, **forms: Any) -> Response:
    user = _user()
    settings = services.settings_of(user)
    db.session.commit()  # keeps the settings row created with the defaults
    context = {
        "settings": settings,
        "limits_form": forms.get("limits_form") or _limits_form(settings),
        "email_form": forms.get("email_form")
        or EmailForm(formdata=None, prefix="email", data={"enabled": settings.email_enabled}),
        "phone_form": forms.get("phone_form") or PhoneForm(formdata=None),
        "code_form": forms.get("code_form") or CodeForm(formdata=None),
        "hashtag_form": forms.get("hashtag_form") or _hashtag_form(),
        "push_devices": services.subscription_count(user),
        "muted_actors": services.muted_actors(user),
        "muted_hashtags": services.muted_hashtags(user),
        "timezone": current_territory().timezone,
        "vapid_public_key": vapid_public_key(),
    }
    return render(PAGE, fragment, status=status, **context)


@bp.get("/me/notifications")
@login_required
def settings() -> Response:
    return _page()


@bp.post("/me/notifications/limits")
@login_required
def save_limits() -> Response:
    form = LimitsForm()
    if not form.validate_on_submit():
        return _page(422, "notifications/_limits.html", limits_form=form)
    services.set_limits(
        _user(),
        services.Limits(
            daily_cap=form.daily_cap.data or 0,
            quiet_start=form.quiet_start.data if form.quiet_enabled.data else None,
            quiet_end=form.quiet_end.data if form.quiet_enabled.data else None,
        ),
    )
    flash(_("Your limits are saved."), "success")
    return see_other("notifications.settings", "#limits")


@bp.post("/me/notifications/email")
@login_required
def save_email() -> Response:
    form = EmailForm(prefix="email")
    if form.validate_on_submit():
        try:
            services.set_email(_user(), bool(form.enabled.data))
        except services.ChannelError as error:
            form.enabled.errors = [error.message]
        else:
            flash(
                _("You will receive messages by e-mail.")
                if form.enabled.data
                else _("You will no longer receive messages by e-mail."),
                "success",
            )
            return see_other("notifications.settings", "#email")
    return _page(422, "notifications/_email.html", email_form=form)


@bp.post("/me/notifications/sms/code")
@login_required
@limiter.limit(SMS_RATE_LIMIT)
def sms_send_code() -> Response:
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            services.send_phone_code(_user(), form.phone.data)
        except services.PhoneError as error:
            form.phone.errors = [error.message]
        except SmsError:
            form.phone.errors = [_("We could not send the SMS just now. Try again later.")]
        else:
            flash(_("We sent you a code by SMS. It works for 10 minutes."), "success")
            return see_other("notifications.settings", "#sms")
    return _page(422, "notifications/_sms.html", phone_form=form)


@bp.post("/me/notifications/sms/confirm")
@login_required
def sms_confirm() -> Response:
    form = CodeForm()
    # No code asked for (a stale page): confirm_phone says so, above the number field.
    if form.validate_on_submit() or not services.settings_of(_user()).pending_phone:
        try:
            services.confirm_phone(_user(), form.code.data)
        except services.PhoneError as error:
            form.code.errors = [error.message]
        else:
            flash(_("Your number is confirmed: SMS is on."), "success")
            return see_other("notifications.settings", "#sms")
    return _page(422, "notifications/_sms.html", code_form=form)


@bp.post("/me/notifications/sms/off")
@login_required
def sms_off() -> Response:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_sms_off(_user())
    flash(_("SMS is off and your number is forgotten."), "success")
    return see_other("notifications.settings", "#sms")


# --- web push: the JSON API of static/js/push.js and the service worker ----------------------


def _json_error(message: str, status: int = 422) -> Response:
    response = jsonify({"ok": False, "message": message})
    response.status_code = status
    return response


def _push_state(message: str) -> Response:
    user = _user()
    return jsonify(
        {
            "ok": True,
            "message": message,
            "push_enabled": services.settings_of(user).push_enabled,
            "devices": services.subscription_count(user),
        }
    )


def _subscription_payload() -> tuple[Any, str | None]:
    """The browser's subscription JSON, bare ({endpoint, keys}) or wrapped
    ({subscription: {...}, old_endpoint: "..."})."""
    data = request.get_json(silent=True)
    if data is None:
        return None, None
    if isinstance(data, dict) and "subscription" in data:
        old = data.get("old_endpoint")
        return data["subscription"], old if isinstance(old, str) else None
    return data, None


@bp.post("/me/notifications/push/subscription")
@login_required
@limiter.limit(API_LIMIT, key_func=person_key)
def push_subscribe() -> Response:
    """Register this browser (CSRF header required, sent by push.js)."""
    data, old_endpoint = _subscription_payload()
    if data is None:
        return _json_error(_("This push subscription is malformed."), 400)
    try:
        services.register_subscription(_user(), data, replaces_endpoint=old_endpoint)
    except services.SubscriptionError as error:
        return _json_error(error.message)
    return _push_state(_("Web push is on for this browser."))


@bp.post("/me/notifications/push/resubscribe")
@csrf.exempt
@login_required
@limiter.limit(API_LIMIT, key_func=person_key)
def push_resubscribe() -> Response:
    """The service worker's pushsubscriptionchange: {subscription, old_endpoint}. It has the
    cookies but no CSRF token; a cross-site page cannot send it either: JSON only (a cross-site
    JSON request needs a CORS preflight we never grant), same origin only, and the old endpoint
    (a secret of this browser) must be one of the person's subscriptions."""
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        abort(403)
    if not request.is_json:
        return _json_error(_("This push subscription is malformed."), 415)
    data, old_endpoint = _subscription_payload()
    if data is None or not old_endpoint:
        return _json_error(_("This push subscription is malformed."), 400)
    if services.find_own_subscription(_user(), old_endpoint) is None:
        abort(404)
    try:
        services.register_subscription(_user(), data, replaces_endpoint=old_endpoint)
    except services.SubscriptionError as error:
        return _json_error(error.message)
    return _push_state(_("Web push is on for this browser."))


@bp.post("/me/notifications/push/unsubscribe")
@login_required
@limiter.limit(API_LIMIT, key_func=person_key)
def push_unsubscribe() -> Response:
    """JSON {endpoint} from push.js: forget this browser. A plain form (no JavaScript): switch
    web push off on every device."""
    if request.is_json:
        data = request.get_json(silent=True) or {}
        endpoint = data.get("endpoint") if isinstance(data, dict) else None
        services.delete_subscription(_user(), endpoint or "")
        return _push_state(_("Web push is off for this browser."))
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    services.set_push(_user(), False)
    flash(_("Web push is off on all your devices."), "success")
    return see_other("notifications.settings", "#push")


# --- mutes -----------------------------------------------------------------------------------


def _mute_flash(message: str) -> None:
    """Only for a whole page: the in-place list shows the change itself."""
    if not wants_fragment():
        flash(message, "success")


def _after_mute(anchor: str = "#mutes") -> Response:
    if wants_fragment():
        return _page(200, "notifications/_mutes.html")
    fallback = url_for("notifications.settings") + anchor
    return see_other(safe_next(request.form.get("next"), fallback))


@bp.post("/me/notifications/mutes/actors/<int:actor_id>")
@login_required
def mute_actor(actor_id: int) -> Response:
    actor = get_scoped_or_404(Actor, actor_id)
    services.mute_actor(_user(), actor)
    _mute_flash(_("You will receive no more messages from %(name)s.", name=actor.name))
    return _after_mute()


@bp.post("/me/notifications/mutes/actors/<int:actor_id>/unmute")
@login_required
def unmute_actor(actor_id: int) -> Response:
    actor = get_scoped_or_404(Actor, actor_id)
    services.unmute_actor(_user(), actor.id)
    _mute_flash(_("%(name)s can reach you again.", name=actor.name))
    return _after_mute()


@bp.post("/me/notifications/mutes/hashtags")
@login_required
def mute_hashtag() -> Response:
    form = _hashtag_form(request.form)
    if not form.validate_on_submit():
        return _page(422, "notifications/_mutes.html", hashtag_form=form)
    hashtag = get_scoped_or_404(Hashtag, form.hashtag.data)
    services.mute_hashtag(_user(), hashtag)
    _mute_flash(_("No more messages about %(tag)s.", tag=hashtag.label))
    return _after_mute()


@bp.post("/me/notifications/mutes/hashtags/<int:hashtag_id>/unmute")
@login_required
def unmute_hashtag(hashtag_id: int) -> Response:
    hashtag = get_scoped_or_404(Hashtag, hashtag_id)
    services.unmute_hashtag(_user(), hashtag.id)
    _mute_flash(_("Messages about %(tag)s can reach you again.", tag=hashtag.label))
    return _after_mute()


@bp.app_template_global()
def actor_is_muted(actor_id: int) -> bool:
    """For an actor's page: whether the logged-in person muted it."""
    if not current_user.is_authenticated:
        return False
    return services.is_actor_muted(_user(), actor_id)
