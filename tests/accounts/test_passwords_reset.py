from datetime import timedelta

from sqlalchemy import select, update

from app.accounts.models import AccountToken
from app.extensions import db
from app.models_common import utcnow
from tests.accounts.conftest import is_logged_in, link_in, log_in, post_form
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "lanterns over the old port"


def ask_reset(client, email):
    return post_form(client, "/password/forgot", {"email": email})


def test_forgot_password_answers_the_same_whether_the_account_exists_or_not(
    client, territory, outbox
):
    make_user(territory, email="lea@example.org")
    known = ask_reset(client, "lea@example.org")
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = ask_reset(client, "nobody@example.org")
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    message = "If an account exists for this address"
    assert message in known_page and message in unknown_page
    assert len(outbox) == 1 and outbox[0]["To"] == "lea@example.org"


def test_reset_link_sets_a_new_password_once_and_logs_out_every_session(
    client, app, territory, outbox
):
    make_user(territory, email="lea@example.org")
    phone = app.test_client()
    log_in(phone, "lea@example.org", PASSWORD)
    assert is_logged_in(phone)

    ask_reset(client, "lea@example.org")
    link = link_in(outbox[0], "/password/reset/")
    assert client.get(link).status_code == 200
    response = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303

    assert not is_logged_in(phone)
    assert log_in(client, "lea@example.org", PASSWORD).status_code == 422
    assert log_in(client, "lea@example.org", NEW_PASSWORD).status_code == 303
    # single use
    assert client.get(link).status_code == 400
    again = post_form(
        client, link, {"password": "another fine sentence", "confirm": "another fine sentence"}
    )
    assert again.status_code == 400


def test_reset_link_expires_after_an_hour(client, territory, outbox):
    make_user(territory, email="lea@example.org")
    ask_reset(client, "lea@example.org")
    link = link_in(outbox[0], "/password/reset/")
    db.session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(link).status_code == 400
    response = post_form(client, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert log_in(client, "lea@example.org", PASSWORD).status_code == 303


def test_reset_token_lives_one_hour(client, territory, outbox):
    make_user(territory, email="lea@example.org")
    ask_reset(client, "lea@example.org")
    token = db.session.scalar(select(AccountToken))
    assert token.purpose == "reset_password"
    assert timedelta(minutes=59) < token.expires_at - token.created_at <= timedelta(hours=1)


def test_reset_refuses_a_weak_password_next_to_the_field(client, territory, outbox):
    make_user(territory, email="lea@example.org")
    ask_reset(client, "lea@example.org")
    link = link_in(outbox[0], "/password/reset/")
    response = post_form(client, link, {"password": "12345678", "confirm": "12345678"})
    assert response.status_code == 422
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert client.get(link).status_code == 200  # not used up


def test_forgot_password_is_rate_limited(client, territory):
    statuses = [ask_reset(client, f"p{n}@example.org").status_code for n in range(11)]
    assert statuses[-1] == 429 and set(statuses[:10]) == {303}


def test_changing_the_password_needs_the_current_one_and_logs_out_other_sessions(
    client, app, territory
):
    make_user(territory, email="lea@example.org")
    phone = app.test_client()
    log_in(phone, "lea@example.org", PASSWORD)
    log_in(client, "lea@example.org", PASSWORD)

    wrong = post_form(
        client,
        "/me/password",
        {"current_password": "not it at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert 'id="current_password-error"' in wrong.get_data(as_text=True)
    assert is_logged_in(phone)

    response = post_form(
        client,
        "/me/password",
        {
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "log_out_others": "y",
        },
    )
    assert response.status_code == 303
    assert is_logged_in(client)
    assert not is_logged_in(phone)
    assert log_in(phone, "lea@example.org", NEW_PASSWORD).status_code == 303
