from app.accounts.models import User
from app.extensions import db
from tests.accounts.conftest import post_form
from tests.factories import login_as, make_territory, make_user


def test_browser_language_is_negotiated(client, territory):
    assert '<html lang="nl"' in client.get(
        "/login", headers={"Accept-Language": "nl-BE,nl;q=0.9"}
    ).get_data(as_text=True)
    assert '<html lang="fr"' in client.get("/login", headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )


def test_visitor_language_choice_wins_over_the_browser(client, territory):
    response = post_form(client, "/language", {"language": "en", "next": "/login?x=1"})
    assert response.status_code == 303 and response.headers["Location"] == "/login?x=1"
    html = client.get("/login", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="en"' in html


def test_logged_in_persons_choice_is_kept_on_their_account(client, app, territory):
    user = make_user(territory)
    login_as(client, user)
    post_form(client, "/language", {"language": "nl", "next": "/me"})
    assert db.session.get(User, user.id).language == "nl"
    other_device = app.test_client()
    login_as(other_device, user)
    assert '<html lang="nl"' in other_device.get(
        "/me", headers={"Accept-Language": "en"}
    ).get_data(as_text=True)


def test_a_language_not_enabled_for_the_territory_is_refused(client, app):
    user = make_user(make_territory(enabled_languages_csv="fr,en"))
    login_as(client, user)
    response = post_form(client, "/language", {"language": "nl", "next": "/me"})
    assert response.status_code == 303
    assert db.session.get(User, user.id).language is None
    html = client.get("/me", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert "flash-error" in html


def test_language_form_never_redirects_elsewhere(client, territory):
    response = post_form(client, "/language", {"language": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
