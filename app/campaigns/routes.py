"""Campaign routes: the acting actor's campaigns (/manage/campaigns...).

Scoped twice, like publications: another territory's campaign is a 404, and so is another
actor's (its editors cannot tell it exists). The audience is only ever shown as an estimate
(app.campaigns.audience) and the statistics as aggregates (app.campaigns.stats)."""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, g, request
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from app.actors.roles import actor_role_required
from app.campaigns import bp, services, stats
from app.campaigns.audience import AudienceEstimate, estimate, run_audience
from app.campaigns.criteria import CriteriaError, parse_criteria
from app.campaigns.forms import STEPS, CampaignForm, channel_label, weekday_names
from app.campaigns.models import BODY_MAX, TITLE_MAX, Campaign
from app.campaigns.permissions import can_send_alerts, own_campaign_or_404
from app.extensions import API_LIMIT, acting_actor_key, configured_limit, limiter, person_key
from app.htmx import render, render_fragment, see_other
from app.models_common import utcnow
from app.releases.floor import anonymity_floor
from app.territories.context import current_territory
from app.territories.services import active_hashtags, neighbourhoods

log = logging.getLogger(__name__)


def _form(**kwargs: Any) -> CampaignForm:
    territory = current_territory()
    return CampaignForm(
        g.actor, territory, active_hashtags(territory), neighbourhoods(territory), **kwargs
    )


@bp.get("/manage/campaigns")
@actor_role_required()
def manage() -> Response:
    return render("campaigns/manage.html", campaigns=services.actor_campaigns(g.actor))


@bp.route("/manage/campaigns/new", methods=["GET", "POST"])
@actor_role_required()
@limiter.limit(configured_limit("RATELIMIT_CAMPAIGN_ACTOR"), methods=["POST"], key_func=acting_actor_key,
               deduct_when=lambda response: response.status_code == 303)
@limiter.limit(configured_limit("RATELIMIT_CAMPAIGN_ADDRESS"), methods=["POST"],
               deduct_when=lambda response: response.status_code == 303)
def new() -> Response:
    form = _form()
    if request.method == "GET":
        form.channels.data = ["push", "inbox"]
        wanted = request.args.get("publication_id", "")  # "Invite people" from a poll or a publication
        if wanted.isdigit() and any(str(choice.value) == wanted for choice in form.link.choices or []):
            form.link.data = wanted
    return _save(form, None)


@bp.route("/manage/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@actor_role_required()
def edit(campaign_id: int) -> Response:
    campaign = own_campaign_or_404(campaign_id)
    if campaign.status not in services.EDITABLE_STATUSES:
        flash(_("This campaign went out: it can no longer be changed."), "error")
        return see_other(".show", campaign_id=campaign.id)
    form = _form()
    if request.method == "GET":
        form.fill_from(campaign)
    return _save(form, campaign)


def _save(form: CampaignForm, campaign: Campaign | None) -> Response:
    audience: AudienceEstimate | None = None
    if request.method == "POST":
        valid = form.validate_on_submit()
        if form.criteria is not None:
            audience = estimate(current_territory(), g.actor, form.criteria)
        sending = request.form.get("action") != "draft"
        if sending and not g.actor.is_verified:
            # Not an error: the campaign is kept as a draft, to be sent once verified.
            sending = False
            unverified = True
        else:
            unverified = False
        if valid and sending and audience is not None and not audience.can_send:
            form.criteria_errors.append(
                _("Fewer than %(floor)d people match these criteria: widen them to send.",
                  floor=_floor())
            )
            valid = False
        if valid:
            campaign = services.save_campaign(g.actor, current_user.id, form.draft(), campaign)
            if unverified:
                flash(_("Draft saved. It can be sent once the town has verified your page."), "error")
                return see_other(".manage")
            if not sending:
                flash(_("Draft saved."), "success")
                return see_other(".manage")
            return _send(campaign)
    elif campaign is not None and form.criteria is None:
        try:
            criteria = parse_criteria(campaign.criteria, current_territory())
            audience = estimate(current_territory(), g.actor, criteria) if criteria.rules else None
        except CriteriaError:
            audience = None
    return render(
        "campaigns/form.html",
        form=form,
        campaign=campaign,
        audience=audience,
        can_alert=can_send_alerts(g.actor),
        title_max=TITLE_MAX,
        body_max=BODY_MAX,
        steps=STEPS,
        start_step=form.step_with_errors() if request.method == "POST" else None,
        status=422 if request.method == "POST" else 200,
    )


def _send(campaign: Campaign) -> Response:
    run = services.schedule_campaign(campaign, utcnow())
    if run is not None and run.status == "refused":
        flash(_("Fewer than %(floor)d people match these criteria now: nothing was sent.", floor=_floor()), "error")
    elif run is not None:
        flash(_("The campaign is on its way."), "success")
    elif campaign.status == "scheduled":
        flash(_("The campaign is scheduled."), "success")
    return see_other(".show", campaign_id=campaign.id)


def _floor() -> int:
    return anonymity_floor(current_territory())


@bp.post("/manage/campaigns/estimate")
@actor_role_required()
@limiter.limit(API_LIMIT, key_func=person_key)
def estimate_audience() -> Response:
    """The audience of the criteria being chosen, for the form's in-place estimate (htmx)."""
    form = _form()
    criteria = form.parse_criteria()
    audience = estimate(current_territory(), g.actor, criteria) if criteria is not None else None
    bad_input = any(field.errors for field in form.criteria_fields())
    return render(
        "campaigns/_estimate.html",
        form=form,
        audience=audience,
        live=True,
        status=422 if bad_input else 200,
    )


@bp.post("/manage/campaigns/preview")
@actor_role_required()
@limiter.limit(API_LIMIT, key_func=person_key)
def preview() -> Response:
    """The push notification as it will look, while the title and the text are typed (htmx)."""
    return render_fragment("campaigns/_push_preview.html", form=_form())


@bp.post("/manage/campaigns/review")
@actor_role_required()
@limiter.limit(API_LIMIT, key_func=person_key)
def review() -> Response:
    """The composer's last step: every choice in words, and what must be fixed before sending.
    Counts nobody: the estimate beside it is the one the criteria asked for."""
    form = _form()
    form.validate()
    return render_fragment("campaigns/_step_review.html", form=form, reviewed=True)


@bp.get("/manage/campaigns/<int:campaign_id>")
@actor_role_required()
def show(campaign_id: int) -> Response:
    campaign = own_campaign_or_404(campaign_id)
    territory = current_territory()
    figures = stats.channel_figures(campaign, territory)
    buckets = stats.timeline(campaign, territory) if figures else []
    return render(
        "campaigns/show.html",
        campaign=campaign,
        criteria_lines=_criteria_lines(campaign),
        sending=stats.sending_run(campaign),
        progress=_progress_of(campaign),
        figures=figures,
        channel_chart=stats.channel_chart(figures) if figures else None,
        timeline_chart=stats.timeline_chart(buckets) if buckets else None,
        runs=[(run, run_audience(run) if run.status != "refused" else None) for run in campaign.runs],
    )


@bp.get("/manage/campaigns/<int:campaign_id>/progress")
@actor_role_required()
@limiter.limit(API_LIMIT, key_func=person_key)
def progress(campaign_id: int) -> Response:
    campaign = own_campaign_or_404(campaign_id)
    return render(
        "campaigns/_progress.html",
        "campaigns/_progress.html",
        campaign=campaign,
        progress=_progress_of(campaign),
    )


def _progress_of(campaign: Campaign) -> stats.Progress | None:
    run = stats.sending_run(campaign) or (campaign.runs[-1] if campaign.runs else None)
    if run is None or run.status == "refused":
        return None
    return stats.run_progress(run, current_territory())


@bp.post("/manage/campaigns/<int:campaign_id>/cancel")
@actor_role_required()
def cancel(campaign_id: int) -> Response:
    campaign = own_campaign_or_404(campaign_id)
    if services.cancel_campaign(campaign):
        flash(_("The campaign is cancelled."), "success")
    else:
        flash(_("This campaign can no longer be cancelled."), "error")
    return see_other(".show", campaign_id=campaign.id)


def _criteria_lines(campaign: Campaign) -> list[str]:
    try:
        return parse_criteria(campaign.criteria, current_territory()).describe()
    except CriteriaError:
        return [_("Criteria no longer valid (a hashtag or neighbourhood was removed).")]


# --- template helpers ------------------------------------------------------------------------


@bp.app_template_global()
def campaign_status_label(status: str) -> str:
    return {
        "draft": _("Draft"),
        "scheduled": _("Scheduled"),
        "sending": _("Sending"),
        "sent": _("Sent"),
        "cancelled": _("Cancelled"),
        "refused": _("Refused: too few people"),
    }.get(status, status)


@bp.app_template_global()
def campaign_channel_label(channel: str) -> str:
    return channel_label(channel)


@bp.app_template_global()
def campaign_channel_labels(channels: list[str]) -> str:
    return ", ".join(channel_label(c) for c in channels)


@bp.app_template_global()
def format_campaign_time(value: Any) -> str:
    """A moment in the territory's time zone (flask_babel's zone is the territory's)."""
    return format_datetime(value, "medium") if value else ""


@bp.app_template_global()
def campaign_schedule_line(campaign: Campaign) -> str:
    if campaign.schedule_kind == "welcome":  # a welcome offer's own campaign (app.places)
        return _("Once to each person who enters the welcome offer's zone")
    if campaign.schedule_kind == "at" and campaign.send_at:
        return _("On %(when)s", when=format_campaign_time(campaign.send_at))
    if campaign.schedule_kind == "weekly" and campaign.repeat_weekday is not None:
        day = next((c.label for c in weekday_names() if c.value == str(campaign.repeat_weekday)), "")
        line = _("Every %(day)s at %(time)s", day=day, time=campaign.repeat_time or "")
        if campaign.repeat_until:
            line += " " + _("until %(date)s", date=format_date(campaign.repeat_until, "long"))
        if campaign.next_run_at and campaign.status == "scheduled":
            line += " — " + _("next: %(when)s", when=format_campaign_time(campaign.next_run_at))
        return line
    return _("Right away")
