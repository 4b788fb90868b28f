from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select, update

from app.accounts.models import AccountToken, Consent, User
from app.extensions import db
from app.models_common import utcnow
from tests.accounts.conftest import is_logged_in, link_in, log_in, post_form
from tests.factories import make_territory, make_user

GOOD_PASSWORD = "sea spray and pine trees"


def register(
    client, email="lea@example.org", password=GOOD_PASSWORD, base_url="http://localhost", **extra
):
    data = {
        "email": email,
        "password": password,
        "display_name": "Léa",
        "accept_terms": "y",
        **extra,
    }
    return post_form(client, "/register", data, base_url=base_url)


def test_visitor_registers_gets_a_verification_mail_and_is_asked_to_check_their_mailbox(
    client, territory, outbox
):
    response = register(client, email="  Lea@Example.org ")
    assert response.status_code == 303
    assert response.headers["Location"] == "/register/sent"
    assert "Check your mailbox" in client.get("/register/sent").get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "lea@example.org"))
    assert user.territory_id == territory.id
    assert user.password_hash.startswith("$argon2id$")
    assert user.display_name == "Léa"
    assert not user.email_verified
    consent = db.session.scalar(select(Consent).where(Consent.user_id == user.id))
    assert consent.purpose == "terms" and consent.granted_at is not None
    assert len(outbox) == 1 and outbox[0]["To"] == "lea@example.org"
    assert link_in(outbox[0], "/verify/").startswith("http://localhost/verify/")
    assert outbox[0].get_body(preferencelist=("html",)) is not None
    assert not is_logged_in(client)  # the mailbox first: the answer is the same for a taken address


def test_the_confirmation_link_leads_a_new_account_through_log_in_to_the_onboarding(
    client, territory, outbox
):
    register(client)
    confirmed = client.get(link_in(outbox[0], "/verify/"))
    assert confirmed.status_code == 303
    assert confirmed.headers["Location"].startswith("/login?next=")
    login_page = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "your e-mail address is confirmed" in login_page
    next_url = confirmed.headers["Location"].split("next=", 1)[1]
    logged_in = post_form(client, "/login", {
        "email": "lea@example.org", "password": GOOD_PASSWORD, "next": unquote(next_url),
    })
    assert logged_in.headers["Location"].endswith("/welcome")


def test_registering_a_taken_address_answers_as_for_a_new_one_and_tells_its_owner(
    client, territory, outbox
):
    lea = make_user(territory, email="lea@example.org", display_name="Léa", password="her own password")
    taken = register(client, email="Lea@Example.org", password="an intruder's password")
    new = register(client, email="noe@example.org")
    assert taken.status_code == new.status_code == 303
    assert taken.headers["Location"] == new.headers["Location"]
    assert client.get(taken.headers["Location"]).get_data(as_text=True) == client.get(
        new.headers["Location"]
    ).get_data(as_text=True)
    assert not is_logged_in(client)

    assert db.session.scalars(select(User).where(User.email == "lea@example.org")).all() == [lea]
    db.session.refresh(lea)
    assert lea.display_name == "Léa" and lea.email_verified
    assert log_in(client, "lea@example.org", "an intruder's password").status_code == 422

    to_lea, to_noe = sorted(outbox, key=lambda m: m["To"] != "lea@example.org")
    assert to_noe["To"] == "noe@example.org" and "/verify/" in to_noe.get_body(("plain",)).get_content()
    assert to_lea["Subject"] == "Someone tried to create an account with your address"
    notice = to_lea.get_body(preferencelist=("plain",)).get_content()
    assert "No other account was created" in notice
    assert "http://localhost/login\n" in notice
    assert "http://localhost/password/forgot\n" in notice
    assert "/verify/" not in notice


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "at least 8 characters"),
        ("x" * 65, "at most 64 characters"),
        ("password123", "too common"),
        ("iloveyou", "too common"),
        ("lea.martin", "must not contain your e-mail"),
        ("hello lea.martin!", "must not contain your e-mail"),
    ],
)
def test_registration_with_a_weak_password_shows_the_error_next_to_the_field_and_keeps_the_email(
    client, territory, outbox, password, message
):
    response = register(client, email="lea.martin@example.org", password=password)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="password-error"' in html
    error = html.split('id="password-error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert 'value="lea.martin@example.org"' in html
    assert password not in html.replace("lea.martin@example.org", "")  # the password is not echoed
    assert db.session.scalar(select(User)) is None
    assert outbox == []


def test_a_64_character_password_is_allowed(client, territory):
    assert register(client, password="tide " * 12 + "ebbs").status_code == 303


def test_registration_needs_the_terms_accepted(client, territory):
    response = post_form(
        client, "/register", {"email": "lea@example.org", "password": GOOD_PASSWORD}
    )
    assert response.status_code == 422
    assert 'id="accept_terms-error"' in response.get_data(as_text=True)


def test_same_email_in_another_territory_is_a_new_account(client, territory, outbox):
    make_territory("station", "Montgenèvre", hosts=("b.localhost",))
    make_user(territory, email="lea@example.org")
    assert register(client, base_url="http://b.localhost").status_code == 303
    assert len(db.session.scalars(select(User).where(User.email == "lea@example.org")).all()) == 2
    assert link_in(outbox[0], "/verify/").startswith("http://b.localhost/verify/")


def test_verification_link_works_once(client, territory, outbox):
    register(client)
    link = link_in(outbox[0], "/verify/")
    response = client.get(link)
    assert response.status_code == 303
    assert db.session.scalar(select(User)).email_verified
    again = client.get(link)
    assert again.status_code == 400
    assert "This link does not work" in again.get_data(as_text=True)


def test_verification_link_expires_after_48_hours(client, territory, outbox):
    register(client)
    link = link_in(outbox[0], "/verify/")
    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(link).status_code == 400
    assert not db.session.scalar(select(User)).email_verified


def test_verification_link_of_another_territory_does_not_work(client, territory, outbox):
    make_territory("station", "Montgenèvre", hosts=("b.localhost",))
    register(client)
    path = link_in(outbox[0], "/verify/").removeprefix("http://localhost")
    assert client.get(path, base_url="http://b.localhost").status_code == 400


def test_unverified_person_sees_a_banner_and_can_ask_for_a_new_link(client, territory, outbox):
    register(client)
    log_in(client, "lea@example.org", GOOD_PASSWORD)
    html = client.get("/me").get_data(as_text=True)
    assert "verify-banner" in html
    first = link_in(outbox[0], "/verify/")
    response = post_form(client, "/verify/resend", {"next": "/me"})
    assert response.status_code == 303 and response.headers["Location"] == "/me"
    assert len(outbox) == 2
    assert client.get(first).status_code == 400  # the older link stops working
    assert client.get(link_in(outbox[1], "/verify/")).status_code == 303
    assert "verify-banner" not in client.get("/me").get_data(as_text=True)


def test_registering_is_rate_limited(client, territory):
    statuses = [
        post_form(client, "/register", {"email": "not-an-email", "password": "x"}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [422] * 10
    assert statuses[10] == 429
