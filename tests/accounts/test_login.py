import re

import pytest
from sqlalchemy import select

from app.accounts import services
from app.accounts.models import AuthSession
from app.extensions import db
from tests.accounts.conftest import is_logged_in, log_in, post_form
from tests.factories import PASSWORD, make_territory, make_user


def test_person_logs_in_and_out(client, territory):
    make_user(territory, email="lea@example.org")
    response = log_in(client, "Lea@example.org", PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert is_logged_in(client)
    response = post_form(client, "/logout")
    assert response.status_code == 303
    assert not is_logged_in(client)
    assert db.session.scalar(select(AuthSession)).revoked_at is not None


def test_wrong_password_and_unknown_email_get_the_same_generic_error(client, territory):
    make_user(territory, email="lea@example.org")
    wrong_password = log_in(client, "lea@example.org", "not the password at all")
    unknown_email = log_in(client, "nobody@example.org", "not the password at all")
    assert wrong_password.status_code == unknown_email.status_code == 422
    for response in (wrong_password, unknown_email):
        assert "Wrong e-mail address or password." in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_a_cookie_replayed_after_logout_is_refused(client, app, territory):
    make_user(territory, email="lea@example.org")
    log_in(client, "lea@example.org", PASSWORD)
    stolen = client.get_cookie("session").value
    post_form(client, "/logout")

    thief = app.test_client()
    thief.set_cookie("session", stolen, domain="localhost")
    response = thief.get("/me")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_session_cookie_of_one_territory_logs_nobody_in_at_another(client, app, territory):
    make_territory("b", "Montgenèvre", hosts=("b.localhost",))
    make_user(territory, email="lea@example.org")
    log_in(client, "lea@example.org", PASSWORD)
    cookie = client.get_cookie("session").value

    other = app.test_client()
    other.set_cookie("session", cookie, domain="b.localhost")
    response = other.get("/me", base_url="http://b.localhost")
    assert response.status_code == 302
    assert "Log out" not in other.get("/login", base_url="http://b.localhost").get_data(
        as_text=True
    )


def test_an_account_of_another_territory_cannot_log_in_here(client, territory):
    other = make_territory("b", "Montgenèvre", hosts=("b.localhost",))
    make_user(other, email="lea@example.org")
    assert log_in(client, "lea@example.org", PASSWORD).status_code == 422
    assert (
        log_in(client, "lea@example.org", PASSWORD, base_url="http://b.localhost").status_code
        == 303
    )


def test_login_goes_back_to_a_local_next_page(client, territory):
    make_user(territory, email="lea@example.org")
    response = client.get("/me")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert "next=" in login_url
    page = client.get(login_url).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/me"' in page
    response = post_form(
        client, "/login", {"email": "lea@example.org", "password": PASSWORD, "next": "/me"}
    )
    assert response.headers["Location"] == "/me"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_login_never_redirects_to_another_site(client, territory, target):
    make_user(territory, email="lea@example.org")
    response = post_form(
        client, "/login", {"email": "lea@example.org", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_unverified_person_can_log_in_and_is_reminded(client, territory):
    make_user(territory, email="lea@example.org", verified=False)
    response = log_in(client, "lea@example.org", PASSWORD, follow_redirects=True)
    assert response.status_code == 200
    assert "confirm your e-mail address" in response.get_data(as_text=True)


def test_login_is_rate_limited_per_address_with_a_translated_error_page(client, territory):
    make_user(territory, email="lea@example.org")
    for _ in range(10):
        assert log_in(client, "lea@example.org", "wrong guess number").status_code == 422
    response = log_in(client, "lea@example.org", PASSWORD, headers={"Accept-Language": "en"})
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html and '<html lang="en"' in html
    assert response.headers.get("Retry-After")


def test_login_is_rate_limited_per_email_across_client_addresses(client, territory):
    make_user(territory, email="lea@example.org")
    for n in range(10):
        response = log_in(
            client, "lea@example.org", "wrong guess", environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        )
        assert response.status_code == 422
    response = log_in(
        client, "lea@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.99"}
    )
    assert response.status_code == 429
    # another person is not locked out by it
    make_user(territory, email="tom@example.org")
    assert (
        log_in(
            client, "tom@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.1.1"}
        ).status_code
        == 303
    )


# --- device cookies: guessing elsewhere does not lock the owner out ----------------------------


def _guess(client, email, times, address="127.0.0.1"):  # type: ignore[no-untyped-def]
    return [
        log_in(client, email, "wrong guess", environ_base={"REMOTE_ADDR": address}).status_code
        for _ in range(times)
    ]


def test_the_owner_logs_in_from_their_browser_while_someone_else_guesses_their_password(
    app, territory
):
    make_user(territory, email="lea@example.org")
    owner = app.test_client()
    assert log_in(owner, "lea@example.org", PASSWORD).status_code == 303
    post_form(owner, "/logout")
    # Someone at the same address guesses, until both the address and the e-mail are held back.
    attacker = app.test_client()
    assert _guess(attacker, "lea@example.org", 10) == [422] * 9 + [429]
    # The owner's browser logged in to this account before: it is let through.
    response = log_in(owner, "Lea@example.org", PASSWORD)
    assert response.status_code == 303
    assert is_logged_in(owner)
    # A browser that never logged in to it is still held back, even with the password.
    assert log_in(attacker, "lea@example.org", PASSWORD).status_code == 429
    assert log_in(app.test_client(), "lea@example.org", PASSWORD).status_code == 429


def test_a_browser_that_logged_in_before_has_a_limit_of_its_own(app, territory):
    make_user(territory, email="lea@example.org")
    stolen_laptop = app.test_client()
    assert log_in(stolen_laptop, "lea@example.org", PASSWORD).status_code == 303
    post_form(stolen_laptop, "/logout")
    assert _guess(stolen_laptop, "lea@example.org", 11) == [422] * 10 + [429]
    assert log_in(stolen_laptop, "lea@example.org", PASSWORD).status_code == 429
    # Its guesses were counted on its cookie, not on the e-mail: another browser logs in.
    other = app.test_client()
    assert log_in(other, "lea@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 303


def test_a_device_cookie_names_no_one_and_counts_only_for_its_own_account(app, territory):
    make_user(territory, email="lea@example.org")
    make_user(territory, email="tom@example.org")
    browser = app.test_client()
    assert log_in(browser, "lea@example.org", PASSWORD).status_code == 303
    cookie = browser.get_cookie("device", path="/login")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    # A random nonce and an HMAC (base64): nothing else, nothing readable.
    assert re.fullmatch(r"[\w-]{16}\.[\w-]{43}", cookie.value)
    post_form(browser, "/logout")
    # Lea's browser guessing Tom's password: held back as any other.
    assert _guess(app.test_client(), "tom@example.org", 10, address="10.0.0.1") == [422] * 10
    assert _guess(browser, "tom@example.org", 1, address="10.0.0.2") == [429]
    # A cookie made up from Lea's (her nonce, another tag) is no device of hers.
    assert _guess(app.test_client(), "lea@example.org", 9, address="10.0.0.3") == [422] * 9
    forger = app.test_client()
    forged = cookie.value.split(".")[0] + ".not-the-tag"
    forger.set_cookie("device", forged, domain="localhost", path="/login")
    assert log_in(forger, "lea@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.4"}).status_code == 429
    assert log_in(browser, "lea@example.org", PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 303


def test_a_new_password_makes_the_earlier_device_cookies_void(app, territory):
    lea = make_user(territory, email="lea@example.org")
    old_laptop = app.test_client()
    assert log_in(old_laptop, "lea@example.org", PASSWORD).status_code == 303
    post_form(old_laptop, "/logout")
    services.set_password(lea, "a brand new passphrase for lea")
    assert _guess(app.test_client(), "lea@example.org", 9, address="10.0.0.1") == [422] * 9
    response = log_in(
        old_laptop, "lea@example.org", "a brand new passphrase for lea", environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )
    assert response.status_code == 429
