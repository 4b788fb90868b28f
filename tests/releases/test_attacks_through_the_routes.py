"""The privacy audit's attacks, mounted as a determined shop owner would: through the app's own
routes (registration, the live estimate, check-ins, a sent campaign's open links, public pages),
against the production release settings. Each test fails if the attacker guesses better than a
coin by more than the documented bound (README, "Privacy of counts"); ``make bench-privacy``
runs the same attacks with thousands of trials.

The noise comes from the engine's seeded generator of the same law as OpenDP's (the app
fixture's RELEASE_NOISE_SEED), so a run is reproducible. Before the release engine, rounding and
the floor were deterministic: every one of these attacks was right every time (accuracy 1.0).
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts.models import Consent, User, UserHashtag
from app.campaigns.models import Campaign, Delivery
from app.delivery.tokens import delivery_token
from app.extensions import db
from app.models_common import utcnow
from app.releases.floor import anonymity_floor
from app.territories.models import Territory
from tests.factories import (
    login_as,
    make_actor,
    make_citizen,
    make_follow,
    make_hashtag,
    make_neighbourhood,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_from
from tests.support.privacy_attacks import Law

CENTRE = (43.17, 5.60)  # the factories' territory centre: P, where the attacker's accounts stand
FAR = (43.20, 5.64)


def bound(trials: int, optimum: float) -> float:
    """The documented best accuracy plus three standard errors of a coin over ``trials``."""
    return optimum + 3 * math.sqrt(0.25 / trials)


def released_number(html: str) -> int | None:
    """The audience an estimate shows: its number, None for "fewer than 11"."""
    match = re.search(r"<strong>(\d+)</strong>", html)
    return int(match.group(1)) if match else None


def established_people(territory: Territory, count: int, **profile: object) -> list[User]:
    """People who have been here for long (established), with their profile consent."""
    hashtags = profile.pop("hashtags", [])
    people = []
    for _ in range(count):
        person = make_citizen(territory, **profile)
        db.session.add(Consent(user_id=person.id, purpose="profile_targeting", detail="test"))
        for tag in hashtags:  # type: ignore[attr-defined]
            db.session.add(UserHashtag(user_id=person.id, hashtag_id=tag.id))
        people.append(person)
    db.session.commit()
    return people


def shop_owner(client: FlaskClient, territory: Territory, name: str):  # type: ignore[no-untyped-def]
    """A verified shop, its owner logged in acting as it; the estimate's CSRF header."""
    shop = make_actor(territory, name)
    owner = make_citizen(territory)
    from tests.factories import make_member

    make_member(owner, shop, role="owner")
    login_as(client, owner, acting_actor=shop)
    token = csrf_from(client.get("/manage/campaigns/new").get_data(as_text=True))
    return shop, {"HX-Request": "true", "X-CSRFToken": token}


def estimate(client: FlaskClient, headers: dict, **criteria: object) -> int | None:
    response = client.post("/manage/campaigns/estimate", data=criteria, headers=headers)
    assert response.status_code == 200
    return released_number(response.get_data(as_text=True))


def test_accounts_made_for_the_occasion_never_count(client: FlaskClient) -> None:
    """The audit's first move: register accounts until the counts sit on a boundary. Accounts
    registered through /register (e-mail confirmed or not) do not count for a week."""
    territory = make_territory()
    hood = make_neighbourhood(territory, "Port")
    for n in range(12):
        address = {"REMOTE_ADDR": f"198.51.100.{n}"}  # from as many addresses as it takes
        response = client.post("/register", environ_base=address, data={
            "csrf_token": csrf_from(client.get("/register", environ_base=address).get_data(as_text=True)),
            "email": f"sockpuppet{n}@example.org", "password": "a long enough phrase 2026",
            "accept_terms": "y",
        })
        assert response.status_code == 303
    puppets = list(db.session.scalars(select(User).where(User.email.like("sockpuppet%"))))
    assert len(puppets) == 12
    for puppet in puppets:  # even confirmed and placed in the neighbourhood
        puppet.email_verified_at = utcnow()
        puppet.neighbourhood_id = hood.id
        db.session.add(Consent(user_id=puppet.id, purpose="profile_targeting", detail="test"))
    db.session.commit()
    _shop, headers = shop_owner(client, territory, "Boutique")
    assert estimate(client, headers, neighbourhoods=[str(hood.id)]) is None  # "fewer than 11"


def test_an_interest_of_one_person_stays_hidden(client: FlaskClient, app) -> None:  # type: ignore[no-untyped-def]
    """Attack 1: 24 of the shop's own (established) accounts in a neighbourhood, all with #Y,
    and the victim there too: the estimate of "neighbourhood" counts 25, of "neighbourhood and
    #Y" 25 if the victim has #Y, else 24 (either side of the rounding boundary, where one person
    shows most). The attacker guesses with the likelihood of the answers (the strongest rule)."""
    territory = make_territory()
    interest = make_hashtag(territory, "y")
    law = Law(territory.release_epsilon, anonymity_floor(territory))
    trials, right = 80, 0
    for trial in range(trials):
        has_it = trial % 2 == 0
        hood = make_neighbourhood(territory, f"Quartier {trial}")
        established_people(territory, 24, neighbourhood_id=hood.id, hashtags=[interest])
        established_people(territory, 1, neighbourhood_id=hood.id, hashtags=[interest] if has_it else [])
        _shop, headers = shop_owner(client, territory, f"Shop {trial}")
        everyone = estimate(client, headers, neighbourhoods=[str(hood.id)])
        with_y = estimate(client, headers, neighbourhoods=[str(hood.id)], hashtags=[str(interest.id)])
        guess = law.log_ratio(everyone, 25, 25) + law.log_ratio(with_y, 25, 24) >= 0
        right += guess == has_it
    accuracy = right / trials
    assert accuracy <= bound(trials, law.pair_optimum(25, 24)), accuracy


def test_where_a_person_is_right_now_stays_hidden(client: FlaskClient) -> None:
    """Attack 3: ten of the shop's accounts check in at P through the app; the victim checks in
    at P or far away; "present within 300 m of P" reads 11 or 10 (either side of the floor)."""
    territory = make_territory()
    law = Law(territory.release_epsilon, anonymity_floor(territory))
    trials, right = 30, 0
    for trial in range(trials):
        here = trial % 2 == 0
        walkers = established_people(territory, 11)
        for index, walker in enumerate(walkers):
            db.session.add(Consent(user_id=walker.id, purpose="live_location", detail="test"))
            db.session.commit()
            login_as(client, walker)
            token = csrf_from(client.get("/near/location").get_data(as_text=True))
            at = CENTRE if index < 10 or here else FAR
            response = client.post("/near/checkin", json={"lat": at[0], "lon": at[1]},
                                   headers={"X-CSRFToken": token})
            assert response.status_code == 200, response.get_data(as_text=True)
        _shop, headers = shop_owner(client, territory, f"Kiosque {trial}")
        present = estimate(client, headers, present_lat=str(CENTRE[0]), present_lon=str(CENTRE[1]),
                           present_radius="300")
        right += (law.log_ratio(present, 11, 10) >= 0) == here
        db.session.execute(Consent.__table__.update().values(withdrawn_at=utcnow()))  # next trial
        db.session.commit()
    accuracy = right / trials
    assert accuracy <= bound(trials, law.pair_optimum(11, 10)), accuracy


def test_who_read_a_message_stays_hidden(client: FlaskClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Attack 2: a campaign to a neighbourhood of 71 (the victim, ten of the shop's accounts and
    sixty who never open: a campaign it can surely send), sent through the form; the ten open it
    through their messages' links, the victim opens or not; the opens the campaign's page shows
    in the next statistics window read 11 or 10 (either side of the floor)."""
    territory = make_territory()
    law = Law(territory.release_epsilon, anonymity_floor(territory))
    trials, right = 24, 0
    start = utcnow()
    for trial in range(trials):
        opened = trial % 2 == 0
        hood = make_neighbourhood(territory, f"Rue {trial}")
        people = established_people(territory, 71, neighbourhood_id=hood.id)
        _shop, headers = shop_owner(client, territory, f"Librairie {trial}")
        response = client.post("/manage/campaigns/new", data={
            "csrf_token": headers["X-CSRFToken"], "title": "Nouveautés", "body": "Des livres.",
            "link": "page", "channels": ["inbox"], "when": "now", "action": "send",
            "neighbourhoods": [str(hood.id)],
        })
        assert response.status_code == 303
        campaign_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
        deliveries = {d.user_id: d.id for d in db.session.scalars(
            select(Delivery).where(Delivery.campaign_id == campaign_id))}
        assert len(deliveries) == 71
        page = f"/manage/campaigns/{campaign_id}"
        before = client.get(page).get_data(as_text=True)  # a first window is released
        for index, person in enumerate(people[:11]):  # the ten accounts, then the victim
            if index < 10 or opened:
                assert client.post(f"/n/open/{delivery_token(deliveries[person.id])}").status_code == 204
        later = start + timedelta(hours=trial + 1, minutes=1)  # the next statistics window
        for clock in ("app.releases.engine.utcnow", "app.campaigns.stats.utcnow"):
            monkeypatch.setattr(clock, lambda later=later: later)
        after = client.get(page).get_data(as_text=True)
        monkeypatch.undo()
        assert "<table" in before and "<table" in after
        cells = re.findall(r"<td>([^<]*)</td>", after)
        opens = int(cells[1]) if cells[1].strip().isdigit() else None  # Delivered, Opened, Clicked
        right += (law.log_ratio(opens, 11, 10) >= 0) == opened
        db.session.get(Campaign, campaign_id)
    accuracy = right / trials
    assert accuracy <= bound(trials, law.pair_optimum(11, 10)), accuracy


def test_public_and_dashboard_counts_do_not_move_by_one(client: FlaskClient) -> None:
    """Attack 4: the follower count on the actor's page and dashboard, and the town's overview,
    before and after one more follow or one more account: the same all day (released once a
    day), so one person's follow or registration cannot be seen."""
    territory = make_territory()
    club = make_actor(territory, "Club de voile")
    for person in established_people(territory, 21):
        make_follow(person, club)
    page = client.get(f"/actors/{club.slug}").get_data(as_text=True)
    admin = make_user(territory, is_admin=True)
    login_as(client, admin)
    overview = client.get("/admin").get_data(as_text=True)
    follower_line = re.search(r'class="follower-count"[^>]*>([^<]*)<', page).group(1)
    stats = re.findall(r'<span class="stat">([^<]*)</span>', overview)[:2]

    newcomer = established_people(territory, 1)[0]
    make_follow(newcomer, club)
    make_citizen(territory)  # one more account
    again = client.get(f"/actors/{club.slug}").get_data(as_text=True)
    assert re.search(r'class="follower-count"[^>]*>([^<]*)<', again).group(1) == follower_line
    assert re.findall(r'<span class="stat">([^<]*)</span>', client.get("/admin").get_data(as_text=True))[:2] == stats
    assert "21 followers" not in page and "22 followers" not in again
