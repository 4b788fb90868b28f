import io
import json
import re

from PIL import Image

from app.extensions import db
from app.media.models import Media
from tests.factories import login_as, make_territory, make_user


def _two_territories():
    coast = make_territory("laciotat", "La Ciotat", hosts=("localhost",), primary_color="#0b5fa5")
    station = make_territory(
        "montgenevre", "Montgenèvre", hosts=("station.localhost",), primary_color="#7a1f5c", default_language="fr"
    )
    return coast, station


def _png_size(client, url, base_url="http://localhost"):
    response = client.get(url, base_url=base_url)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.format == "PNG"
        return image.size


def test_every_page_links_the_territory_manifest(client):
    make_territory()
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html


def test_manifest_makes_the_territory_installable(client):
    _two_territories()
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["name"] == "La Ciotat"
    assert manifest["short_name"] == "La Ciotat"
    assert manifest["description"]
    assert manifest["lang"] == "fr"
    assert manifest["id"] == "/"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b5fa5"
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    purposes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    shortcut_urls = {shortcut["url"] for shortcut in manifest["shortcuts"]}
    assert {"/agenda", "/actors"} <= shortcut_urls


def test_manifest_icons_are_real_pngs_of_the_announced_size(client):
    _two_territories()
    manifest = json.loads(client.get("/manifest.webmanifest").data)
    for icon in manifest["icons"]:
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert _png_size(client, icon["src"]) == (width, height)


def test_each_territory_has_its_own_name_colour_and_icon(client):
    _two_territories()
    coast = json.loads(client.get("/manifest.webmanifest").data)
    station = json.loads(client.get("/manifest.webmanifest", base_url="http://station.localhost").data)
    assert (coast["name"], station["name"]) == ("La Ciotat", "Montgenèvre")
    assert (coast["theme_color"], station["theme_color"]) == ("#0b5fa5", "#7a1f5c")
    coast_icon = client.get("/icons/192.png").data
    station_icon = client.get("/icons/192.png", base_url="http://station.localhost").data
    assert coast_icon != station_icon
    with Image.open(io.BytesIO(station_icon)) as image:
        assert image.convert("RGB").getpixel((2, 2)) == (0x7A, 0x1F, 0x5C)  # the territory colour


def test_long_territory_name_gets_a_short_name_for_the_home_screen(client):
    make_territory("sms", "Saintes-Maries-de-la-Mer Camargue")
    manifest = json.loads(client.get("/manifest.webmanifest").data)
    assert manifest["name"] == "Saintes-Maries-de-la-Mer Camargue"
    assert 0 < len(manifest["short_name"]) <= 12


def test_only_the_announced_icon_sizes_exist(client):
    make_territory()
    assert _png_size(client, "/icons/192.png") == (192, 192)
    assert _png_size(client, "/icons/512.png") == (512, 512)
    assert _png_size(client, "/icons/maskable-512.png") == (512, 512)
    assert client.get("/icons/64.png").status_code == 404
    assert client.get("/icons/4096.png").status_code == 404


def test_icon_is_drawn_from_the_territory_logo_when_there_is_one(client):
    territory = make_territory(primary_color="#0b5fa5")
    buffer = io.BytesIO()
    Image.new("RGB", (300, 100), (250, 200, 0)).save(buffer, format="PNG")
    logo = Media(territory_id=territory.id, content_type="image/png", data=buffer.getvalue(), width=300, height=100)
    db.session.add(logo)
    db.session.commit()
    territory.logo_media_id = logo.id
    db.session.commit()
    with Image.open(io.BytesIO(client.get("/icons/512.png").data)) as image:
        rgb = image.convert("RGB")
        assert rgb.getpixel((256, 256)) == (250, 200, 0)  # the logo, centred
        assert rgb.size == (512, 512)


def test_service_worker_is_served_from_the_root_and_never_stale(client):
    make_territory()
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype in {"text/javascript", "application/javascript"}
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert "const VERSION" in body and "/offline" in body


def test_offline_page_is_branded_and_translated(client):
    make_territory("montgenevre", "Montgenèvre")
    english = client.get("/offline", headers={"Accept-Language": "en"})
    assert english.status_code == 200
    html = english.get_data(as_text=True)
    assert "<h1>You are offline</h1>" in html
    assert "Montgenèvre" in html
    assert 'href="/"' in html


def test_offline_page_for_a_logged_in_person_still_renders(client):
    territory = make_territory()
    login_as(client, make_user(territory))
    assert client.get("/offline").status_code == 200
