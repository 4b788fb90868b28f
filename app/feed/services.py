"""The feeds: "For you" (ranked), "Everything" (chronological) and the agenda (events by day).

"For you" is built in two steps so that it stays fast on a town of 100,000 people:
1. *candidates*: a few hundred publication ids from cheap indexed look-ups, each with a LIMIT
   (the newest ones carrying the person's hashtags, those of the actors they follow, events
   starting soon, the newest of their neighbourhood, the newest of all);
2. *ranking*: those candidates are scored in Python (``score_candidate``), a pure function that
   the tests exercise directly, and only the page shown is loaded as full objects.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    exists,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import defaultload, selectinload

from app import changes
from app.accounts.models import UserHashtag
from app.actors.models import Actor, Follow
from app.extensions import db
from app.feed import lookups
from app.feed.lookups import CANDIDATE_COLUMNS, candidate_columns, micros
from app.feed.ranking import (
    MAX_HASHTAG_MATCHES,
    RECENCY_HALF_LIFE_HOURS,
    SOON_HORIZON_HOURS,
    WEIGHT_FOLLOWED,
    WEIGHT_HASHTAG,
    WEIGHT_NEIGHBOURHOOD,
    WEIGHT_RECENCY,
    WEIGHT_SOON,
    WEIGHT_VALID_OFFER,
    Candidate,
    Profile,
    rank,
)
from app.models_common import LruCache, UTCDateTime, utcnow
from app.publications import recurrence
from app.publications.models import EVENT_DEFAULT_DURATION, Publication, PublicationHashtag
from app.publications.services import current_criteria, visible_criteria
from app.territories.models import Hashtag
from app.timezones import local_date, local_midnight

FEED_KINDS = ("news", "event", "offer", "poll")
AGENDA_KINDS = ("event", "poll")




# --- visibility -------------------------------------------------------------------------------


# --- ranking ----------------------------------------------------------------------------------


def rank_entries(
    ids: Iterable[int], entries: dict[int, tuple[Any, ...]], profile: Profile, now: datetime
) -> list[int]:
    """``rank`` of the shared look-ups' entries (``app.feed.lookups``), without building a
    ``Candidate`` each: the same scores, in the same order of operations, from the timestamps
    as integer microseconds (whose differences divide exactly as ``timedelta.total_seconds()``
    does), so the same floats and the same order as ``rank(shared_candidates(...))``."""

    now_us = micros(now)
    assert now_us is not None
    mine = profile.hashtag_ids
    followed = profile.followed_actor_ids
    neighbourhood = profile.neighbourhood_id
    default_duration = EVENT_DEFAULT_DURATION // timedelta(microseconds=1)
    horizon = SOON_HORIZON_HOURS
    # Locals: this loop runs for every candidate of every page.
    weight_hashtag, max_matches = WEIGHT_HASHTAG, MAX_HASHTAG_MATCHES
    weight_followed, weight_neighbourhood = WEIGHT_FOLLOWED, WEIGHT_NEIGHBOURHOOD
    weight_recency, half_life = WEIGHT_RECENCY, RECENCY_HALF_LIFE_HOURS
    weight_soon, weight_offer = WEIGHT_SOON, WEIGHT_VALID_OFFER
    power = math.pow
    scored = []
    append = scored.append
    for publication_id in ids:
        entry = entries[publication_id]
        (
            _id,
            actor_id,
            kind,
            actor_neighbourhood,
            tags,
            published_us,
            starts_us,
            ends_us,
            from_us,
            until_us,
        ) = entry
        if kind == "event":
            if ends_us is not None:
                if ends_us < now_us:
                    continue
            elif starts_us is not None and starts_us + default_duration < now_us:
                continue
        elif kind == "offer" and until_us is not None and until_us < now_us:
            continue
        matches = len(mine.intersection(tags)) if mine and tags else 0
        score = 0.0
        score += weight_hashtag * (matches if matches < max_matches else max_matches)
        if actor_id in followed:
            score += weight_followed
        if neighbourhood is not None and actor_neighbourhood == neighbourhood:
            score += weight_neighbourhood
        if published_us is not None:
            age_hours = (now_us - published_us) / 1_000_000 / 3600.0
            if age_hours < 0.0:
                age_hours = 0.0
            score += weight_recency * power(0.5, age_hours / half_life)
        timeliness = 0.0
        if kind == "event":
            if starts_us is not None:
                hours_to_start = (starts_us - now_us) / 1_000_000 / 3600.0
                if hours_to_start <= 0:
                    timeliness = weight_soon
                elif hours_to_start < horizon:
                    timeliness = weight_soon * (1.0 - hours_to_start / horizon)
        elif kind == "offer" and not (from_us is not None and from_us > now_us):
            timeliness = weight_offer
            if until_us is not None:
                hours_left = (until_us - now_us) / 1_000_000 / 3600.0
                if hours_left < horizon:
                    timeliness += weight_soon * 0.5 * (1.0 - hours_left / horizon)
        score += timeliness
        append(
            (score, published_us / 1_000_000 if published_us is not None else 0.0, publication_id)
        )
    scored.sort(reverse=True)
    return [publication_id for _score, _published, publication_id in scored]


# --- For you ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _profile_statement() -> Any:
    """The person's hashtags and followed actors in one query (built once)."""
    user_id = bindparam("user_id", type_=Integer())
    return union_all(
        select(literal(0, Integer()), UserHashtag.hashtag_id).where(UserHashtag.user_id == user_id),
        select(literal(1, Integer()), Follow.actor_id).where(Follow.user_id == user_id),
    )


def profile_of(user: Any) -> Profile:
    hashtag_ids: set[int] = set()
    followed: set[int] = set()
    rows = db.session.execute(_profile_statement(), {"user_id": user.id})
    for source, value in rows:
        (followed if source else hashtag_ids).add(value)
    return Profile(
        hashtag_ids=frozenset(hashtag_ids),
        followed_actor_ids=frozenset(followed),
        neighbourhood_id=user.neighbourhood_id,
    )


@lru_cache(maxsize=512)
def _candidate_statement(
    tag_count: int, has_follows: bool, has_neighbourhood: bool, depth: int
) -> Any:
    """The candidates' statement for one shape of profile, built once with bound parameters:
    building a statement of this size costs more than running it."""
    now = bindparam("now", type_=UTCDateTime())
    event_cutoff = bindparam("event_cutoff", type_=UTCDateTime())
    soon_until = bindparam("soon_until", type_=UTCDateTime())
    visible = [
        *visible_criteria(bindparam("territory_id", type_=Integer()), now),
        current_criteria(now, event_cutoff),
    ]

    def branch(query: Select[Any]) -> Select[Any]:
        inner = query.subquery()
        return select(*inner.c)

    def base() -> Select[Any]:
        # How many of the person's hashtags the publication carries.
        tag_table = PublicationHashtag.__table__.alias("matching_tag")
        matches = (
            select(func.count())
            .select_from(tag_table)
            .where(
                tag_table.c.publication_id == Publication.id,
                tag_table.c.hashtag_id.in_(bindparam("tags", expanding=True)),
            )
            .correlate(Publication)
            .scalar_subquery()
            if tag_count
            else literal(0, Integer())
        )
        return (
            select(*CANDIDATE_COLUMNS, matches.label("matches"))
            .join(Actor, Actor.id == Publication.actor_id)
            .where(*visible)
        )

    branches: list[Select[Any]] = []
    # The newest publications carrying each of the person's hashtags (an index walk per tag).
    for index in range(tag_count):
        branches.append(
            branch(
                base()
                .join(PublicationHashtag, PublicationHashtag.publication_id == Publication.id)
                .where(PublicationHashtag.hashtag_id == bindparam(f"tag_{index}", type_=Integer()))
                .order_by(PublicationHashtag.publication_id.desc())
                .limit(lookups.CANDIDATES_PER_HASHTAG * depth)
            )
        )
    if has_follows:
        branches.append(
            branch(
                base()
                .where(Publication.actor_id.in_(bindparam("followed", expanding=True)))
                .order_by(Publication.id.desc())
                .limit(lookups.CANDIDATES_FOLLOWED * depth)
            )
        )
    if has_neighbourhood:
        branches.append(
            branch(
                base()
                .where(Actor.neighbourhood_id == bindparam("neighbourhood_id", type_=Integer()))
                .order_by(Publication.published_at.desc())
                .limit(lookups.CANDIDATES_NEIGHBOURHOOD * depth)
            )
        )
    branches.append(
        branch(
            base()
            .where(
                Publication.kind == "event",
                Publication.starts_at >= event_cutoff,
                Publication.starts_at < soon_until,
            )
            .order_by(Publication.starts_at)
            .limit(lookups.CANDIDATES_SOON * depth)
        )
    )
    branches.append(
        branch(base().order_by(Publication.published_at.desc()).limit(lookups.CANDIDATES_RECENT * depth))
    )
    return union_all(*branches)


def candidate_query(
    territory_id: int, profile: Profile, now: datetime, depth: int = 1
) -> tuple[Any, dict[str, Any]]:
    """One statement gathering the candidates, from bounded indexed look-ups, and its
    parameters; ``depth`` (the page asked for) widens each look-up so that later pages still
    have something to show. A publication found by several look-ups comes back several times."""
    tags = sorted(profile.hashtag_ids)[:lookups.MAX_HASHTAGS_LOOKED_UP]
    params: dict[str, Any] = {
        "territory_id": territory_id,
        "now": now,
        "event_cutoff": now - EVENT_DEFAULT_DURATION,
        "soon_until": now + timedelta(hours=SOON_HORIZON_HOURS),
    }
    params.update({f"tag_{index}": tag for index, tag in enumerate(tags)})
    if tags:
        params["tags"] = sorted(profile.hashtag_ids)
    if profile.followed_actor_ids:
        params["followed"] = sorted(profile.followed_actor_ids)
    if profile.neighbourhood_id is not None:
        params["neighbourhood_id"] = profile.neighbourhood_id
    statement = _candidate_statement(
        len(tags), bool(profile.followed_actor_ids), profile.neighbourhood_id is not None, depth
    )
    return statement, params


def load_candidates(
    territory_id: int, profile: Profile, now: datetime, depth: int = 1
) -> list[Candidate]:
    statement, params = candidate_query(territory_id, profile, now, depth)
    rows: dict[int, Any] = {}
    for row in db.session.connection().execute(statement, params):
        rows.setdefault(row[0], row)
    return [Candidate(*candidate_columns(row), row[9]) for row in rows.values()]


@lru_cache(maxsize=1)
def _publications_statement() -> Any:
    """Built once: building it cost more than running it."""
    return (
        select(Publication)
        .where(Publication.id.in_(bindparam("ids", expanding=True)))
        .options(
            selectinload(Publication.hashtags),
            # A card shows the actor's name, not the actor's own hashtags.
            defaultload(Publication.actor).lazyload(Actor.hashtags),
        )
    )


def load_publications(ids: Sequence[int]) -> list[Publication]:
    """The publications of one page, in the order given, with their actor and hashtags loaded
    in two queries (no query per card)."""
    if not ids:
        return []
    found = db.session.scalars(_publications_statement(), {"ids": list(ids)}).unique()
    by_id = {p.id: p for p in found}
    return [by_id[i] for i in ids if i in by_id]


@dataclass
class FeedPage:
    publications: list[Publication]
    page: int
    has_more: bool


def _shared_entries(
    territory_id: int, profile: Profile, depth: int
) -> tuple[list[int], dict[int, lookups.Entry]]:
    """The person's candidates' ids and entries, from the shared look-ups (no query)."""
    return lookups.candidate_entries(
        territory_id,
        sorted(profile.hashtag_ids)[:lookups.MAX_HASHTAGS_LOOKED_UP],
        profile.followed_actor_ids,
        profile.neighbourhood_id,
        depth,
    )


def shared_candidates(territory_id: int, profile: Profile, depth: int = 1) -> list[Candidate]:
    """The same candidates as ``load_candidates``, put together from the per-process shared
    look-ups (``app.feed.lookups``) instead of one query per person."""

    ids, entries = _shared_entries(territory_id, profile, depth)
    mine = profile.hashtag_ids
    candidates = []
    for publication_id in ids:
        entry = entries[publication_id]
        matches = len(mine.intersection(entry[4]))
        candidates.append(Candidate(*lookups.entry_columns(entry), matches))  # type: ignore[arg-type]
    return candidates


@dataclass
class RankedPage:
    """The ids of one page of a person's ranked feed."""

    ids: list[int]
    page: int
    has_more: bool
    profile: Profile


# A person's ranking, kept per process for a minute at most while the feed data and what
# people follow or picked are unchanged (app.changes): the next page of the infinite scroll, or
# coming back to "For you", does not rank again. A minute from when it was ranked, not to the
# clock's next minute: the rankings do not all expire together. Room for the people active in a
# few minutes (an entry is the ranked ids, a few KB): an LRU smaller than the people who come
# back in turn would keep none of them.
MAX_RANKINGS = 5_000
RANKING_SECONDS = 60.0
rankings = LruCache(MAX_RANKINGS)


def for_you_ids(
    territory_id: int, user: Any, page: int = 1, page_size: int = 20, now: datetime | None = None
) -> RankedPage:
    """One page of the person's ranked feed, as publication ids. Without ``now`` (a live
    request) the candidates come from the shared look-ups; with it, from the query."""

    if now is None:
        now = utcnow()
        engine = db.engine
        # Versions before reading (app.changes): a write meanwhile makes the entry stale.
        key = (
            territory_id, user.id, user.neighbourhood_id, page, id(engine),
            changes.version("feed", engine), changes.version("interests", engine),
        )
        known = rankings.get(key)
        if known is None or now - known[0] >= timedelta(seconds=RANKING_SECONDS):
            profile = profile_of(user)
            ids, entries = _shared_entries(territory_id, profile, page)
            known = (now, rank_entries(ids, entries, profile, now), profile)
            rankings.put(key, known)
        _ranked_at, ranked, profile = known
    else:
        profile = profile_of(user)
        ranked = rank(load_candidates(territory_id, profile, now, depth=page), profile, now)
    start = (page - 1) * page_size
    return RankedPage(
        ranked[start : start + page_size], page, len(ranked) > start + page_size, profile
    )


def for_you(
    territory_id: int, user: Any, page: int = 1, page_size: int = 20, now: datetime | None = None
) -> FeedPage:
    """One page of the person's ranked feed."""
    ranked = for_you_ids(territory_id, user, page=page, page_size=page_size, now=now)
    return FeedPage(load_publications(ranked.ids), page, ranked.has_more)


def public_feed(
    territory_id: int, page: int = 1, page_size: int = 20, now: datetime | None = None
) -> FeedPage:
    """What a visitor sees: the newest visible publications that are not over."""
    now = now or utcnow()
    query = (
        select(Publication.id)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(*visible_criteria(territory_id, now), current_criteria(now))
        .order_by(Publication.published_at.desc(), Publication.id.desc())
    )
    return _page_of(query, page, page_size)


def everything(
    territory_id: int,
    kind: str | None = None,
    page: int = 1,
    page_size: int = 20,
    now: datetime | None = None,
) -> FeedPage:
    """Every visible publication, newest first, optionally of one kind."""
    query = (
        select(Publication.id)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(*visible_criteria(territory_id, now))
        .order_by(Publication.published_at.desc(), Publication.id.desc())
    )
    if kind in FEED_KINDS:
        query = query.where(Publication.kind == kind)
    return _page_of(query, page, page_size)


# "Everything"'s pages are the same for everyone: kept per process as publication ids, with the
# feed data's version (app.changes: any write to a publication or an actor, in any process of the
# instance) and the span of time they hold for (until the next scheduled publication comes out).
# key -> (version, read at, valid until or None, ids, has more)
_everything_pages: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_MAX_EVERYTHING_PAGES = 2_000


def everything_ids(
    territory_id: int,
    kind: str | None = None,
    page: int = 1,
    page_size: int = 20,
    now: datetime | None = None,
) -> tuple[list[int], bool]:
    """The ids of ``everything``'s page, and whether there is a next page."""
    now = now or utcnow()
    engine = db.engine
    stamp = changes.version("feed", engine)  # before reading: see app.changes
    kind = kind if kind in FEED_KINDS else None
    key = (territory_id, kind, page, page_size, str(engine.url))
    known = _everything_pages.get(key)
    if (
        known is not None
        and known[0] == stamp
        and known[1] <= now
        and (known[2] is None or now < known[2])
    ):
        return known[3], known[4]
    query = (
        select(Publication.id)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(*visible_criteria(territory_id, now))
        .order_by(Publication.published_at.desc(), Publication.id.desc())
    )
    if kind is not None:
        query = query.where(Publication.kind == kind)
    ids = list(db.session.scalars(query.offset((page - 1) * page_size).limit(page_size + 1)))
    # The list changes with time alone when a scheduled publication comes out.
    next_out = db.session.scalar(
        select(func.min(Publication.published_at)).where(
            Publication.territory_id == territory_id,
            Publication.status == "published",
            Publication.published_at > now,
        )
    )
    if len(_everything_pages) >= _MAX_EVERYTHING_PAGES:
        _everything_pages.clear()
    found = (ids[:page_size], len(ids) > page_size)
    _everything_pages[key] = (stamp, now, next_out, *found)
    return found


def _page_of(id_query: Select[Any], page: int, page_size: int) -> FeedPage:
    ids = list(db.session.scalars(id_query.offset((page - 1) * page_size).limit(page_size + 1)))
    return FeedPage(load_publications(ids[:page_size]), page, len(ids) > page_size)


# --- agenda -----------------------------------------------------------------------------------

AGENDA_PAGE_EVENTS = 30
AGENDA_MAX_EVENTS = 300
# Events under way on the first day are looked for among those started this long before
# (bounded, so that the look-up does not walk every past event).
ONGOING_LOOKBACK = timedelta(days=31)


@dataclass
class AgendaDay:
    day: date
    events: list[Publication]


@dataclass
class AgendaPage:
    days: list[AgendaDay]
    next_from: date | None  # the first day of the next page, if there are more events


def agenda(
    territory_id: int,
    timezone: str,
    from_day: date,
    hashtag: Hashtag | None = None,
    now: datetime | None = None,
    include_ongoing: bool = True,
) -> AgendaPage:
    """Events from ``from_day`` (a local date), grouped by local day. A page holds about
    AGENDA_PAGE_EVENTS events but always whole days, so the next page starts on a new day.
    A recurring event shows on each of its dates (``Occurrence``s, on the town's clock)."""
    now = now or utcnow()
    start = local_midnight(from_day, timezone)
    events = (
        select(Publication)
        .join(Actor, Actor.id == Publication.actor_id)
        .where(
            *visible_criteria(territory_id, now),
            Publication.kind.in_(AGENDA_KINDS),  # events, and polls given a date (a meeting, a vote)
            Publication.starts_at.is_not(None),
        )
        .options(defaultload(Publication.actor).lazyload(Actor.hashtags))
    )
    if hashtag is not None:
        events = events.where(
            exists().where(
                PublicationHashtag.publication_id == Publication.id,
                PublicationHashtag.hashtag_id == hashtag.id,
            )
        )
    horizon = start + RECURRING_HORIZON
    # The dates of recurring events; those begun before the first day and not over yet (a night
    # market) show on it, as the single events under way do.
    recurring = _recurring_occurrences(events, timezone, start - ONGOING_RECURRING, horizon)
    recurring_ongoing = [o for o in recurring if o.starts_at < start and o.ends_at is not None
                         and o.ends_at >= max(start, now)]
    recurring = [o for o in recurring if o.starts_at >= start]
    events = events.where(Publication.rrule == "")
    ordered = events.order_by(Publication.starts_at, Publication.id)
    # The page's last day: the day of its AGENDA_PAGE_EVENTS-th event (or of the last one).
    first_starts = sorted([
        *db.session.scalars(
            ordered.with_only_columns(Publication.starts_at)
            .where(Publication.starts_at >= start)
            .limit(AGENDA_PAGE_EVENTS)
        ).all(),
        *(occurrence.starts_at for occurrence in recurring[:AGENDA_PAGE_EVENTS]),
    ])[:AGENDA_PAGE_EVENTS]
    if not first_starts:
        found: list[Any] = []
        next_from = None
    else:
        last_day = local_date(first_starts[-1], timezone)
        end = local_midnight(last_day + timedelta(days=1), timezone)
        found = list(
            db.session.scalars(
                ordered.where(Publication.starts_at >= start, Publication.starts_at < end)
                .options(selectinload(Publication.hashtags))
                .limit(AGENDA_MAX_EVENTS)
            ).unique()
        )
        found = sorted(
            [*found, *(o for o in recurring if o.starts_at < end)][:AGENDA_MAX_EVENTS],
            key=lambda event: (event.starts_at, event.id),
        )
        more = db.session.scalar(select(ordered.where(Publication.starts_at >= end).exists())) \
            or any(o.starts_at >= end for o in recurring)
        next_from = last_day + timedelta(days=1) if more else None
    ongoing: list[Any] = []
    if include_ongoing:
        ongoing = list(
            db.session.scalars(
                ordered.where(
                    Publication.starts_at >= start - ONGOING_LOOKBACK,
                    Publication.starts_at < start,
                    Publication.ends_at >= max(start, now),
                )
                .options(selectinload(Publication.hashtags))
                .limit(AGENDA_PAGE_EVENTS)
            ).unique()
        )
    if include_ongoing:
        ongoing = sorted([*ongoing, *recurring_ongoing], key=lambda event: (event.starts_at, event.id))
    days: dict[date, list[Any]] = {}
    if ongoing:
        days[from_day] = ongoing
    for event in found:
        local_day = local_date(event.starts_at, timezone)  # type: ignore[arg-type]
        days.setdefault(local_day, []).append(event)
    return AgendaPage([AgendaDay(d, evs) for d, evs in sorted(days.items())], next_from)


# How far ahead an agenda page looks for the dates of recurring events, and how far back for
# one still under way.
RECURRING_HORIZON = timedelta(days=92)
ONGOING_RECURRING = timedelta(days=2)


def _recurring_occurrences(events: Any, timezone: str, start: datetime, horizon: datetime) -> list[Any]:
    """The dates of the recurring events among ``events`` in [start, horizon), in order; the
    dates changed on their own (a publication with ``recurrence_id``) are shown by that one."""
    series = list(
        db.session.scalars(
            events.where(Publication.rrule != "", Publication.starts_at < horizon)
            .options(selectinload(Publication.hashtags))
        ).unique()
    )
    if not series:
        return []
    changed: dict[int, set[datetime]] = {}
    for parent_id, moment in db.session.execute(
        select(Publication.recurrence_parent_id, Publication.recurrence_id).where(
            Publication.recurrence_parent_id.in_([event.id for event in series]),
            Publication.recurrence_id.is_not(None),
        )
    ):
        changed.setdefault(parent_id, set()).add(moment)
    found = [
        occurrence
        for event in series
        for occurrence in recurrence.occurrences(
            event, timezone, start, horizon, skip=frozenset(changed.get(event.id, ()))
        )
    ]
    return sorted(found, key=lambda occurrence: (occurrence.starts_at, occurrence.id))
