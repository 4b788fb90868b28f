"""The merchants' self-assessment: a shop saves its answers; the town reads them aggregated, and
one shop's own answers only when that shop consents.

The rule that keeps a shop that did not consent from being singled out (documented on the town's
page, tested in tests/audit/test_shops_consent.py):

1. A question's breakdown is shown only when at least ``MIN_ANSWERS`` shops answered it; below, the
   town sees how many answered, not what.
2. The list of consenting shops' own answers is shown only when the shops that did NOT consent are
   none, or at least ``MIN_ANSWERS``. Otherwise the aggregate minus the list would give the answers
   of the one (or the few) who kept them private. The aggregate itself always covers every answer.

Shops that did not consent appear by name nowhere: not in the list, not in logs, not in exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from app.accounts.models import User
from app.actors.models import SHOP_KINDS, Actor, Membership
from app.audit.models_shops import (
    HOURS_UP_TO_DATE,
    LISTED_ONLINE,
    LOYALTY,
    OFFER,
    PAYMENT,
    ShopAnswer,
)
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from app.territories.models import Territory
from app.territories.scoping import belongs

# Fewer answering shops than this, and a question's breakdown is hidden; fewer private answers
# than this (but some), and the list of consenting shops is hidden (see the module's docstring).
MIN_ANSWERS = 5

# (question, options, several answers allowed), in the order of the questionnaire.
QUESTIONS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("listed_online", LISTED_ONLINE, True),
    ("hours_up_to_date", HOURS_UP_TO_DATE, False),
    ("click_and_collect", OFFER, False),
    ("delivery", OFFER, False),
    ("payment", PAYMENT, True),
    ("loyalty", LOYALTY, False),
)


class NotAShop(Exception):
    """Only shops answer the self-assessment."""


def is_shop(actor: Actor) -> bool:
    return actor.kind in SHOP_KINDS


def answer_of(actor: Actor) -> ShopAnswer | None:
    return db.session.scalar(
        select(ShopAnswer).where(ShopAnswer.actor_id == actor.id, ShopAnswer.territory_id == actor.territory_id)
    )


def save_answer(actor: Actor, *, listed_online: list[str], hours_up_to_date: str, click_and_collect: str,
                delivery: str, payment: list[str], loyalty: str, comment: str, town_may_see: bool) -> ShopAnswer:
    """The shop's one current answer, created or replaced, dated now."""
    if not is_shop(actor):
        raise NotAShop(actor.kind)
    answer = answer_of(actor)
    if answer is None:
        answer = ShopAnswer(territory_id=actor.territory_id, actor_id=actor.id)
        db.session.add(answer)
    answer.listed_online = ",".join(code for code in LISTED_ONLINE if code in listed_online)
    answer.hours_up_to_date = hours_up_to_date
    answer.click_and_collect = click_and_collect
    answer.delivery = delivery
    answer.payment = ",".join(code for code in PAYMENT if code in payment)
    answer.loyalty = loyalty
    answer.comment = comment.strip()
    answer.town_may_see = town_may_see
    answer.answered_at = utcnow()
    db.session.commit()
    return answer


def shop_count(territory: Territory) -> int:
    """The town's shops: verified actors of a shop kind (shops are not people)."""
    return db.session.scalar(
        select(func.count()).select_from(Actor).where(
            belongs(Actor, territory), Actor.status == "verified", Actor.kind.in_(SHOP_KINDS))
    ) or 0


def _answers(territory: Territory) -> list[ShopAnswer]:
    return list(db.session.scalars(
        select(ShopAnswer).join(Actor, Actor.id == ShopAnswer.actor_id).where(
            ShopAnswer.territory_id == territory.id, belongs(Actor, territory),
            Actor.status == "verified", Actor.kind.in_(SHOP_KINDS))
        .order_by(Actor.name)
    ))


@dataclass
class QuestionSummary:
    question: str
    answering: int
    shown: bool  # at least MIN_ANSWERS answered
    # (option, shops that chose it, percent of the answering shops); empty when not shown.
    options: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass
class TownView:
    shops: int  # the town's shops
    answering: int  # shops that answered
    private: int  # of which did not consent
    questions: list[QuestionSummary]
    list_shown: bool
    consenting: list[ShopAnswer]  # empty unless list_shown


def list_may_be_shown(answering: int, private: int) -> bool:
    """The rule's second part: the consenting shops' list goes with the aggregate only when the
    private answers are none (nothing to isolate) or at least MIN_ANSWERS (none to single out)."""
    return answering > 0 and (private == 0 or private >= MIN_ANSWERS)


def town_view(territory: Territory) -> TownView:
    answers = _answers(territory)
    answering = len(answers)
    private = sum(1 for a in answers if not a.town_may_see)
    questions = []
    for question, options, _several in QUESTIONS:
        shown = answering >= MIN_ANSWERS
        summary = QuestionSummary(question, answering, shown)
        if shown:
            for option in options:
                chose = sum(1 for a in answers if option in a.codes(question))
                summary.options.append((option, chose, round(100 * chose / answering)))
        questions.append(summary)
    list_shown = list_may_be_shown(answering, private)
    consenting = [a for a in answers if a.town_may_see] if list_shown else []
    return TownView(shop_count(territory), answering, private, questions, list_shown, consenting)


INVITATION_KIND = "audit"  # an InboxItem's kind (String(10))
INVITATION_URL = "/manage/self-assessment"
# A shop's members get the town's invitation at most once in this many days.
INVITATION_EVERY_DAYS = 7


def invite_shops_to_answer(territory: Territory) -> int:
    """The town's nudge: every member of every verified shop that has not answered yet gets a
    message in their inbox (not twice within INVITATION_EVERY_DAYS). Returns how many shops were
    invited: shops, never people, and nobody named."""
    now = utcnow()
    since = now - timedelta(days=INVITATION_EVERY_DAYS)
    shops = list(db.session.scalars(
        select(Actor).where(
            belongs(Actor, territory), Actor.status == "verified", Actor.kind.in_(SHOP_KINDS),
            ~exists().where(ShopAnswer.actor_id == Actor.id))
        .order_by(Actor.id)
    ))
    invited = 0
    for shop in shops:
        members = db.session.scalars(
            select(User).join(Membership, Membership.user_id == User.id).where(
                Membership.actor_id == shop.id, User.territory_id == territory.id,
                ~exists().where(InboxItem.user_id == User.id, InboxItem.kind == INVITATION_KIND,
                                InboxItem.created_at >= since))
        )
        sent = False
        for member in members:
            with force_locale(member.language or territory.default_language or "fr"):
                title = _("%(town)s invites %(shop)s to its shops' self-assessment", town=territory.name, shop=shop.name)
                body = _("Six short questions about how people find, reach and buy from your shop. Act as "
                         "%(shop)s, then open “Self-assessment of the shop” from its dashboard. The town sees "
                         "your own answers only if you allow it.", shop=shop.name)
            db.session.add(InboxItem(user_id=member.id, territory_id=territory.id, actor_id=None,
                                     kind=INVITATION_KIND, title=title[:120], body=body, url=INVITATION_URL,
                                     created_at=now))
            sent = True
        invited += sent
    db.session.commit()
    return invited
