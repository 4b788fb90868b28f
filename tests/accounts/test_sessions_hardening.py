"""Sessions end when idle or old (sooner for the town's administrators), and a person sees their
sessions and can log the others out, also when changing the password."""

import re
from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import AuthSession
from app.extensions import db
from app.models_common import utcnow
from tests.accounts.conftest import is_logged_in, log_in, post_form
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a brand new harbour password"


def sessions_of(user):  # type: ignore[no-untyped-def]
    return list(
        db.session.scalars(
            select(AuthSession).where(AuthSession.user_id == user.id).order_by(AuthSession.id)
        )
    )


def age_sessions(user, idle=timedelta(0), age=None):  # type: ignore[no-untyped-def]
    """As if the person's sessions were last used ``idle`` ago and started ``age`` ago."""
    now = utcnow()
    for auth in sessions_of(user):
        auth.last_seen_at = now - idle
        auth.created_at = now - (age if age is not None else idle)
    db.session.commit()


def test_a_session_idle_for_longer_than_fourteen_days_is_refused(client, territory):
    lea = make_user(territory, email="lea@example.org")
    log_in(client, "lea@example.org", PASSWORD)

    age_sessions(lea, idle=timedelta(days=13, hours=23))
    assert is_logged_in(client)
    age_sessions(lea, idle=timedelta(days=14, minutes=1))
    assert not is_logged_in(client)


def test_a_session_older_than_sixty_days_is_refused_even_if_used_every_day(client, territory):
    lea = make_user(territory, email="lea@example.org")
    log_in(client, "lea@example.org", PASSWORD)

    age_sessions(lea, idle=timedelta(hours=1), age=timedelta(days=59))
    assert is_logged_in(client)
    age_sessions(lea, idle=timedelta(hours=1), age=timedelta(days=60, minutes=1))
    assert not is_logged_in(client)


def test_the_timeouts_are_settings(client, app, territory):
    app.config["SESSION_IDLE_MINUTES"] = 30
    app.config["SESSION_ABSOLUTE_DAYS"] = 2
    lea = make_user(territory, email="lea@example.org")
    log_in(client, "lea@example.org", PASSWORD)

    age_sessions(lea, idle=timedelta(minutes=31))
    assert not is_logged_in(client)

    log_in(client, "lea@example.org", PASSWORD)
    age_sessions(lea, idle=timedelta(minutes=1), age=timedelta(days=2, minutes=1))
    assert not is_logged_in(client)


def test_a_town_admin_session_ends_after_two_hours_without_activity(client, app, territory):
    admin = make_user(territory, email="mayor@example.org", is_admin=True)
    citizen_client = app.test_client()
    citizen = make_user(territory, email="lea@example.org")
    log_in(client, "mayor@example.org", PASSWORD)
    log_in(citizen_client, "lea@example.org", PASSWORD)

    age_sessions(admin, idle=timedelta(hours=1, minutes=50))
    assert is_logged_in(client)
    age_sessions(admin, idle=timedelta(hours=2, minutes=10))
    age_sessions(citizen, idle=timedelta(hours=2, minutes=10))
    assert not is_logged_in(client)
    assert is_logged_in(citizen_client)


def test_the_admin_security_page_says_sessions_are_shorter(client, territory):
    make_user(territory, email="mayor@example.org", is_admin=True)
    log_in(client, "mayor@example.org", PASSWORD)
    page = client.get("/me/security").get_data(as_text=True)
    assert "your sessions end after 2 hours without activity" in page


def test_changing_the_password_logs_out_the_other_sessions_when_ticked(client, app, territory):
    lea = make_user(territory, email="lea@example.org")
    phone = app.test_client()
    log_in(phone, "lea@example.org", PASSWORD)
    log_in(client, "lea@example.org", PASSWORD)

    form = client.get("/me/password").get_data(as_text=True)
    assert "Log out my other sessions" in form
    checkbox = re.search(r'<input[^>]*id="log_out_others"[^>]*>', form)
    assert checkbox and "checked" in checkbox.group(0)  # ticked unless the person unticks it

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
    assert [auth.revoked_at is None for auth in sessions_of(lea)] == [False, True]


def test_changing_the_password_keeps_the_other_sessions_when_unticked(client, app, territory):
    make_user(territory, email="lea@example.org")
    phone = app.test_client()
    log_in(phone, "lea@example.org", PASSWORD)
    log_in(client, "lea@example.org", PASSWORD)

    response = post_form(
        client,
        "/me/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 303
    assert is_logged_in(client)
    assert is_logged_in(phone)
    assert log_in(app.test_client(), "lea@example.org", NEW_PASSWORD).status_code == 303


def test_a_person_sees_their_sessions_coarsely_and_logs_out_everywhere_else(
    client, app, territory
):
    lea = make_user(territory, email="lea@example.org")
    make_user(territory, email="other@example.org")
    phone = app.test_client()
    log_in(phone, "lea@example.org", PASSWORD)
    log_in(app.test_client(), "other@example.org", PASSWORD)
    log_in(client, "lea@example.org", PASSWORD)

    page = client.get("/me/security").get_data(as_text=True)
    assert page.count("Logged in on") == 2  # Léa's two, not the other person's
    assert page.count("This session") == 1
    assert "127.0.0.1" not in page
    assert "Log out everywhere else" in page

    response = post_form(client, "/me/sessions/log-out-others")
    assert response.status_code == 303
    assert is_logged_in(client)
    assert not is_logged_in(phone)
    page = client.get("/me/security").get_data(as_text=True)
    assert page.count("Logged in on") == 1
    assert "You are logged in nowhere else." in page
    assert sum(auth.revoked_at is None for auth in sessions_of(lea)) == 1


def test_logging_out_everywhere_else_needs_the_csrf_token(client, territory):
    make_user(territory, email="lea@example.org")
    log_in(client, "lea@example.org", PASSWORD)
    assert client.post("/me/sessions/log-out-others").status_code == 400


def test_expired_sessions_are_not_listed(client, app, territory):
    lea = make_user(territory, email="lea@example.org")
    log_in(app.test_client(), "lea@example.org", PASSWORD)
    old = sessions_of(lea)[0]
    old.last_seen_at = utcnow() - timedelta(days=20)
    db.session.commit()
    log_in(client, "lea@example.org", PASSWORD)

    page = client.get("/me/security").get_data(as_text=True)
    assert page.count("Logged in on") == 1
