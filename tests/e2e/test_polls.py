"""Polls in a browser (issue 13): an association writes a poll and invites residents of a
neighbourhood interested in a hashtag with a campaign; a matching citizen answers it from the
inbox on a phone and changes the answer, while a citizen who does not match never sees the
invitation; a tourist on the market square finds the place poll in Near me and answers it; the
results page shows per-option counts and a cross-table with hidden cells, and its CSV holds
exactly the page's figures; the poll page and the results page pass axe and never scroll
sideways at 360 px.

To get figures over the anonymity floor, the results tests plant answers through
``app.polls.answers.submit`` (each person with a ballot key of their own): the pages and the CSV
under test are the real ones."""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.consents import PROFILE_TARGETING, grant_consent
from app.accounts.models import User, UserHashtag
from app.actors.models import Actor
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from app.polls import answers
from app.polls.models import PollOption, PollQuestion
from app.publications.models import Publication
from app.territories.models import Hashtag, Neighbourhood, Territory
from tests.e2e.conftest import MOBILE_VIEWPORT, act_as, describe_violations, log_in
from tests.factories import (
    make_actor,
    make_citizen,
    make_hashtag,
    make_member,
    make_neighbourhood,
    make_publication,
    make_user,
)

pytestmark = pytest.mark.e2e

EVERY_IMPACT = ("minor", "moderate", "serious", "critical")
MARKET_SQUARE = {"latitude": 43.17512345, "longitude": 5.60498765}
ASSOCIATION = "Les Amis de la Braderie"
PRESIDENT = "presidente-braderie@example.org"
NEIGHBOURHOOD = "Centre-ville"
HASHTAG = "braderie"
NEIGHBOURS = 11  # planted people who match the invitation: with the citizen, over the floor


@pytest.fixture
def context(incognito_context):  # type: ignore[no-untyped-def]
    """Nothing to install here."""
    return incognito_context


@dataclass
class Town:
    territory: int
    association: int
    neighbourhood: int
    other_neighbourhood: int
    hashtag: int


def _one(model: Any, **where: Any) -> Any:
    return db.session.scalar(select(model).filter_by(**where))


def braderie_town(live_db, seed) -> Town:  # type: ignore[no-untyped-def]
    """Centre-ville, #braderie and an association with its president; made once per server."""
    with live_db():
        territory = db.session.get(Territory, seed.ids["coast"])
        hood = _one(Neighbourhood, territory_id=territory.id, name=NEIGHBOURHOOD) or make_neighbourhood(
            territory, NEIGHBOURHOOD)
        other = _one(Neighbourhood, territory_id=territory.id, name="Fardeloup")
        tag = _one(Hashtag, territory_id=territory.id, tag=HASHTAG) or make_hashtag(territory, HASHTAG)
        association = _one(Actor, territory_id=territory.id, name=ASSOCIATION)
        if association is None:
            association = make_actor(territory, ASSOCIATION, kind="association", verified_at=utcnow(),
                                     summary="La braderie du centre-ville, chaque printemps")
            association.slug = "amis-braderie"
            president = make_user(territory, PRESIDENT, display_name="Hélène", onboarded_at=utcnow())
            make_member(president, association, "owner")
        return Town(territory.id, association.id, hood.id, other.id, tag.id)


def person(territory: Territory, *, email: str | None = None, hashtags: tuple[int, ...] = (), share: bool = True,
           **fields: Any) -> User:
    """A person of the town with a profile they let be used: one who can log in with ``email``,
    else a planted one."""
    fields.setdefault("onboarded_at", utcnow())
    user = make_user(territory, email, **fields) if email else make_citizen(territory, **fields)
    for hashtag_id in hashtags:
        db.session.add(UserHashtag(user_id=user.id, hashtag_id=hashtag_id))
    if share:
        grant_consent(user, PROFILE_TARGETING, detail="e2e")
    db.session.commit()
    return user


def local_input(territory_id: int, delta: timedelta) -> str:
    """A datetime-local value on the town's clock, ``delta`` from now."""
    zone = ZoneInfo(db.session.get(Territory, territory_id).timezone)
    return (datetime.now(zone) + delta).strftime("%Y-%m-%dT%H:%M")


QUESTIONS = (
    ("single", "Où installer la braderie ?", ["Sur le port", "Place du marché", "Au parc"]),
    ("multiple", "Qu’aimeriez-vous y trouver ?", ["Des bancs", "Des arbres", "Une fontaine"]),
)
OPTIONAL_QUESTIONS = (  # one of each other kind, none required
    ("scale", "La braderie de l’an dernier vous a-t-elle plu ?", []),
    ("ranking", "Classez les jours", ["Samedi", "Dimanche", "Lundi"]),
    ("text", "Autre chose ?", []),
)


def make_poll(actor: Actor, title: str, every_kind: bool = False, **fields: Any) -> Publication:
    """A published poll, open for a week: a single-choice and a multiple-choice question, both
    required (with ``every_kind``, then an optional scale, ranking and short text)."""
    now = utcnow()
    poll = make_publication(actor, title, kind="poll", valid_from=now - timedelta(hours=1),
                            valid_until=now + timedelta(days=7), **fields)
    for position, (kind, text, labels) in enumerate(QUESTIONS + (OPTIONAL_QUESTIONS if every_kind else ()), start=1):
        question = PollQuestion(publication_id=poll.id, position=position, kind=kind, text=text,
                                required=kind in ("single", "multiple"), scale_max=5 if kind == "scale" else None)
        question.options = [PollOption(label=label, position=i) for i, label in enumerate(labels, start=1)]
        db.session.add(question)
    db.session.commit()
    return poll


def options_of(poll: Publication) -> list[list[int]]:
    return [[option.id for option in question.options] for question in answers.questions_of(poll)]


def _passes_axe(page, axe, where: str) -> None:  # type: ignore[no-untyped-def]
    violations = axe(page, EVERY_IMPACT)
    assert not violations, f"{where}:\n{describe_violations(violations)}"


def _no_sideways_scroll(page, where: str) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= MOBILE_VIEWPORT["width"], f"{where} scrolls sideways ({width} px)"


def _new_page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale="fr-FR")
    context.set_default_timeout(10_000)
    return context, context.new_page()


# --- 1. writing a poll, inviting by criteria, answering from the inbox ------------------------------


def test_an_association_invites_residents_by_criteria_and_a_citizen_answers_from_the_inbox_on_a_phone(
    page, browser, live_server, live_db, seed
):
    town = braderie_town(live_db, seed)
    suffix = uuid.uuid4().hex[:6]
    with live_db():
        territory = db.session.get(Territory, town.territory)
        citizen = person(territory, email=f"voisine-{suffix}@example.org", display_name="Zoé",
                         neighbourhood_id=town.neighbourhood, population_type="resident", hashtags=(town.hashtag,))
        marche = _one(Hashtag, territory_id=territory.id, tag="marche")
        # lives in Centre-ville too, but follows #marche, not #braderie
        other = person(territory, email=f"voisin-{suffix}@example.org", display_name="Yanis",
                       neighbourhood_id=town.neighbourhood, population_type="resident", hashtags=(marche.id,))
        for _ in range(NEIGHBOURS):
            person(territory, neighbourhood_id=town.neighbourhood, population_type="resident",
                   hashtags=(town.hashtag,))
        citizen_email, other_email = citizen.email, other.email
        citizen_id, other_id = citizen.id, other.id
        opens, closes = local_input(town.territory, -timedelta(hours=1)), local_input(town.territory, timedelta(days=7))

    # --- the association writes the poll: its frame, then its questions, then publishes it -------
    title = f"La braderie de printemps {suffix}"
    association_context, association = _new_page(browser)
    try:
        log_in(association, live_server, PRESIDENT, seed.password)
        act_as(association, ASSOCIATION)
        association.goto(live_server.url("/manage/publications/new?kind=poll"))
        association.locator("#title").fill(title)
        association.locator("#summary").fill("Dites-nous où et comment, en deux questions.")
        association.locator("#valid_from").fill(opens)
        association.locator("#valid_until").fill(closes)
        association.locator("input[name=poll_results][value=live]").check()
        association.locator("button[name=action][value=save]").click()
        association.wait_for_url("**/manage/polls/*/questions")
        poll_id = int(association.url.rstrip("/").split("/")[-2])

        editor_form = association.locator("form.poll-question-form")
        association.locator("input[name=kind][value=single]").check()
        association.locator("#text").fill("Où installer la braderie ?")
        association.locator("#options").fill("Sur le port\nPlace du marché\nAu parc")
        editor_form.locator("button[type=submit]").click()
        expect(association.locator(".poll-question-item")).to_have_count(1)
        association.locator("input[name=kind][value=multiple]").check()
        association.locator("#text").fill("Qu’aimeriez-vous y trouver ?")
        association.locator("#options").fill("Des bancs\nDes arbres\nUne fontaine")
        editor_form.locator("button[type=submit]").click()
        expect(association.locator(".poll-question-item")).to_have_count(2)
        expect(association.locator(".poll-question-item").nth(1)).to_contain_text("Une fontaine")

        association.locator("form[action$='/status'] button[type=submit]").click()  # publish the poll
        association.wait_for_url("**/manage/publications")
        with live_db():
            poll = db.session.get(Publication, poll_id)
            assert (poll.kind, poll.status, poll.actor_id) == ("poll", "published", town.association)
            [where, wishes] = options_of(poll)
            first, second = (question.id for question in answers.questions_of(poll))

        # --- …and invites Centre-ville's residents interested in #braderie, by the inbox ----------
        association.goto(live_server.url(f"/manage/polls/{poll_id}/questions"))
        association.locator(f"a[href$='/manage/campaigns/new?publication_id={poll_id}']").click()
        association.wait_for_url("**/manage/campaigns/new?publication_id=*")
        expect(association.locator("#link")).to_have_value(str(poll_id))  # the poll, preselected
        invitation = f"Votre avis sur la braderie {suffix}"
        association.locator("#title").fill(invitation)
        association.locator("#body").fill("Deux questions, une minute : où et comment.")
        association.locator("#step-what [data-step-go=who]").click()
        association.locator("#step-who label.chip", has_text=f"#{HASHTAG}").click()
        association.locator("#step-who label.chip", has_text=NEIGHBOURHOOD).click()
        expect(association.locator("#audience .audience-count")).to_be_visible()
        association.locator("#step-who [data-step-go=when]").click()
        for channel in ("push", "email"):
            box = association.locator(f"input[name=channels][value={channel}]")
            if box.count() and box.is_checked():
                association.locator(f"label.chip[for='{box.get_attribute('id')}']").click()
        expect(association.locator("input[name=channels][value=inbox]")).to_be_checked()
        association.locator("#step-when [data-step-go=review]").click()
        association.locator("#audience button[value=send]").click()
        expect(association.get_by_role("heading", level=1, name=invitation)).to_be_visible()
    finally:
        association_context.close()

    # --- the matching citizen, on a phone: the inbox, the invitation, the poll -------------------
    assert page.viewport_size == MOBILE_VIEWPORT
    log_in(page, live_server, citizen_email, seed.password)
    page.locator("#inbox-link").click()
    page.wait_for_url("**/me/inbox")
    message = page.locator(".inbox-item", has_text=invitation)
    expect(message).to_have_count(1)
    message.get_by_role("link", name=invitation).click()  # opens it in place
    message.get_by_role("link", name="Ouvrir").click()
    page.wait_for_url(f"**/polls/{poll_id}")
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()

    # a few taps: one answer, two wishes, counted by profile too, send
    page.locator("label.poll-choice", has_text="Place du marché").click()
    page.locator("label.poll-choice", has_text="Des bancs").click()
    page.locator("label.poll-choice", has_text="Des arbres").click()
    page.locator("label[for=share]").click()
    send = page.locator("form.poll-form button[type=submit]")
    send.click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f"input[name=q{first}][value='{where[1]}']")).to_be_checked()
    expect(page.locator(f"input[name=q{second}][value='{wishes[0]}']")).to_be_checked()
    expect(page.locator("form.poll-withdraw")).to_be_visible()  # answered: it can be withdrawn too

    # changing it: the port instead, no benches; the page shows the new choices ticked
    page.locator("label.poll-choice", has_text="Sur le port").click()
    page.locator("label.poll-choice", has_text="Des bancs").click()
    send.click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f"input[name=q{first}][value='{where[0]}']")).to_be_checked()
    expect(page.locator(f"input[name=q{first}][value='{where[1]}']")).not_to_be_checked()
    expect(page.locator(f"input[name=q{second}][value='{wishes[0]}']")).not_to_be_checked()
    expect(page.locator(f"input[name=q{second}][value='{wishes[1]}']")).to_be_checked()
    expect(page.locator(f"input[name=q{second}][value='{wishes[2]}']")).not_to_be_checked()
    with live_db():
        poll = db.session.get(Publication, poll_id)
        assert answers.has_answers(poll)

    # --- the citizen who does not match never sees the invitation ---------------------------------
    other_context, other_page = _new_page(browser)
    try:
        log_in(other_page, live_server, other_email, seed.password)
        other_page.goto(live_server.url("/me/inbox"))
        expect(other_page.locator("main")).to_be_visible()
        expect(other_page.locator(".inbox-item", has_text=invitation)).to_have_count(0)
        expect(other_page.locator("main")).not_to_contain_text(invitation)
    finally:
        other_context.close()
    with live_db():
        reached = set(db.session.scalars(select(InboxItem.user_id).where(InboxItem.title == invitation)))
        assert len(reached) >= NEIGHBOURS + 1 and citizen_id in reached and other_id not in reached



# --- 2. a place poll in Near me ----------------------------------------------------------------------


def test_a_tourist_on_the_market_square_finds_the_place_poll_in_near_me_and_answers_it(
    context, page, live_server, live_db, seed
):
    town = braderie_town(live_db, seed)
    suffix = uuid.uuid4().hex[:6]
    title = f"Une place du marché sans voitures ? {suffix}"
    with live_db():
        territory = db.session.get(Territory, town.territory)
        poll = make_poll(db.session.get(Actor, town.association), title, place_name="Place du marché",
                         lat=MARKET_SQUARE["latitude"], lon=MARKET_SQUARE["longitude"], radius_m=150)
        poll_id = poll.id
        [where, _wishes] = options_of(poll)
        tourist = person(territory, email=f"touriste-{suffix}@example.org", display_name="Greta",
                         population_type="tourist", language="de")
        tourist_email = tourist.email

    origin = live_server.url("/").rstrip("/")
    context.grant_permissions(["geolocation"], origin=origin)
    context.set_geolocation(MARKET_SQUARE)
    log_in(page, live_server, tourist_email, seed.password)
    page.goto(live_server.url("/near/location"))
    page.locator("button[name=action][value=on]").click()
    page.locator("[data-live-location-state=on]").wait_for()
    page.locator("main a[href='/near?from=live']").click()
    page.wait_for_url("**/near?from=live")

    card = page.locator(".near-list .near-item-poll", has_text=title)
    expect(card).to_have_count(1)
    expect(card.locator(".tag")).to_be_visible()  # "you are in its zone"
    card.get_by_role("link", name=title).click()
    page.wait_for_url(f"**/polls/{poll_id}")
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()
    page.locator("label.poll-choice", has_text="Place du marché").click()
    page.locator("label.poll-choice", has_text="Une fontaine").click()
    page.locator("form.poll-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f"input[value='{where[1]}']")).to_be_checked()
    with live_db():
        assert answers.has_answers(db.session.get(Publication, poll_id))


# --- 3. results, cross-tables and the CSV ------------------------------------------------------------

# Who answers the results' poll, and what: (how many, neighbourhood, hashtag, population type,
# the single choice's option index, the multiple choice's option indexes). Every one of them lets
# their profile count. The figures are released with negligible noise (the seed's territory):
# the port's 20 are shown, the square's 14 are hidden so that 40 − 20 cannot point at the park's
# 6; by hashtag, #braderie's people show and the others are "—".
PLANTED = (
    (20, NEIGHBOURHOOD, HASHTAG, "resident", 0, (0, 1)),
    (10, NEIGHBOURHOOD, HASHTAG, "resident", 1, (0,)),
    (6, "Fardeloup", "marche", "resident", 2, (2,)),
    (4, None, None, "tourist", 1, (1,)),
)


def plant_results_poll(live_db, seed, every_kind: bool = False) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A published poll of the association with 40 answers planted through answers.submit (to its
    first two questions)."""
    town = braderie_town(live_db, seed)
    title = f"Bilan de la braderie {uuid.uuid4().hex[:6]}"
    with live_db():
        territory = db.session.get(Territory, town.territory)
        poll = make_poll(db.session.get(Actor, town.association), title, every_kind=every_kind)
        where, wishes = options_of(poll)[:2]
        first, second = (question.id for question in answers.questions_of(poll)[:2])
        hoods = {NEIGHBOURHOOD: town.neighbourhood, "Fardeloup": town.other_neighbourhood}
        for count, hood, tag, population, choice, chosen in PLANTED:
            tag_ids = (_one(Hashtag, territory_id=territory.id, tag=tag).id,) if tag else ()
            for _ in range(count):
                respondent = person(territory, neighbourhood_id=hoods.get(hood or ""), population_type=population,
                                    hashtags=tag_ids)
                answer = {str(first): [where[choice]], str(second): [wishes[i] for i in chosen]}
                assert answers.submit(poll, territory, respondent, os.urandom(32), answer, shared=True) == "new"
        return poll.id, title


PAGE_FIGURES = """() => {
  const text = (el) => el.textContent.trim();
  const figures = {};
  const put = (key, value) => { figures[JSON.stringify(key)] = value === "—" ? "" : value; };
  put(["", "(answered)", "", ""], text(document.querySelector("#poll-respondents")));
  for (const section of document.querySelectorAll("section.poll-result")) {
    const number = text(section.querySelector(".poll-number")).replace(".", "");
    put([number, "(answered)", "", ""], text(section.querySelector(".poll-answered")));
    for (const row of section.querySelectorAll("table.chart-table tbody tr")) {
      put([number, text(row.querySelector("th")), "", ""], text(row.querySelector("td")));
    }
    const cross = section.querySelector("table.poll-cross");
    if (cross) {
      const columns = [...cross.querySelectorAll("thead th")].slice(1).map(text);
      for (const row of cross.querySelectorAll("tbody tr")) {
        [...row.querySelectorAll("td")].forEach((cell, i) => put(
          [number, text(row.querySelector("th")), cross.dataset.breakdown, columns[i]], text(cell)));
      }
    }
  }
  return figures;
}"""


def csv_figures(text: str) -> dict[str, str]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all(row["floor"] == "11" and row["figures"] == "today" for row in rows)
    return {json.dumps([row["question_number"], row["answer"], row["breakdown"], row["group"]],
                       ensure_ascii=False, separators=(",", ":")): row["people"] for row in rows}


def test_the_results_show_counts_per_option_a_cross_table_with_hidden_cells_and_the_csv_matches_the_page(
    page, live_server, live_db, seed
):
    poll_id, title = plant_results_poll(live_db, seed)
    log_in(page, live_server, PRESIDENT, seed.password)
    act_as(page, ASSOCIATION)
    page.goto(live_server.url(f"/polls/{poll_id}"))
    page.locator(f"a[href$='/polls/{poll_id}/results']").click()
    page.wait_for_url(f"**/polls/{poll_id}/results")
    expect(page.locator("#poll-respondents")).to_have_text("40")

    # per option: the port's 20 shown, the square and the park hidden; options counted one by one
    single, multiple = page.locator("section.poll-result").all()
    expect(single.locator(".poll-answered")).to_have_text("40")
    expect(single.locator("table.chart-table tbody td")).to_have_text(["20", "—", "—"], use_inner_text=False)
    expect(multiple.locator("table.chart-table tbody td")).to_have_text(["30", "20", "—"], use_inner_text=False)
    expect(page.locator("table.poll-cross")).to_have_count(0)

    # by followed hashtag: #braderie's people shown, the rest "—" like an empty cell
    page.locator("nav.poll-breakdowns a[href$='by=hashtag']").click()
    page.wait_for_url("**/results?by=hashtag")
    cross = multiple.locator("table.poll-cross")
    expect(cross).to_have_attribute("data-breakdown", "hashtag")
    columns = cross.locator("thead th").all_text_contents()[1:]
    assert f"#{HASHTAG}" in columns and "#marche" in columns, columns
    benches = cross.locator("tbody tr", has_text="Des bancs").locator("td").all_text_contents()
    assert benches[columns.index(f"#{HASHTAG}")] == "30"
    assert benches[columns.index("#marche")] == "—"
    assert set(benches) == {"30", "—"}, benches

    # the CSV the page offers holds exactly the page's figures, cell by cell
    shown = page.evaluate(PAGE_FIGURES)
    with page.expect_download() as download:
        page.locator(f"a[href*='/polls/{poll_id}/results.csv']").click()
    assert download.value.suggested_filename == f"poll-{poll_id}-results-hashtag.csv"
    exported = csv_figures(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported == shown
    assert "" in exported.values() and "30" in exported.values()


# --- 4. accessibility and the phone's width ------------------------------------------------------------


def test_the_poll_page_and_the_results_page_pass_axe_and_never_scroll_sideways_on_a_phone(
    page, browser, live_server, live_db, seed, axe
):
    poll_id, _title = plant_results_poll(live_db, seed, every_kind=True)
    with live_db():
        territory = db.session.get(Territory, seed.ids["coast"])
        respondent = person(territory, email=f"lectrice-{uuid.uuid4().hex[:6]}@example.org", display_name="Awa")
        respondent_email = respondent.email

    # the poll page, to answer, then answered (with the way to change or withdraw)
    log_in(page, live_server, respondent_email, seed.password)
    page.goto(live_server.url(f"/polls/{poll_id}"))
    expect(page.locator("form.poll-form")).to_be_visible()
    _passes_axe(page, axe, "the poll page")
    _no_sideways_scroll(page, "the poll page")
    page.locator("form.poll-form button[type=submit]").click()  # nothing chosen: the errors
    expect(page.locator("form.poll-form .field-error").first).to_be_visible()
    _passes_axe(page, axe, "the poll page with its errors")
    _no_sideways_scroll(page, "the poll page with its errors")
    page.locator("label.poll-choice", has_text="Au parc").click()
    page.locator("label.poll-choice", has_text="Une fontaine").click()
    page.locator("label.poll-scale-value", has_text="4").click()
    page.locator(".poll-rank", has_text="Dimanche").locator("select").select_option("1")
    page.locator("form.poll-form textarea").fill("Plus de bancs à l’ombre, merci.")
    page.locator("form.poll-form button[type=submit]").click()
    expect(page.locator("form.poll-withdraw")).to_be_visible()
    _passes_axe(page, axe, "the poll page, answered")
    _no_sideways_scroll(page, "the poll page, answered")

    # the results, as everybody sees them (live) and as the association, by each breakdown
    page.goto(live_server.url(f"/polls/{poll_id}/results"))
    expect(page.locator("section.poll-result")).to_have_count(len(QUESTIONS + OPTIONAL_QUESTIONS))
    expect(page.locator("table.poll-ranks")).to_have_count(1)
    _passes_axe(page, axe, "the results page")
    _no_sideways_scroll(page, "the results page")
    association_context, association = _new_page(browser)
    try:
        log_in(association, live_server, PRESIDENT, seed.password)
        act_as(association, ASSOCIATION)
        for by in ("population", "neighbourhood", "language", "hashtag"):
            association.goto(live_server.url(f"/polls/{poll_id}/results?by={by}"))
            expect(association.locator("table.poll-cross")).to_have_count(4)  # not the short text
            association.locator("section.poll-result details.chart-numbers summary").first.click()
            _passes_axe(association, axe, f"the results page by {by}")
            _no_sideways_scroll(association, f"the results page by {by}")
    finally:
        association_context.close()
