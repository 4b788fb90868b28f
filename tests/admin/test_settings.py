"""The admin configures the territory; colours go into CSS, so they are checked strictly."""

import io

from PIL import Image

from app.extensions import db
from app.media.models import Media
from app.territories.models import Territory
from tests.factories import make_territory


def _settings(**overrides):
    data = {
        "name": "La Ciotat",
        "tagline": "La ville du cinéma",
        "primary_color": "#0b5fa5",
        "accent_color": "#e4572e",
        "timezone": "Europe/Paris",
        "default_language": "fr",
        "enabled_languages": ["fr", "en"],
        "hosts": "localhost\nlaciotat.example",
    }
    data.update(overrides)
    return data


def test_admin_changes_name_colours_languages_and_hosts(admin_client, territory):
    response = admin_client.post("/admin/settings", data={**_settings(name="La Ciotat Ville", primary_color="#1D4E89"),
                                                          "csrf_token": admin_client.csrf})
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Territory, territory.id)
    assert saved.name == "La Ciotat Ville"
    assert saved.primary_color == "#1d4e89"
    assert saved.enabled_languages == ["fr", "en"]
    assert sorted(h.hostname for h in saved.hosts) == ["laciotat.example", "localhost"]
    css = admin_client.get("/theme.css").get_data(as_text=True)
    assert "--primary: #1d4e89;" in css


def test_colour_injection_into_css_is_refused(admin_client, territory):
    response = admin_client.post(
        "/admin/settings",
        data={**_settings(primary_color="red;}body{display:none", accent_color="#e4572"), "csrf_token": admin_client.csrf},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="primary_color-error"' in html and 'id="accent_color-error"' in html
    assert "red;}body{display:none" in html  # the typed value is kept, escaped in the form
    db.session.expire_all()
    assert db.session.get(Territory, territory.id).primary_color == "#0b5fa5"
    assert "body{" not in admin_client.get("/theme.css").get_data(as_text=True)


def test_unknown_time_zone_and_disabled_default_language_are_refused(admin_client, territory):
    response = admin_client.post(
        "/admin/settings",
        data={**_settings(timezone="Mars/Olympus", default_language="nl", enabled_languages=["fr"]),
              "csrf_token": admin_client.csrf},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="timezone-error"' in html and 'id="enabled_languages-error"' in html


def test_host_of_another_territory_cannot_be_taken(admin_client, territory):
    make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    response = admin_client.post(
        "/admin/settings", data={**_settings(hosts="localhost\nstation.localhost"), "csrf_token": admin_client.csrf}
    )
    assert response.status_code == 422
    assert 'id="hosts-error"' in response.get_data(as_text=True)


def test_admin_uploads_a_logo(admin_client, territory):
    buffer = io.BytesIO()
    Image.new("RGB", (600, 600), "#0b5fa5").save(buffer, "PNG")
    buffer.seek(0)
    response = admin_client.post(
        "/admin/settings",
        data={**_settings(), "logo": (buffer, "logo.png"), "csrf_token": admin_client.csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Territory, territory.id)
    assert saved.logo_media_id is not None
    logo = db.session.get(Media, saved.logo_media_id)
    assert admin_client.get(f"/media/{logo.token}").status_code == 200


def test_a_file_that_is_not_an_image_is_refused_as_logo(admin_client, territory):
    response = admin_client.post(
        "/admin/settings",
        data={**_settings(), "logo": (io.BytesIO(b"<svg onload=alert(1)>"), "logo.svg"), "csrf_token": admin_client.csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert 'id="logo-error"' in response.get_data(as_text=True)


def test_a_main_colour_too_light_for_links_on_white_is_refused_and_text_on_the_colours_reads(
        admin_client, territory):
    response = admin_client.post("/admin/settings", data={**_settings(primary_color="#ffd23f"),
                                                          "csrf_token": admin_client.csrf})
    assert response.status_code == 422
    assert 'id="primary_color-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Territory, territory.id).primary_color == "#0b5fa5"
    # A light accent is the town's to choose: the text on it is black, on a dark one white.
    response = admin_client.post("/admin/settings", data={**_settings(accent_color="#f0e442"),
                                                          "csrf_token": admin_client.csrf})
    assert response.status_code == 303
    css = admin_client.get("/theme.css").get_data(as_text=True)
    assert "--on-accent: #000000;" in css and "--on-primary: #ffffff;" in css


def test_the_theme_comes_after_the_shells_stylesheet(admin_client, territory):
    """Else the shell's default colours win over the town's."""
    html = admin_client.get("/").get_data(as_text=True)
    assert html.index("/styles.css") < html.index("/theme.css")
