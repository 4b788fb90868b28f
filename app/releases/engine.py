"""The release engine: every count of people that leaves the platform, for an actor's member, a
town admin or the public, goes out through ``release``.

Why: rounding and a floor alone do not hold against an actor who registers accounts of its own
and compares answers (Korolova 2010; Venkatadri et al. 2018): two estimates that differ by one
person flip a rounding boundary. So a release

1. counts only **established** people: e-mail verified, account older than the territory's
   ``established_after_days``, and never the members of the asking actor (the caller's count
   applies ``established``);
2. adds **calibrated noise**: discrete Laplace (OpenDP's ``make_laplace`` on integers) of scale
   1/epsilon, so one person more or less changes the odds of any answer by at most e^epsilon;
3. applies the **floor to the noisy value**, then rounds to 10: under the floor the answer is
   "fewer than 11", and a campaign is refused on that answer, never on the true count;
4. answers **the same question the same way**: the release is stored with who asked, the
   question's canonical digest and its time window, and given again, so asking again (or asking
   the same thing another way) does not average the noise out;
5. is paid from a **daily budget** per asker (an actor, the town): a new release costs epsilon;
   when the day's budget is spent, the answer says when more is available. The questions nobody
   chooses (an actor's follower count once a day, a campaign's figures once per statistics
   window) cost nothing: their number per day is fixed.

What this guarantees, in numbers (the defaults: epsilon 0.12 per release, a budget of 2.4 a day,
i.e. 20 new answers per asker and day): comparing two releases that differ by one person, an
attacker guesses right at most e^0.12 / (1 + e^0.12) = 53 % of the time (50 % is a coin);
spending a whole day's budget on one person, the best possible attacker (a likelihood rule over
its 20 answers) is right 60.5 % of the time (computed exactly from the noise's law, and measured
by ``make bench-privacy``). An estimate of 100 people reads 100 45 % of the time, 90 to 110 83 %
of the time (median error 10 %, mean ±8). The budget is per day: an attacker who keeps at one
person for many days learns more; the README says how much.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from flask_babel import format_datetime, format_number
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import changes
from app.accounts.models import User
from app.extensions import db
from app.models_common import utcnow
from app.releases.floor import anonymity_floor
from app.releases.models import CountRelease
from app.territories.models import Territory
from app.timezones import start_of_local_day

ACTOR, TOWN, PUBLIC = "actor", "town", "public"
DAY = timedelta(days=1)
FOREVER = timedelta(days=36500)  # a question asked once (a run's audience)
_EPOCH = datetime(2000, 1, 3, tzinfo=UTC)  # a Monday: hour and week windows start on the clock


@dataclass(frozen=True)
class Asker:
    """Who a count goes to: an actor's members (``id`` the actor's), the town's admins, or
    anybody (a public page)."""

    kind: str
    territory_id: int
    id: int = 0

    @classmethod
    def actor(cls, actor: Any) -> Asker:
        return cls(ACTOR, actor.territory_id, actor.id)

    @classmethod
    def town(cls, territory: Territory) -> Asker:
        return cls(TOWN, territory.id)

    @classmethod
    def public(cls, territory: Territory) -> Asker:
        return cls(PUBLIC, territory.id)


@dataclass(frozen=True)
class Question:
    """What is counted, in a canonical form (``parts`` made of sorted, de-duplicated values: two
    ways of asking the same thing are one question), how long an answer stands (``window``), and
    whether it is chosen by the asker (then it costs from their daily budget)."""

    kind: str
    parts: tuple[Any, ...] = ()
    window: timedelta = DAY
    chosen: bool = True

    @property
    def digest(self) -> str:
        text = json.dumps([self.kind, self.parts], sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Released:
    """A released count: ``value`` (noisy, rounded to 10, at least the floor) or None under
    the floor; or, when the asker's budget for the day is spent, nothing and when to come back."""

    value: int | None
    floor: int
    available_at: datetime | None = None  # set when the budget is spent

    @property
    def under_floor(self) -> bool:
        return self.value is None and self.available_at is None

    @property
    def reaches_floor(self) -> bool:
        """The released answer says at least the floor: a campaign may go out."""
        return self.value is not None

    @property
    def budget_spent(self) -> bool:
        return self.available_at is not None

    def __str__(self) -> str:
        if self.available_at is not None:
            return _("available again %(when)s", when=format_datetime(self.available_at, "short"))
        if self.value is None:
            return _("fewer than %(floor)d", floor=self.floor)
        return format_number(self.value)  # grouped as the reader's language groups: 1 200, 1,200

    def __html__(self) -> str:  # templates print it as it is (it holds no markup)
        from markupsafe import escape

        return str(escape(str(self)))


@dataclass(frozen=True)
class Settings:
    epsilon: float
    daily_budget: float
    established_after: timedelta


def settings_of(territory: Territory) -> Settings:
    return Settings(
        epsilon=float(territory.release_epsilon or 0.12),
        daily_budget=float(territory.release_daily_budget or 2.4),
        established_after=timedelta(days=int(territory.established_after_days or 0)),
    )


# --- who counts ---------------------------------------------------------------------------------


def established(territory: Territory, now: datetime | None = None) -> ColumnElement[bool]:
    """The people who may count: e-mail verified and an account older than the territory's
    ``established_after_days`` (the caller also leaves out the asking actor's members)."""
    now = now or utcnow()
    return and_(
        User.email_verified_at.is_not(None),
        User.created_at <= now - settings_of(territory).established_after,
    )


# --- noise ------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _laplace(scale: float) -> Any:
    import opendp.prelude as dp  # lazy: a start-up cost only processes that release counts pay

    dp.enable_features("contrib")
    return dp.m.make_laplace(dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=scale)


def noisy_count(count: int, epsilon: float) -> int:
    """``count`` plus discrete Laplace noise of scale 1/epsilon (OpenDP). Tests may set
    ``RELEASE_NOISE_SEED`` to draw the same noise from a seeded generator of the same law."""
    scale = 1.0 / epsilon
    seed = current_app.config.get("RELEASE_NOISE_SEED")
    if seed is not None:
        return count + _seeded_discrete_laplace(scale, seed)
    return int(_laplace(scale)(int(count)))


_seeded_state: dict[Any, Any] = {}


def _seeded_discrete_laplace(scale: float, seed: Any) -> int:
    """The same law as OpenDP's (the difference of two geometric variables of parameter
    1 - e^(-1/scale)), from a seeded generator, so that a test is reproducible."""
    import random

    rng = _seeded_state.get(seed)
    if rng is None:
        rng = _seeded_state[seed] = random.Random(seed)
    # A geometric variable of parameter p = 1 - e^(-1/scale): floor(log(U) / log(1 - p)).
    def geometric() -> int:
        return int(math.floor(-scale * math.log(1.0 - rng.random())))

    return geometric() - geometric()


def reset_seeded_noise() -> None:
    _seeded_state.clear()


# --- releasing --------------------------------------------------------------------------------


def window_start(question: Question, territory: Territory, now: datetime) -> datetime:
    """The start of the window ``now`` falls in: a day starts at the town's midnight; shorter
    windows (15 minutes, an hour) on the clock; FOREVER never ends."""
    if question.window >= FOREVER:
        return _EPOCH
    if question.window == DAY:
        return start_of_local_day(now, territory)
    seconds = question.window.total_seconds()
    elapsed = (now - _EPOCH).total_seconds()
    return _EPOCH + timedelta(seconds=math.floor(elapsed / seconds) * seconds)


def spent_today(asker: Asker, territory: Territory, now: datetime) -> float:
    since = start_of_local_day(now, territory)
    return float(db.session.scalar(
        select(func.coalesce(func.sum(CountRelease.epsilon), 0.0)).where(
            CountRelease.territory_id == asker.territory_id, CountRelease.asker_kind == asker.kind,
            CountRelease.asker_id == asker.id, CountRelease.created_at >= since,
        )
    ) or 0.0)


# A stored answer never changes (the window's first release stands: see ``release``): the ones
# read are kept per process, as long as no release was written or removed in any process of
# the instance (app.changes, group "releases": an answer written or removed).
_answers: dict[tuple[Any, ...], tuple[tuple[Any, ...], int]] = {}
_MAX_ANSWERS = 20_000


def _keep_answer(key: tuple[Any, ...], stamp: tuple[Any, ...], noisy: int) -> None:
    # A stored answer never changes: storing others leaves it kept (app.changes:
    # ADDED_ROWS_CHANGE_NOTHING); an update or a delete of the table changes ``stamp``.
    if len(_answers) >= _MAX_ANSWERS:
        _answers.clear()
    _answers[key] = (stamp, noisy)


def _stored(asker: Asker, digest: str, start: datetime) -> CountRelease | None:
    return db.session.scalar(
        select(CountRelease).where(
            CountRelease.territory_id == asker.territory_id, CountRelease.asker_kind == asker.kind,
            CountRelease.asker_id == asker.id, CountRelease.question == digest,
            CountRelease.window_start == start,
        )
    )


def shown_value(noisy: int, floor: int) -> int | None:
    """The floor on the noisy value, then rounding to 10 (never below the floor)."""
    if noisy < floor:
        return None
    return max(floor, int((noisy + 5) // 10 * 10))


def release(asker: Asker, question: Question, count: Callable[[], int], *,
            now: datetime | None = None, over_budget: bool = False) -> Released:
    """The released answer to ``question`` for ``asker``; ``count()`` (the exact count of
    established people) is called only when there is no stored answer for this window.
    ``over_budget``: answer even when the day's budget is spent (the decision to send a campaign
    the actor already wrote: sending still works)."""
    now = now or utcnow()
    territory = db.session.get(Territory, asker.territory_id)
    assert territory is not None
    floor = anonymity_floor(territory)
    digest = question.digest
    start = window_start(question, territory, now)
    stamp = changes.version("releases", db.engine)  # before reading: see app.changes
    key = (str(db.engine.url), asker.territory_id, asker.kind, asker.id, digest, start)
    known = _answers.get(key)
    if known is not None and known[0] == stamp:
        return Released(shown_value(known[1], floor), floor)
    stored = _stored(asker, digest, start)
    if stored is not None:
        _keep_answer(key, stamp, stored.noisy)
        return Released(shown_value(stored.noisy, floor), floor)
    settings = settings_of(territory)
    cost = settings.epsilon if question.chosen and asker.kind != PUBLIC else 0.0
    if cost and not over_budget and spent_today(asker, territory, now) + cost > settings.daily_budget + 1e-9:
        return Released(None, floor, available_at=start_of_local_day(now + DAY, territory))
    noisy = noisy_count(count(), settings.epsilon)
    # The same question released at the same moment by another request: its answer stands.
    connection = db.session.connection()
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(insert(CountRelease.__table__).values(
        territory_id=asker.territory_id, asker_kind=asker.kind, asker_id=asker.id, question=digest,
        window_start=start, noisy=noisy, epsilon=cost, created_at=now,
    ).on_conflict_do_nothing())
    stored = _stored(asker, digest, start)
    db.session.commit()
    assert stored is not None
    _keep_answer(key, stamp, stored.noisy)
    return Released(shown_value(stored.noisy, floor), floor)


def release_many(asker: Asker, questions: list[Question],
                 counts: Callable[[list[Question]], dict[Question, int]], *,
                 now: datetime | None = None) -> dict[Question, Released]:
    """``release`` for many questions nobody chooses (a poll's table, the observatory's): one
    read of the stored answers, one ``counts(missing)`` for those not answered yet in their
    window, one write. Each question keeps its own noise and its own stored answer."""
    if not questions:
        return {}
    assert all(not question.chosen for question in questions), "chosen questions cost budget: use release()"
    now = now or utcnow()
    territory = db.session.get(Territory, asker.territory_id)
    assert territory is not None
    floor = anonymity_floor(territory)
    keyed = {(question.digest, window_start(question, territory, now)): question for question in questions}
    scope = (
        CountRelease.territory_id == asker.territory_id, CountRelease.asker_kind == asker.kind,
        CountRelease.asker_id == asker.id,
    )

    def stored() -> dict[tuple[str, datetime], int]:
        found: dict[tuple[str, datetime], int] = {}
        digests = sorted({digest for digest, _start in keyed})
        for chunk in range(0, len(digests), 500):
            rows = db.session.execute(select(
                CountRelease.question, CountRelease.window_start, CountRelease.noisy
            ).where(*scope, CountRelease.question.in_(digests[chunk:chunk + 500])))
            for digest, start, noisy in rows:
                start = start if start.tzinfo else start.replace(tzinfo=UTC)
                found[(digest, start)] = noisy
        return found

    found = stored()
    missing = [question for key, question in keyed.items() if key not in found]
    if missing:
        exact = counts(missing)
        epsilon = settings_of(territory).epsilon
        connection = db.session.connection()
        insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        rows = [
            dict(territory_id=asker.territory_id, asker_kind=asker.kind, asker_id=asker.id, question=digest,
                 window_start=start, noisy=noisy_count(exact.get(question, 0), epsilon), epsilon=0.0,
                 created_at=now)
            for (digest, start), question in keyed.items() if (digest, start) not in found
        ]
        connection.execute(insert(CountRelease.__table__).on_conflict_do_nothing(), rows)
        found = stored()
        db.session.commit()
    return {
        question: Released(shown_value(found[key], floor), floor)
        for key, question in keyed.items() if key in found
    }


def new_key() -> str:
    """A random question part, for what must never be answered the same way twice."""
    return secrets.token_hex(8)
