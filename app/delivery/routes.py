"""What the links of a message do, without a log-in: record the open (the service worker) and the
click (then go to the message's page), mute the actor, unsubscribe a channel (RFC 8058)."""

from __future__ import annotations

from flask import abort, request
from werkzeug.wrappers import Response

from app.accounts.models import User
from app.campaigns.models import Campaign
from app.delivery import bp, tokens, tracking
from app.delivery.links import message_path
from app.delivery.permissions import message_actor_or_404, message_delivery_or_404
from app.extensions import API_LIMIT, csrf, db, limiter, person_key
from app.htmx import is_htmx, render, see_other
from app.notifications import services as notifications
from app.territories.context import current_territory
from app.territories.scoping import same_territory

UNSUBSCRIBABLE = ("email", "sms")


@bp.post("/n/open/<token>")
@csrf.exempt
@limiter.limit(API_LIMIT, key_func=person_key)
def open_message(token: str) -> Response:
    """The service worker's notificationclick: the push was opened (recorded once)."""
    delivery = message_delivery_or_404(token)
    tracking.record_open(delivery.id)
    db.session.commit()
    return Response(status=204)


@bp.get("/r/<token>")
def click(token: str) -> Response:
    """A link in a message: record the click, then go to the campaign's page on this site."""
    delivery = message_delivery_or_404(token)
    campaign = db.session.get(Campaign, delivery.campaign_id)
    if campaign is None or not same_territory(campaign, delivery):
        abort(404)
    tracking.record_click(delivery.id)
    response = see_other(message_path(campaign))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/n/mute/<token>", methods=["GET", "POST"])
@csrf.exempt
def mute_from_message(token: str) -> Response:
    """"Mute this actor" from a push action (the service worker POSTs) or a confirmation page."""
    delivery = message_delivery_or_404(token)
    user = tracking.delivery_user(delivery)
    if user is None:
        abort(404)
    actor = message_actor_or_404(delivery)
    if request.method == "POST":
        notifications.mute_actor(user, actor)
        if request.headers.get("Sec-Fetch-Dest") == "empty" and not is_htmx():
            return Response(status=204)  # the service worker's fetch
        return render("delivery/muted.html", actor=actor, done=True, token=token)
    return render(
        "delivery/muted.html",
        actor=actor,
        done=notifications.is_actor_muted(user, actor.id),
        token=token,
    )


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> Response:
    """One-click unsubscribe (RFC 8058: the mail client POSTs without any token of ours) and
    the page the e-mail's link opens, with a button (a link scanner's GET changes nothing).
    A link that no longer works (expired, revoked, an old-style one) says so, and where to go."""
    value = tokens.read_unsubscribe_token(token)
    if value is None or value[1] not in UNSUBSCRIBABLE:
        return render("delivery/unsubscribe_expired.html", status=400)
    user = db.session.get(User, value[0])
    if user is None:  # the account was deleted
        return render("delivery/unsubscribe_expired.html", status=400)
    if not same_territory(user, current_territory()):
        abort(404)
    channel = value[1]
    if request.method == "POST":
        notifications.switch_off(user, channel, detail="unsubscribe link")
        return render("delivery/unsubscribed.html", channel=channel, done=True, token=token)
    enabled = notifications.channel_enabled(notifications.settings_of(user), channel)
    db.session.commit()
    return render("delivery/unsubscribed.html", channel=channel, done=not enabled, token=token)
