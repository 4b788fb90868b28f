"""Two-factor log-in: town administrators may turn it on, platform administrators must; no session
exists before the code, a code works once, a recovery code works once."""

import re
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from app.accounts import two_factor
from app.accounts.models import AuthSession, RecoveryCode, User
from app.extensions import db
from app.models_common import utcnow
from tests.accounts.conftest import is_logged_in, log_in, post_form
from tests.factories import PASSWORD, login_as, make_user
from tests.support.csrf import csrf_from, csrf_token


@pytest.fixture
def admin(territory):  # type: ignore[no-untyped-def]
    return make_user(territory, email="mayor@example.org", is_admin=True)


def with_two_factor(user: User) -> list[str]:
    """Turn two-factor log-in on for ``user``, as a finished enrolment would; its recovery codes."""
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = utcnow()
    db.session.commit()
    return two_factor.new_recovery_codes(user)


def code_now(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).now()


def wrong_code(secret: str) -> str:
    """Six digits that are not the code of any step around now."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(time.time() + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in valid)


def send_code(client, code: str):  # type: ignore[no-untyped-def]
    return client.post("/login/code", data={"code": code, "csrf_token": csrf_token(client, "/login")})


def session_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuthSession)) or 0


# --- enrolment ------------------------------------------------------------------------------


def test_a_town_admin_turns_two_factor_log_in_on(client, admin):
    login_as(client, admin)
    page = client.get("/me/security/two-factor")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    db.session.refresh(admin)
    secret = admin.totp_secret
    assert secret and admin.totp_enabled_at is None  # kept for the enrolment, not on yet
    assert re.search(r'<img class="qr-code" src="data:image/svg\+xml', html)
    assert two_factor.grouped(secret) in html
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)  # no inline script
    assert client.get("/me/security/two-factor").get_data(as_text=True).count(
        two_factor.grouped(secret)
    ) == 1  # reloading shows the same key

    stored = db.session.execute(select(User.__table__.c.totp_secret_sealed)
                                .where(User.id == admin.id)).scalar_one()
    assert stored and secret not in stored  # the database holds it sealed, not in clear

    token = csrf_token(client, "/me/security")
    wrong = client.post(
        "/me/security/two-factor", data={"code": wrong_code(secret), "csrf_token": token}
    )
    assert wrong.status_code == 422
    assert "This code is not valid." in wrong.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.totp_enabled_at is None

    done = client.post(
        "/me/security/two-factor", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}
    )
    assert done.status_code == 200
    assert done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    db.session.refresh(admin)
    assert admin.totp_enabled_at is not None
    stored = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == admin.id)))
    assert len(stored) == 10 and not stored & set(codes)  # only hashes are kept
    security = client.get("/me/security").get_data(as_text=True)
    assert "10 unused recovery codes left." in security
    assert not any(code in security for code in codes)  # shown once


def test_a_citizen_has_no_two_factor_enrolment(client, territory):
    lea = make_user(territory, email="lea@example.org")
    login_as(client, lea)
    assert client.get("/me/security/two-factor").status_code == 404
    assert "Two-factor log-in" not in client.get("/me/security").get_data(as_text=True)


def test_town_admins_without_two_factor_see_a_recommendation_but_are_not_forced(client, admin):
    login_as(client, admin)
    page = client.get("/admin")
    assert page.status_code == 200
    assert "turn on two-factor log-in" in page.get_data(as_text=True)

    with_two_factor(admin)
    assert "turn on two-factor log-in" not in client.get("/admin").get_data(as_text=True)


# --- logging in with a code -----------------------------------------------------------------


def test_log_in_waits_for_the_code_before_any_session_exists(client, app, admin):
    with_two_factor(admin)
    response = log_in(client, "mayor@example.org", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/login/code"
    assert session_count() == 0
    assert not is_logged_in(client)
    assert client.get("/admin").status_code == 302  # to the log-in page

    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="localhost")
    assert not is_logged_in(thief)

    assert send_code(client, wrong_code(admin.totp_secret)).status_code == 422
    assert session_count() == 0

    response = send_code(client, code_now(admin))
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert is_logged_in(client)
    assert session_count() == 1
    assert client.get("/admin").status_code == 200


def test_the_browser_is_remembered_as_the_accounts_device_only_once_the_code_is_given(client, admin):
    with_two_factor(admin)
    assert log_in(client, "mayor@example.org", PASSWORD).headers["Location"] == "/login/code"
    assert client.get_cookie("device", path="/login") is None
    assert send_code(client, code_now(admin)).status_code == 303
    assert client.get_cookie("device", path="/login") is not None


def test_the_code_step_keeps_where_the_person_was_going(client, admin):
    with_two_factor(admin)
    post_form(client, "/login", {"email": "mayor@example.org", "password": PASSWORD,
                                 "next": "/admin/settings"})
    response = send_code(client, code_now(admin))
    assert response.headers["Location"] == "/admin/settings"


def test_a_code_cannot_be_used_twice(client, admin):
    with_two_factor(admin)
    code = code_now(admin)
    log_in(client, "mayor@example.org", PASSWORD)
    assert send_code(client, code).status_code == 303
    post_form(client, "/logout")

    log_in(client, "mayor@example.org", PASSWORD)
    replay = send_code(client, code)
    assert replay.status_code == 422
    assert "This code is not valid." in replay.get_data(as_text=True)
    assert not is_logged_in(client)
    next_code = pyotp.TOTP(admin.totp_secret).at(time.time() + two_factor.STEP_SECONDS)
    assert send_code(client, next_code).status_code == 303


def test_codes_are_checked_against_their_time_step_once(admin):
    with_two_factor(admin)
    totp = pyotp.TOTP(admin.totp_secret)
    at = datetime(2025, 3, 14, 9, 26, 30, tzinfo=UTC)

    assert two_factor.accept_code(admin, totp.at(at), at=at)
    assert not two_factor.accept_code(admin, totp.at(at), at=at)  # replayed within its window
    assert not two_factor.accept_code(admin, totp.at(at - timedelta(seconds=30)), at=at)  # older
    assert not two_factor.accept_code(admin, totp.at(at + timedelta(minutes=5)), at=at)  # too early
    later = at + timedelta(seconds=20)
    assert two_factor.accept_code(admin, totp.at(at + timedelta(seconds=30)), at=later)  # drift
    assert not two_factor.accept_code(admin, "abcdef", at=later)
    db.session.refresh(admin)
    assert admin.totp_last_step == int((at + timedelta(seconds=30)).timestamp()) // 30


def test_a_recovery_code_logs_in_once(client, admin):
    codes = with_two_factor(admin)
    log_in(client, "mayor@example.org", PASSWORD)
    response = send_code(client, codes[3].upper().replace("-", " "))
    assert response.status_code == 303
    assert "9 left" in client.get("/me").get_data(as_text=True)
    post_form(client, "/logout")

    log_in(client, "mayor@example.org", PASSWORD)
    assert send_code(client, codes[3]).status_code == 422
    assert not is_logged_in(client)
    assert send_code(client, codes[4]).status_code == 303
    assert two_factor.recovery_codes_left(admin) == 8


def test_a_pending_log_in_expires_after_five_minutes(client, admin):
    with_two_factor(admin)
    log_in(client, "mayor@example.org", PASSWORD)
    with client.session_transaction() as session:
        pending = session["pending_login"]
        assert time.time() + 290 < pending["until"] <= time.time() + 300
        pending["until"] = int(time.time()) - 1
        session["pending_login"] = pending

    response = send_code(client, code_now(admin))
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert not is_logged_in(client)
    assert session_count() == 0


def test_the_code_step_without_a_password_step_leads_to_the_log_in_page(client, admin):
    with_two_factor(admin)
    response = client.get("/login/code")
    assert response.status_code == 303 and response.headers["Location"] == "/login"


def test_codes_are_rate_limited_per_account_whatever_the_address(client, admin):
    with_two_factor(admin)
    log_in(client, "mayor@example.org", PASSWORD)
    token = csrf_token(client, "/login")
    statuses = [
        client.post(
            "/login/code",
            data={"code": wrong_code(admin.totp_secret), "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"127.0.0.{n + 2}"},
        ).status_code
        for n in range(11)
    ]
    assert set(statuses[:10]) == {422} and statuses[10] == 429


# --- turning it off, new recovery codes -----------------------------------------------------


def test_turning_two_factor_off_needs_the_password_and_a_code(client, admin):
    with_two_factor(admin)
    login_as(client, admin)
    token = csrf_token(client, "/me/security")

    wrong_password = client.post(
        "/me/security/two-factor/disable",
        data={"password": "not my password at all", "code": code_now(admin), "csrf_token": token},
    )
    assert wrong_password.status_code == 422
    wrong_code = client.post(
        "/me/security/two-factor/disable",
        data={"password": PASSWORD, "code": "12", "csrf_token": token},
    )
    assert wrong_code.status_code == 422
    db.session.refresh(admin)
    assert admin.two_factor_enabled

    done = client.post(
        "/me/security/two-factor/disable",
        data={"password": PASSWORD, "code": code_now(admin), "csrf_token": token},
    )
    assert done.status_code == 303
    db.session.refresh(admin)
    assert not admin.two_factor_enabled and admin.totp_secret is None
    assert two_factor.recovery_codes_left(admin) == 0
    post_form(client, "/logout")
    assert log_in(client, "mayor@example.org", PASSWORD).headers["Location"] == "/"


def test_new_recovery_codes_replace_the_old_ones(client, admin):
    old = with_two_factor(admin)
    login_as(client, admin)
    response = client.post(
        "/me/security/recovery-codes",
        data={"code": code_now(admin), "csrf_token": csrf_token(client, "/me/security")},
    )
    assert response.status_code == 200
    new = re.findall(r"<code>([a-z2-7-]{19})</code>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert not two_factor.use_recovery_code(admin, old[0])
    assert two_factor.use_recovery_code(admin, new[0])


# --- platform administrators ----------------------------------------------------------------


def test_the_cli_makes_an_account_platform_admin(runner, territory):
    make_user(territory, email="ops@example.org")
    result = runner.invoke(args=["platform-admin", "OPS@example.org", "--territory", "laciotat"])
    assert result.exit_code == 0, result.output
    assert "ops@example.org" not in result.output
    user = db.session.scalar(select(User).where(User.email == "ops@example.org"))
    assert user.is_platform_admin and user.is_admin

    unknown = runner.invoke(args=["platform-admin", "nobody@example.org", "--territory", "laciotat"])
    assert unknown.exit_code != 0 and "no account" in unknown.output
    elsewhere = runner.invoke(args=["platform-admin", "ops@example.org", "--territory", "nowhere"])
    assert elsewhere.exit_code != 0 and "no territory" in elsewhere.output


def test_a_platform_admin_without_two_factor_can_only_enrol(client, territory):
    ops = make_user(territory, email="ops@example.org", is_admin=True, is_platform_admin=True)
    response = log_in(client, "ops@example.org", PASSWORD)
    assert response.headers["Location"] == "/me/security/two-factor"

    for path in ("/", "/me", "/admin", "/me/security", "/me/password", "/login/code"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["Location"] == "/me/security/two-factor", path
    with client.get("/static/css/app.css") as stylesheet:
        assert stylesheet.status_code == 200
    assert client.get("/theme.css").status_code == 200
    page = client.get("/me/security/two-factor")
    assert "you need two-factor log-in before you can go on" in page.get_data(as_text=True)

    db.session.refresh(ops)
    token = csrf_from(page.get_data(as_text=True))
    enabled = client.post(
        "/me/security/two-factor", data={"code": code_now(ops), "csrf_token": token}
    )
    assert enabled.status_code == 200
    assert client.get("/admin").status_code == 200


def test_a_platform_admin_without_two_factor_can_log_out(client, territory):
    make_user(territory, email="ops@example.org", is_admin=True, is_platform_admin=True)
    log_in(client, "ops@example.org", PASSWORD)
    token = csrf_token(client, "/me/security/two-factor")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/me").status_code == 302  # to log in, as anybody logged out


def test_a_platform_admin_cannot_turn_two_factor_off(client, territory):
    ops = make_user(territory, email="ops@example.org", is_admin=True, is_platform_admin=True)
    with_two_factor(ops)
    login_as(client, ops)
    page = client.get("/me/security").get_data(as_text=True)
    assert "you cannot turn two-factor log-in off" in page
    assert "/me/security/two-factor/disable" not in page
    response = client.post(
        "/me/security/two-factor/disable",
        data={"password": PASSWORD, "code": code_now(ops), "csrf_token": csrf_token(client, "/me/security")},
    )
    assert response.status_code == 403
    db.session.refresh(ops)
    assert ops.two_factor_enabled
    with pytest.raises(two_factor.TwoFactorRequired):
        two_factor.disable(ops)


def test_a_platform_admin_logs_in_with_the_second_step(client, territory):
    ops = make_user(territory, email="ops@example.org", is_admin=True, is_platform_admin=True)
    with_two_factor(ops)
    assert log_in(client, "ops@example.org", PASSWORD).headers["Location"] == "/login/code"
    assert send_code(client, code_now(ops)).status_code == 303
    assert client.get("/admin").status_code == 200
