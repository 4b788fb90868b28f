"""The ranking of "For you": pure functions of a publication's few columns, the person's profile
and the time, which the tests exercise directly."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from app.publications.models import EVENT_DEFAULT_DURATION, Publication

# Ranking weights: one matching hashtag or a followed actor outweighs a day of freshness, so that
# what a person asked for comes first, and fresh unrelated news still fills the rest.
WEIGHT_HASHTAG = 3.0  # per matching hashtag, up to MAX_HASHTAG_MATCHES
MAX_HASHTAG_MATCHES = 2
WEIGHT_FOLLOWED = 4.0
WEIGHT_NEIGHBOURHOOD = 1.5
WEIGHT_RECENCY = 3.0  # a publication of this very moment
RECENCY_HALF_LIFE_HOURS = 72.0
WEIGHT_SOON = 2.0  # an event starting now or an offer ending now
SOON_HORIZON_HOURS = 7 * 24.0
WEIGHT_VALID_OFFER = 1.0


@dataclass(frozen=True)
class Profile:
    """What the ranking knows of a person: their interests, follows and neighbourhood."""

    hashtag_ids: frozenset[int] = field(default_factory=frozenset)
    followed_actor_ids: frozenset[int] = field(default_factory=frozenset)
    neighbourhood_id: int | None = None


class Candidate(NamedTuple):
    """The few columns the ranking needs, without loading the full publication."""

    id: int
    actor_id: int
    kind: str
    published_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None
    valid_from: datetime | None
    valid_until: datetime | None
    actor_neighbourhood_id: int | None
    matching_hashtags: int  # how many of the person's hashtags it carries


def is_over(candidate: Candidate | Publication, now: datetime) -> bool:
    """An event that has ended or an offer no longer valid."""
    if candidate.kind == "event":
        if candidate.ends_at is not None:
            return candidate.ends_at < now
        return (
            candidate.starts_at is not None and candidate.starts_at + EVENT_DEFAULT_DURATION < now
        )
    if candidate.kind == "offer":
        return candidate.valid_until is not None and candidate.valid_until < now
    return False


def score_candidate(candidate: Candidate, profile: Profile, now: datetime) -> float | None:
    """How well a publication fits a person now; ``None`` when it must not be shown (over)."""
    if is_over(candidate, now):
        return None
    score = 0.0
    score += WEIGHT_HASHTAG * min(candidate.matching_hashtags, MAX_HASHTAG_MATCHES)
    if candidate.actor_id in profile.followed_actor_ids:
        score += WEIGHT_FOLLOWED
    if (
        profile.neighbourhood_id is not None
        and candidate.actor_neighbourhood_id == profile.neighbourhood_id
    ):
        score += WEIGHT_NEIGHBOURHOOD
    if candidate.published_at is not None:
        age_hours = max((now - candidate.published_at).total_seconds() / 3600.0, 0.0)
        score += WEIGHT_RECENCY * math.pow(0.5, age_hours / RECENCY_HALF_LIFE_HOURS)
    score += _timeliness(candidate, now)
    return score


def _timeliness(candidate: Candidate, now: datetime) -> float:
    """Events starting soon (or under way) and offers valid now (more so near their end)."""
    if candidate.kind == "event" and candidate.starts_at is not None:
        hours_to_start = (candidate.starts_at - now).total_seconds() / 3600.0
        if hours_to_start <= 0:
            return WEIGHT_SOON  # under way
        if hours_to_start < SOON_HORIZON_HOURS:
            return WEIGHT_SOON * (1.0 - hours_to_start / SOON_HORIZON_HOURS)
        return 0.0
    if candidate.kind == "offer":
        if candidate.valid_from is not None and candidate.valid_from > now:
            return 0.0  # not yet valid
        bonus = WEIGHT_VALID_OFFER
        if candidate.valid_until is not None:
            hours_left = (candidate.valid_until - now).total_seconds() / 3600.0
            if hours_left < SOON_HORIZON_HOURS:
                bonus += WEIGHT_SOON * 0.5 * (1.0 - hours_left / SOON_HORIZON_HOURS)
        return bonus
    return 0.0


def rank(candidates: Iterable[Candidate], profile: Profile, now: datetime) -> list[int]:
    """Candidate ids, best first; ties go to the newest publication."""
    scored = []
    for candidate in candidates:
        score = score_candidate(candidate, profile, now)
        if score is not None:
            published = candidate.published_at.timestamp() if candidate.published_at else 0.0
            scored.append((score, published, candidate.id))
    scored.sort(reverse=True)
    return [publication_id for _score, _published, publication_id in scored]
