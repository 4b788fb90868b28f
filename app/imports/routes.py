"""Feed subscription pages: the acting actor's (/manage/feeds) and the town's (/admin/feeds, a
feed for any actor of the town); fetching now, pausing, deleting, for whoever manages it."""

from __future__ import annotations

from flask import flash, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.accounts.permissions import town_admin_required
from app.actors.models import Actor
from app.actors.roles import acting_actor, actor_role_required
from app.extensions import db, limiter, person_key
from app.htmx import fragment_or_see_other, render, see_other
from app.imports import bp, services
from app.imports.forms import DeleteForm, SubscriptionForm, TownSubscriptionForm
from app.imports.models import FeedSubscription
from app.imports.permissions import managed_subscription_or_404
from app.security import safe_next
from app.territories.context import current_territory, scoped

# Adding a feed and "fetch now" contact the feed's server from the request: a person may not
# make the platform knock on a server again and again.
FETCH_LIMIT = "30 per hour"


def _add(form: SubscriptionForm, actor: Actor) -> FeedSubscription | None:
    """The subscription the form asks for, fetched at once; None with the form's error."""
    try:
        subscription = services.subscribe(actor, form.url.data or "", form.kind.data or "auto",
                                          form.hashtags.data or "", created_by_id=current_user.id)
    except services.SubscriptionRefused as refused:
        form.url.errors = [*form.url.errors, refused.message]
        return None
    services.fetch(subscription)  # at once, within the fetch's time limit: the person sees the outcome
    if subscription.last_error_code:
        flash(_("The feed is added, but it could not be imported: %(error)s",
                error=services.error_message(subscription)), "error")
    else:
        flash(ngettext("The feed is added: %(num)d publication imported.",
                       "The feed is added: %(num)d publications imported.", subscription.last_created), "success")
    return subscription


@bp.route("/manage/feeds", methods=["GET", "POST"])
@limiter.limit(FETCH_LIMIT, key_func=person_key, methods=["POST"])
@actor_role_required()
def manage() -> Response:
    form = SubscriptionForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and _add(form, g.actor) is not None:
            return see_other(".manage")
        status = 422
    return render("imports/manage.html", form=form, subscriptions=services.subscriptions_of(g.actor),
                  status=status)


@bp.route("/admin/feeds", methods=["GET", "POST"])
@limiter.limit(FETCH_LIMIT, key_func=person_key, methods=["POST"])
@town_admin_required
def admin() -> Response:
    territory = current_territory()
    form = TownSubscriptionForm()
    actors = list(db.session.scalars(scoped(Actor).where(Actor.status != "rejected").order_by(Actor.name)))
    form.actor_id.choices = [SelectChoice(a.id, a.name) for a in actors]
    status = 200
    if request.method == "POST":
        actor = next((a for a in actors if a.id == form.actor_id.data), None)
        if actor is None:
            form.actor_id.errors = [_("Please choose an actor of the town.")]
        elif form.validate_on_submit() and _add(form, actor) is not None:
            return see_other(".admin")
        status = 422
    return render("imports/admin.html", form=form, subscriptions=services.territory_subscriptions(territory),
                  status=status)


def _row_or_back(subscription: FeedSubscription, message: str) -> Response:
    """The feed's row again (htmx), in the list it was in (the town's names the actor), or back."""
    back = _back()
    return fragment_or_see_other("imports/_subscription.html", back, message, subscription=subscription,
                                 next_url=back, show_actor=back.startswith(url_for(".admin")))


def _back() -> str:
    fallback = url_for(".manage") if acting_actor() is not None else url_for(".admin")
    return safe_next(request.form.get("next"), fallback)


@bp.post("/manage/feeds/<int:subscription_id>/fetch")
@limiter.limit(FETCH_LIMIT, key_func=person_key)
def fetch_now(subscription_id: int) -> Response:
    subscription = managed_subscription_or_404(subscription_id)
    services.fetch(subscription)
    message = (_("Fetched.") if not subscription.last_error_code
               else _("The feed could not be imported: %(error)s", error=services.error_message(subscription)))
    return _row_or_back(subscription, message)


@bp.post("/manage/feeds/<int:subscription_id>/active")
def set_active(subscription_id: int) -> Response:
    subscription = managed_subscription_or_404(subscription_id)
    active = request.form.get("active") == "1"
    services.set_active(subscription, active)  # resumed: due at once, for the poller
    message = _("Resumed.") if active else _("Paused: nothing is imported until you resume it.")
    return _row_or_back(subscription, message)


@bp.route("/manage/feeds/<int:subscription_id>/delete", methods=["GET", "POST"])
def delete(subscription_id: int) -> Response:
    subscription = managed_subscription_or_404(subscription_id)
    form = DeleteForm()
    back = safe_next(request.values.get("next"), url_for(".manage"))
    if form.validate_on_submit():
        withdrawn = services.delete_subscription(subscription, form.imported.data == "withdraw")
        flash(_("The feed is deleted.") + (" " + _("Publications withdrawn: %(count)d.", count=withdrawn)
                                           if withdrawn else ""), "success")
        return see_other(back)
    return render("imports/delete.html", form=form, subscription=subscription, next_url=back,
                  imported=services.imported_count(subscription), status=422 if request.method == "POST" else 200)



@bp.context_processor
def _feed_helpers() -> dict[str, object]:
    return {"feed_error": services.error_message, "feed_kind_label": lambda kind: services.KIND_LABELS.get(kind, kind)}
