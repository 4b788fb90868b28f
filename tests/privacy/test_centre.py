"""The privacy centre: every consent with its dates, withdrawn in one action (in place or not),
what the platform holds about the person in plain words, and the account deletion page."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from app.accounts.models import Consent, User
from app.delivery.models import InboxItem
from app.extensions import db
from app.notifications.models import PushSubscription
from app.places import live as live_location
from app.places.models import LiveCell
from tests.accounts.conftest import post_form
from tests.factories import (
    login_as,
    make_actor,
    make_follow,
    make_hashtag,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token

TOWN_CENTRE = (43.17, 5.60)


@pytest.fixture
def territory(app):  # type: ignore[no-untyped-def]
    return make_territory()


@pytest.fixture
def citizen(territory):  # type: ignore[no-untyped-def]
    return make_user(territory, email="lea@example.org")


def consent(user: User, purpose: str, channel: str | None = None) -> Consent:
    row = Consent(user_id=user.id, purpose=purpose, channel=channel)
    db.session.add(row)
    db.session.commit()
    return row


def htmx_post(client, path: str):  # type: ignore[no-untyped-def]
    return client.post(path, headers={"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/me/privacy")})


def test_the_centre_needs_a_log_in(client, territory):
    response = client.get("/me/privacy")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_centre_lists_every_consent_in_plain_words_with_its_dates(client, citizen):
    terms = consent(citizen, "terms")
    push = consent(citizen, "notifications", "push")
    old = consent(citizen, "profile_targeting")
    live_location.turn_on_live_location(citizen)
    old.withdrawn_at = old.granted_at
    db.session.commit()
    login_as(client, citizen)

    page = client.get("/me/privacy").get_data(as_text=True)

    assert "Terms of use and privacy policy" in page
    assert "Messages from actors" in page and "push notifications" in page
    assert "Live location (an approximate area, kept one hour)" in page
    assert "never your exact position" in page  # the purpose said plainly
    assert page.count("Given on") == 4
    assert page.count("withdrawn on") == 1
    # The standing consents can be withdrawn, except the terms (deleting the account does that).
    assert f"/me/privacy/consents/{push.id}/withdraw" in page
    assert f"/me/privacy/consents/{terms.id}/withdraw" not in page
    assert f"/me/privacy/consents/{old.id}/withdraw" not in page


def test_withdrawing_a_consent_in_place_keeps_the_record_with_its_date(client, citizen):
    push = consent(citizen, "notifications", "push")
    login_as(client, citizen)

    response = htmx_post(client, f"/me/privacy/consents/{push.id}/withdraw")

    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<li id="consent-{push.id}"')  # the row, swapped in place
    assert "withdrawn on" in fragment and "/withdraw" not in fragment
    assert 'id="holdings"' in fragment and 'hx-swap-oob="true"' in fragment  # counts refreshed
    assert db.session.get(Consent, push.id).withdrawn_at is not None


def test_withdrawing_without_javascript_comes_back_to_the_centre(client, citizen):
    targeting = consent(citizen, "profile_targeting")
    login_as(client, citizen)

    response = post_form(client, f"/me/privacy/consents/{targeting.id}/withdraw")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/me/privacy#consents")
    assert db.session.get(Consent, targeting.id).withdrawn_at is not None
    assert "Your consent is withdrawn." in client.get("/me/privacy").get_data(as_text=True)


def test_withdrawing_live_location_deletes_the_live_cell_at_once(client, territory, citizen):
    live = live_location.turn_on_live_location(citizen)
    live_location.check_in(citizen, territory, *TOWN_CENTRE)
    login_as(client, citizen)
    assert "A live position cell" in client.get("/me/privacy").get_data(as_text=True)

    response = htmx_post(client, f"/me/privacy/consents/{live.id}/withdraw")

    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(LiveCell)) == 0
    assert db.session.get(Consent, live.id).withdrawn_at is not None
    assert "No live position" in response.get_data(as_text=True)


def test_the_terms_cannot_be_withdrawn_from_the_centre(client, citizen):
    terms = consent(citizen, "terms")
    login_as(client, citizen)

    post_form(client, f"/me/privacy/consents/{terms.id}/withdraw")

    assert db.session.get(Consent, terms.id).withdrawn_at is None


def test_nobody_can_withdraw_another_persons_consent(client, territory, citizen):
    elsewhere = make_territory("station", "Montgenèvre", hosts=("station.localhost",))
    neighbour = consent(make_user(territory), "profile_targeting")
    stranger = consent(make_user(elsewhere, email="lea@example.org"), "profile_targeting")
    login_as(client, citizen)

    for row in (neighbour, stranger):
        assert post_form(client, f"/me/privacy/consents/{row.id}/withdraw").status_code == 404
        assert db.session.get(Consent, row.id).withdrawn_at is None


def test_what_is_held_is_told_with_the_persons_own_counts(client, territory, citizen):
    citizen.hashtags = [make_hashtag(territory, tag) for tag in ("bio", "theatre", "marche")]
    for name in ("Bakery", "Theatre"):
        make_follow(citizen, make_actor(territory, name))
    endpoint = "https://fcm.googleapis.com/fcm/send/lea-phone"
    db.session.add(PushSubscription(
        user_id=citizen.id, territory_id=territory.id, endpoint=endpoint,
        endpoint_hash=hashlib.sha256(endpoint.encode()).hexdigest(), p256dh="k", auth="a",
    ))
    db.session.add_all(
        InboxItem(user_id=citizen.id, territory_id=territory.id, title=f"Message {n}")
        for n in range(12)
    )
    # Someone else's data is not counted.
    other = make_user(territory)
    db.session.add(InboxItem(user_id=other.id, territory_id=territory.id, title="Not Léa's"))
    make_follow(other, make_actor(territory, "Club"))
    db.session.commit()
    login_as(client, citizen)

    page = client.get("/me/privacy").get_data(as_text=True)

    assert "3 interest hashtags" in page
    assert "You follow 2 actors" in page
    assert "1 device receives push notifications" in page
    assert "12 messages in your inbox" in page
    assert "kept at most 60 minutes" in page
    assert "the link to you is dropped after 90 days" in page
    assert "fewer than 11" in page  # what actors see: counts from the anonymity floor up


def test_the_deletion_page_warns_what_is_erased_and_what_stays(client, citizen):
    login_as(client, citizen)
    page = client.get("/me/privacy/delete").get_data(as_text=True)
    assert "What is erased, at once and for good" in page
    assert "Anonymous statistics only" in page
    assert 'autocomplete="current-password"' in page


def test_the_deletion_page_refuses_a_wrong_password(client, citizen):
    login_as(client, citizen)

    response = post_form(client, "/me/privacy/delete", {"password": "not my password", "confirm": "y"})

    assert response.status_code == 422
    assert "This is not your password." in response.get_data(as_text=True)
    assert db.session.get(User, citizen.id) is not None
    assert client.get("/me/privacy").status_code == 200  # still logged in


def test_the_deletion_needs_the_confirmation_box_ticked(client, citizen):
    from tests.factories import PASSWORD

    login_as(client, citizen)

    response = post_form(client, "/me/privacy/delete", {"password": PASSWORD})

    assert response.status_code == 422
    assert "Tick the box to confirm." in response.get_data(as_text=True)
    assert db.session.get(User, citizen.id) is not None


def test_deleting_the_account_logs_out_and_says_so(client, citizen):
    from tests.factories import PASSWORD

    user_id = citizen.id
    login_as(client, citizen)

    response = post_form(client, "/me/privacy/delete", {"password": PASSWORD, "confirm": "y"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert db.session.get(User, user_id) is None
    home = client.get("/").get_data(as_text=True)
    assert "Your account has been deleted" in home
    assert client.get("/me/privacy").status_code == 302  # logged out
