"""The attacks of the privacy audit, run against the release engine (app.releases.engine), for
``make bench-privacy`` (bench/bench_privacy.py, thousands of trials) and tests/releases/ (a
small seeded run).

Every answer the attacker gets comes from ``release(asker, question, count)``: the real engine,
on the real database, with its storage of released answers, its windows and its daily budget.
What a question counts is the scenario's (the attacker's own accounts, plus the victim or not),
given to the engine as ``count``: the engine only ever sees a count, so this measures the
release mechanism against the attacker's strategy. Each trial is a fresh actor (an ``Asker``
that never asked anything), so the per-asker budget and same-answer rules apply as they do in
production. Victims are balanced: even trials the victim has the attribute, odd trials not.

The attacker is a determined shop owner who knows the mechanism (it is published): discrete
Laplace noise of scale 1/epsilon, the floor on the noisy value, rounding to 10. It chooses how
many of its accounts a question counts so that "victim in" and "victim out" sit on either side
of a boundary of the released value (24 or 25 people: the rounding boundary at 25; 10 or 11:
the floor): with the noise, that is where one person shows the most. It tries several rules on
the released values and the strongest is reported; ``Attack.optimum`` is the exact accuracy of
the likelihood rule, computed from the law, to check the simulation against.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from app.actors.models import Actor
from app.campaigns.audience import audience_question
from app.campaigns.criteria import Criteria, PresentInZoneRule
from app.campaigns.models import Campaign, CampaignRun
from app.campaigns.stats import figures_question
from app.extensions import db
from app.models_common import utcnow
from app.releases.engine import ACTOR, Asker, Question, Released, release, settings_of, shown_value
from app.releases.floor import anonymity_floor
from app.territories.models import Territory

OWN_ACCOUNTS = 30  # the attacker's accounts sharing the victim's hashtags
ALIGNED = 24  # of them counted by a question: 24 or 25 people, either side of the boundary at 25
PRESENT_ACCOUNTS = 10  # checked in at the point: 10 or 11, either side of the floor (11)
OPENS = 10  # the attacker's accounts that opened the campaign: 10 or 11 opens
TIE = 1e-9
MAX_QUESTIONS = 100_000

_asker_ids = itertools.count(1_000_000)  # never an actor's id: a new asker each time


def fresh_asker(territory: Territory) -> Asker:
    return Asker(ACTOR, territory.id, next(_asker_ids))


def number(released: Released) -> int:
    """A released value as the attacker reads it: "fewer than 11" is 0."""
    return released.value or 0


# --- the law of a released value, as the attacker computes it ------------------------------------


@cache
def _released_law(epsilon: float, floor: int, true: int) -> dict[int | None, float]:
    alpha = math.exp(-epsilon)
    c = (1 - alpha) / (1 + alpha)  # P(noise = k) = c alpha^|k|
    span = int(80 / epsilon) + 20  # alpha^span < e^-80: the rest weighs nothing
    law: dict[int | None, float] = defaultdict(float)
    for noisy in range(true - span, true + span + 1):
        law[shown_value(noisy, floor)] += c * alpha ** abs(noisy - true)
    return dict(law)


@dataclass(frozen=True)
class Law:
    """The distribution of the released value for each true count: the engine's noise (discrete
    Laplace of scale 1/epsilon), then its ``shown_value`` (the floor, rounding to 10)."""

    epsilon: float
    floor: int

    @classmethod
    def of(cls, territory: Territory) -> Law:
        return cls(settings_of(territory).epsilon, anonymity_floor(territory))

    def probabilities(self, true: int) -> dict[int | None, float]:
        return _released_law(self.epsilon, self.floor, true)

    def log_ratio(self, value: int | None, if_has: int, if_not: int) -> float:
        """log P(value | the victim counts) / P(value | not): what one answer says."""
        has = self.probabilities(if_has).get(value, 0.0)
        hasnt = self.probabilities(if_not).get(value, 0.0)
        return math.log(max(has, 1e-300) / max(hasnt, 1e-300))

    def mean(self, true: int) -> float:
        return sum((value or 0) * p for value, p in self.probabilities(true).items())

    def pair_optimum(self, if_has: int, if_not: int) -> float:
        """The exact accuracy of the best guess from one answer (1/2 + total variation / 2)."""
        has, hasnt = self.probabilities(if_has), self.probabilities(if_not)
        distance = sum(abs(has.get(v, 0.0) - hasnt.get(v, 0.0)) for v in set(has) | set(hasnt)) / 2
        return 0.5 + distance / 2

    def repeated_optimum(self, if_has: int, if_not: int, answers: int) -> float:
        """The exact accuracy of the likelihood rule over ``answers`` independent answers, each
        counting ``if_has`` or ``if_not`` people (ties guessed "has", as the rule does)."""
        has, hasnt = self.probabilities(if_has), self.probabilities(if_not)

        def llr_law(law: dict[int | None, float]) -> dict[float, float]:
            step: dict[float, float] = defaultdict(float)
            for value, p in law.items():
                step[round(self.log_ratio(value, if_has, if_not), 9)] += p
            total: dict[float, float] = {0.0: 1.0}
            for _ in range(answers):
                nxt: dict[float, float] = defaultdict(float)
                for s, p in total.items():
                    for d, q in step.items():
                        nxt[round(s + d, 9)] += p * q
                total = {s: p for s, p in nxt.items() if p > 1e-15}
            return total

        right_if_has = sum(p for s, p in llr_law(has).items() if s >= -TIE)
        right_if_not = sum(p for s, p in llr_law(hasnt).items() if s < -TIE)
        return (right_if_has + right_if_not) / 2


# --- results ------------------------------------------------------------------------------------


@dataclass
class Attack:
    """Each rule's right guesses over the trials; ``optimum``: the exact accuracy of the
    likelihood rule (from the law), when it is known."""

    name: str
    trials: int = 0
    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    optimum: float | None = None
    answers: list[int] = field(default_factory=list)  # answers the attacker got, per trial

    def record(self, has: bool, guesses: dict[str, bool]) -> None:
        self.trials += 1
        for rule, guess in guesses.items():
            self.right[rule] += guess == has

    def accuracy(self, rule: str) -> float:
        return self.right[rule] / self.trials

    def best(self) -> tuple[str, float]:
        rule = max(self.right, key=lambda r: self.right[r])
        return rule, self.accuracy(rule)


def wilson(right: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % (Wilson) interval of a proportion."""
    if trials == 0:
        return 0.0, 1.0
    p = right / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return centre - half, centre + half


def combine(attacks: Sequence[Attack]) -> tuple[Attack, str, float]:
    """The strongest (attack variant, rule) of several."""
    best = max(attacks, key=lambda a: a.best()[1])
    rule, accuracy = best.best()
    return best, rule, accuracy


# --- one pair of answers --------------------------------------------------------------------------


def pair_guesses(law: Law, first: Released, second: Released, first_true: int,
                 if_has: int, if_not: int) -> dict[str, bool]:
    """The rules an attacker may use on two answers: the first counts ``first_true`` people
    whatever the victim, the second ``if_has`` or ``if_not``. True: "the victim has it"."""
    a, b = number(first), number(second)
    expected_gap = ((law.mean(if_has) - law.mean(first_true))
                    + (law.mean(if_not) - law.mean(first_true))) / 2
    llr = (law.log_ratio(first.value, first_true, first_true)
           + law.log_ratio(second.value, if_has, if_not))
    return {
        "second >= first": b >= a,
        "second > first": b > a,
        "difference vs expected": b - a >= expected_gap,
        "likelihood": llr >= -TIE,
    }


def _pairs(name: str, territory: Territory, trials: int, first_true: int, if_has: int,
           if_not: int, ask: Callable[[Asker, bool], tuple[Released, Released]]) -> Attack:
    law = Law.of(territory)
    attack = Attack(name, optimum=law.pair_optimum(if_has, if_not))
    for trial in range(trials):
        has = trial % 2 == 0
        first, second = ask(fresh_asker(territory), has)
        assert not first.budget_spent and not second.budget_spent
        attack.record(has, pair_guesses(law, first, second, first_true, if_has, if_not))
    return attack


# --- 1. pair: audience A (own accounts + the victim), then A + "#Y" -----------------------------


def subset_question(accounts: Iterable[int], with_y: bool) -> Question:
    """An audience question over some of the attacker's accounts and the victim (their shared
    hashtags), "#Y" added or not: each subset is another question. The engine sees only the
    canonical parts; the count is the scenario's."""
    parts: tuple[object, ...] = (("accounts", tuple(sorted(accounts))), ("victim", 1))
    if with_y:
        parts += (("hashtag", "Y"),)
    return Question("audience", parts)


def pair_attack(territory: Territory, trials: int, accounts: int = ALIGNED) -> Attack:
    """One pair of estimates: A = ``accounts`` of its own + the victim (always ``accounts`` + 1
    people), and A + "#Y" (``accounts`` + 1 if the victim has #Y, else ``accounts``)."""
    own = range(accounts)

    def ask(asker: Asker, has: bool) -> tuple[Released, Released]:
        a = release(asker, subset_question(own, False), lambda: accounts + 1)
        ay = release(asker, subset_question(own, True), lambda: accounts + int(has))
        return a, ay

    return _pairs(f"pair, {accounts} accounts", territory, trials, accounts + 1,
                  accounts + 1, accounts, ask)


# --- 2. budget: one actor's whole day on one person ----------------------------------------------


def budget_attack(territory: Territory, trials: int, *, pairs: bool, accounts: int = ALIGNED,
                  seed: int = 7) -> Attack:
    """The attacker asks new questions (a different subset of ``accounts`` of its
    ``OWN_ACCOUNTS`` each time) until the engine refuses: ``pairs`` asks A then A + "#Y" for each
    subset (as the audit did); otherwise only A + "#Y" (A always counts ``accounts`` + 1 people:
    its answer tells nothing the attacker does not know), twice as many answers that count."""
    law = Law.of(territory)
    rng = random.Random(seed)
    strategy = "pairs" if pairs else "A + #Y only"
    attack = Attack(f"budget, {strategy}, {accounts} of {OWN_ACCOUNTS} accounts")
    if_has, if_not = accounts + 1, accounts
    # A pair's expected difference is 0 if the victim has #Y, mean(if_not) - mean(if_has) if not;
    # an answer's expected value mean(if_has) or mean(if_not): the rules cut in the middle.
    gap_cut = (law.mean(if_not) - law.mean(if_has)) / 2
    value_cut = (law.mean(if_has) + law.mean(if_not)) / 2
    for trial in range(trials):
        has = trial % 2 == 0
        asker = fresh_asker(territory)
        seen: set[tuple[int, ...]] = set()
        got: list[tuple[Released | None, Released]] = []  # (A or None, A + #Y)
        for _ in range(MAX_QUESTIONS):  # the engine refuses long before
            subset = tuple(sorted(rng.sample(range(OWN_ACCOUNTS), accounts)))
            if subset in seen:
                continue
            seen.add(subset)
            a = None
            if pairs:
                a = release(asker, subset_question(subset, False), lambda: if_has)
                if a.budget_spent:
                    break
            ay = release(asker, subset_question(subset, True), lambda h=has: accounts + int(h))
            if ay.budget_spent:
                break
            got.append((a, ay))
        else:
            raise AssertionError("the engine never refused: no daily budget?")
        attack.answers.append(len(got) * (2 if pairs else 1))
        llrs = [law.log_ratio(ay.value, if_has, if_not) for _, ay in got]
        votes = sum(1 if llr > TIE else -1 if llr < -TIE else 0 for llr in llrs)
        guesses = {"likelihood (sum of log-ratios)": sum(llrs) >= -TIE,
                   "majority of answers": votes >= 0}
        if pairs:
            differences = sum(number(ay) - number(a) for a, ay in got if a is not None)
            guesses["sum of differences"] = differences >= gap_cut * len(got)
            guesses["majority of pair comparisons"] = (
                sum(1 if number(ay) >= number(a) else -1 for a, ay in got if a is not None) >= 0)
        else:
            guesses["sum of values"] = sum(number(ay) for _, ay in got) >= value_cut * len(got)
        attack.record(has, guesses)
    counted = round(sum(attack.answers) / max(1, len(attack.answers)) / (2 if pairs else 1))
    attack.optimum = law.repeated_optimum(if_has, if_not, counted)
    return attack


# --- 3. presence: "present within 300 m of P", per zone and 15-minute window ---------------------


def presence_question(territory: Territory) -> Question:
    rule = PresentInZoneRule(lat=territory.center_lat, lon=territory.center_lon, radius_m=300)
    return audience_question(territory, Criteria(rules=(rule,)))


def presence_attack(territory: Territory, trials: int, accounts: int = PRESENT_ACCOUNTS,
                    start: datetime | None = None) -> Attack:
    """``accounts`` of the attacker's check in at P; one window the victim is known away, the
    next it is there or not: the same question in two windows, compared."""
    question = presence_question(territory)
    first_at = start or utcnow()
    second_at = first_at + question.window

    def ask(asker: Asker, has: bool) -> tuple[Released, Released]:
        before = release(asker, question, lambda: accounts, now=first_at)
        after = release(asker, question, lambda: accounts + int(has), now=second_at)
        return before, after

    return _pairs(f"presence, {accounts} accounts", territory, trials, accounts,
                  accounts + 1, accounts, ask)


# --- 4. open: a sent campaign's opens, released once per statistics window ----------------------


def sent_campaign(territory: Territory, started_at: datetime) -> Campaign:
    actor = Actor(territory_id=territory.id, name="Boutique", slug=f"boutique-{next(_asker_ids)}",
                  kind="merchant", status="verified")
    db.session.add(actor)
    db.session.flush()
    campaign = Campaign(territory_id=territory.id, actor_id=actor.id, title="Soldes",
                        channels_csv="email", status="sent")
    db.session.add(campaign)
    db.session.flush()
    db.session.add(CampaignRun(campaign_id=campaign.id, territory_id=territory.id,
                               scheduled_for=started_at, started_at=started_at, status="sent",
                               finished_at=started_at))
    db.session.commit()
    return campaign


def open_attack(territory: Territory, trials: int, opens: int = OPENS,
                start: datetime | None = None) -> Attack:
    """The campaign's opens in one statistics window (``opens``: the attacker's accounts), then
    in the next: the victim alone opened in between, or not."""
    sent_at = start or utcnow()
    campaign = sent_campaign(territory, sent_at)
    first_at = sent_at + timedelta(minutes=1)
    question = figures_question(campaign, territory, "email", "opened", first_at)
    second_at = first_at + question.window
    assert figures_question(campaign, territory, "email", "opened", second_at) == question

    def ask(asker: Asker, has: bool) -> tuple[Released, Released]:
        before = release(asker, question, lambda: opens, now=first_at)
        after = release(asker, question, lambda: opens + int(has), now=second_at)
        return before, after

    return _pairs(f"open, {opens} opens", territory, trials, opens, opens + 1, opens, ask)


# --- how useful an estimate stays -----------------------------------------------------------------


def relative_errors(territory: Territory, releases: int, true: int = 100) -> list[float]:
    """|released - true| / true over ``releases`` releases of a true audience of ``true``."""
    question = subset_question(range(true), False)
    errors = []
    for _ in range(releases):
        released = release(fresh_asker(territory), question, lambda: true)
        errors.append(abs(number(released) - true) / true)
    return errors
