"""What people do with the territory's app, clicked through as they would, in Chromium.

The browser asks for French (``fr-FR``), so what the person reads is French unless they change
the language; the labels below are the French ones they see."""

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def log_in(page, live_server, email, password):
    page.goto(live_server.url("/login"))
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.locator("footer").get_by_role("button", name="Se déconnecter")).to_be_visible()


def switch_role(page, role_name):
    """The header's role sheet: open it, pick the role (each role is a button of one form)."""
    page.locator(".role-sheet summary").click()
    page.locator(".role-list button", has_text=role_name).click()


def first_card_title(page):
    return page.locator("#feed-items .feed-item").first.locator("h2")


# --- a visitor joins and gets their feed --------------------------------------------------------


def test_a_new_resident_picks_interests_follows_a_shop_and_sees_its_offer_first(
    page, live_server, seed, outbox
):
    email = f"{_unique('nouvelle')}@example.org"
    page.goto(live_server.url("/"))
    page.get_by_role("link", name="Créer un compte").first.click()
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(seed.password)
    page.locator("#accept_terms").check()  # its label links the terms (app.legal)
    page.get_by_role("button", name="Créer mon compte").click()

    # The mailbox first (the page says the same whether the address had an account); the
    # confirmation link leads to the log-in, and the first log-in to the onboarding.
    page.wait_for_url(live_server.url("/register/sent"))
    [mail] = [message for message in outbox if message["To"] == email]
    link = re.search(r"http://\S+/verify/\S+", mail.get_body(("plain",)).get_content()).group(0)
    page.goto(link)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(seed.password)
    page.locator("main form button[type=submit]").click()

    # Step 1: interests.
    expect(page.get_by_role("heading", name="Vos centres d’intérêt")).to_be_visible()
    page.get_by_label("#bio", exact=True).check()
    page.get_by_label("#theatre", exact=True).check()
    page.get_by_role("button", name="Continuer").click()

    # Step 2: the shop is suggested because it shares the #bio hashtag.
    expect(page.get_by_role("heading", name="Acteurs à suivre")).to_be_visible()
    page.get_by_label(seed.shop_name, exact=True).check()
    page.get_by_role("button", name="Continuer").click()

    # Step 3: about you (optional), then the feed.
    expect(page.get_by_role("heading", name="À propos de vous")).to_be_visible()
    page.get_by_role("button", name="Terminer").click()

    expect(page.get_by_role("heading", level=1, name="Pour vous")).to_be_visible()
    assert page.url == live_server.url("/")
    # A followed shop's #bio offer outranks the #theatre event and the town's unrelated news.
    expect(first_card_title(page)).to_have_text(seed.shop_offer_title)
    expect(page.locator("#feed-items")).to_contain_text(seed.theatre_event_title)


# --- a merchant publishes as their shop ---------------------------------------------------------


def test_a_merchant_switches_to_the_shop_publishes_an_offer_and_finds_it_in_the_feed(
    page, live_server, seed
):
    title = _unique("Tomates anciennes -30 %")
    zone = ZoneInfo("Europe/Paris")  # the territory's time zone: the form takes local times
    now = datetime.now(zone).replace(second=0, microsecond=0)

    log_in(page, live_server, seed.merchant_email, seed.password)
    switch_role(page, seed.shop_name)
    page.wait_for_url(live_server.url("/manage"))
    expect(page.get_by_role("heading", level=1, name=seed.shop_name)).to_be_visible()

    page.locator(".main-nav").get_by_role("link", name="Publier").click()
    page.get_by_role("link", name=re.compile("^Offre")).click()
    expect(page.get_by_role("heading", level=1, name="Nouvelle offre")).to_be_visible()
    page.get_by_label("Titre").fill(title)
    page.get_by_label("Résumé").fill("Cette semaine seulement, au marché du port.")
    page.get_by_label("Valable à partir du").fill(
        (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Valable jusqu’au").fill((now + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Publier", exact=True).click()

    page.wait_for_url(live_server.url("/manage/publications"))
    expect(page.locator("#flash")).to_contain_text("Publiée.")
    expect(page.locator("main")).to_contain_text(title)

    # Back to being a citizen: the header's own options again, and the offer in the feeds.
    switch_role(page, "Moi")
    page.wait_for_url(live_server.url("/"))
    expect(page.locator(".main-nav").get_by_role("link", name="Pour vous")).to_be_visible()
    expect(page.locator("#feed-items").get_by_role("link", name=title)).to_be_visible()
    page.locator(".main-nav").get_by_role("link", name="Tout").click()
    page.wait_for_url(live_server.url("/all"))
    expect(page.locator("#feed-items").get_by_role("link", name=title)).to_be_visible()


# --- three languages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "option", "directory", "language_label"),
    [("nl", "Nederlands", "Gids", "Taal"), ("en", "English", "Directory", "Language")],
)
def test_a_visitor_reads_the_directory_in_another_language_and_back_in_french(
    page, live_server, seed, language, option, directory, language_label
):
    page.goto(live_server.url("/actors"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".main-nav").get_by_role("link", name="Annuaire")).to_be_visible()

    page.get_by_label("Langue").select_option(label=option)
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert page.url == live_server.url("/actors")
    expect(page.locator(".main-nav").get_by_role("link", name=directory)).to_be_visible()
    expect(page.locator(".main-nav").get_by_role("link", name="Annuaire")).to_have_count(0)
    # The choice holds on the next page.
    page.locator(".main-nav").get_by_role("link", name=directory).click()
    expect(page.locator("html")).to_have_attribute("lang", language)

    page.get_by_label(language_label).select_option(label="Français")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".main-nav").get_by_role("link", name="Annuaire")).to_be_visible()


def test_a_person_who_chose_dutch_gets_it_as_soon_as_they_log_in(page, live_server, seed, live_db):
    from app.extensions import db
    from app.models_common import utcnow
    from app.territories.models import Territory
    from tests.factories import make_user

    email = f"{_unique('pieter')}@example.org"
    with live_db():
        make_user(
            db.session.get(Territory, seed.ids["coast"]),
            email,
            display_name="Pieter",
            language="nl",
            onboarded_at=utcnow(),
        )

    page.goto(live_server.url("/login"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(seed.password)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1, name="Voor u")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("footer").get_by_role("button", name="Afmelden")).to_be_visible()


# --- following an actor -------------------------------------------------------------------------


def test_following_and_unfollowing_on_the_actor_page_updates_it_in_place(
    page, live_server, seed, live_db
):
    from app.extensions import db
    from app.models_common import utcnow
    from app.releases.floor import anonymity_floor
    from app.territories.models import Territory
    from tests.factories import make_actor, make_follow, make_user

    name = _unique("Club de voile")
    email = f"{_unique('marin')}@example.org"
    with live_db():
        coast = db.session.get(Territory, seed.ids["coast"])
        floor = anonymity_floor(coast)
        club = make_actor(coast, name, kind="association", summary="Voile légère au port")
        for _index in range(floor - 1):  # one follower short of showing an exact count
            make_follow(make_user(coast, f"{_unique('fan')}@example.org"), club)
        make_user(coast, email, display_name="Marin", onboarded_at=utcnow())
        slug = club.slug

    log_in(page, live_server, email, seed.password)
    page.goto(live_server.url(f"/actors/{slug}"))
    followers = page.locator(".actor-followers")
    expect(followers).to_have_text(f"Moins de {floor} abonnés")
    page.evaluate("window.samePage = true")  # gone if the page were reloaded

    page.get_by_role("button", name=f"Suivre {name}").click()
    expect(page.get_by_role("button", name=f"Vous suivez {name}")).to_have_attribute(
        "aria-pressed", "true"
    )
    # The count is released once a day: one follow does not move it (that would tell the club
    # who just followed); the page swapped it in place all the same.
    expect(followers).to_have_text(f"Moins de {floor} abonnés")

    page.get_by_role("button", name=f"Vous suivez {name}").click()
    expect(page.get_by_role("button", name=f"Suivre {name}")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(followers).to_have_text(f"Moins de {floor} abonnés")
    assert page.evaluate("window.samePage === true")
    assert page.url == live_server.url(f"/actors/{slug}")
