"""The audience of a campaign as the actor sees it: a release (app.releases.engine), never the
exact count. While the actor chooses criteria, at send time and on the campaign's page.

Only established people count (e-mail verified, an account old enough, never the actor's own
members): the others still receive what they match, they just never make an audience reach the
floor. The question is the criteria in their canonical form: asking again, or asking the same
audience another way, gets the same answer for the day (for 15 minutes when it counts people
present in a zone right now)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.actors.models import Actor, Membership
from app.campaigns.criteria import Criteria, CriteriaError, parse_criteria, recipients_query
from app.campaigns.models import CampaignRun
from app.extensions import db
from app.releases.engine import DAY, FOREVER, Asker, Question, Released, established, release
from app.territories.models import Territory


@dataclass(frozen=True)
class AudienceEstimate:
    count_shown: str
    can_send: bool  # the release reaches the floor; also True when today's budget is spent
    # (the actor may still send: the audience is released, and checked, as it goes out)
    available_at: datetime | None = None  # when the next estimate can be made


def canonical(criteria: Criteria) -> tuple[object, ...]:
    """The criteria as one question: rules sorted by kind, each with its values sorted and
    de-duplicated (the rules do it), and "all of" one hashtag said as "any of" it."""
    parts = []
    for rule in sorted(criteria.rules, key=lambda r: r.kind):
        data = rule.to_json()
        if data.get("kind") == "hashtags" and len(data.get("ids", [])) == 1:
            data["mode"] = "any"
        parts.append(tuple(sorted((key, str(value)) for key, value in data.items())))
    return tuple(parts)


def audience_question(territory: Territory, criteria: Criteria) -> Question:
    present = criteria.rule("present_in_zone") is not None
    window = timedelta(minutes=territory.presence_window_minutes) if present else DAY
    return Question("audience", canonical(criteria), window=window)


def established_audience(territory: Territory, actor_id: int, criteria: Criteria,
                         now: datetime | None = None) -> int:
    """The exact number of established people the criteria reach, the actor's members left
    out. Internal: it leaves this module only through a release."""
    members = select(Membership.user_id).where(Membership.actor_id == actor_id)
    query = recipients_query(territory, actor_id, criteria).where(
        established(territory, now), User.id.not_in(members)
    )
    return int(db.session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def released_audience(territory: Territory, actor: object, criteria: Criteria, *,
                      now: datetime | None = None, over_budget: bool = False,
                      count: Callable[[], int] | None = None) -> Released:
    """The audience released to the actor (``count``: how to count it, when it must be counted
    at all; by default ``established_audience``)."""
    return release(
        Asker.actor(actor), audience_question(territory, criteria),
        count or (lambda: established_audience(territory, actor.id, criteria, now)),  # type: ignore[attr-defined]
        now=now, over_budget=over_budget,
    )


def estimate(territory: Territory, actor: object, criteria: Criteria,
             now: datetime | None = None) -> AudienceEstimate:
    released = released_audience(territory, actor, criteria, now=now)
    return AudienceEstimate(count_shown=str(released),
                            can_send=released.reaches_floor or released.budget_spent,
                            available_at=released.available_at)


def run_audience(run: CampaignRun) -> Released:
    """A run's audience: the very release its sending was decided on (same asker, question and
    window), so that the campaign's page tells nothing the decision did not."""
    campaign = run.campaign
    territory = db.session.get(Territory, run.territory_id)
    actor = db.session.get(Actor, campaign.actor_id)
    assert territory is not None and actor is not None
    try:
        criteria = parse_criteria(campaign.criteria, territory)
    except CriteriaError:  # a hashtag retired since: the run's own question
        criteria = None
    question = (audience_question(territory, criteria) if criteria is not None
                else Question("run_audience", (run.id,), FOREVER, chosen=False))
    return release(Asker.actor(actor), question, lambda: int(run.audience_size or 0),
                   now=run.started_at or run.scheduled_for, over_budget=True)
