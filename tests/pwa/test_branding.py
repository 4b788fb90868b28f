"""Each town's colours and logo everywhere: pages, the manifest's theme colour, the kiosk screen
(which links the design tokens, then the town's theme, then its own sheet)."""

from __future__ import annotations

import json
import re

from app.extensions import db
from app.media.models import Media
from tests.factories import make_actor, make_kiosk, make_territory


def test_the_manifest_and_the_pages_carry_the_towns_colour(client):
    make_territory(primary_color="#1d4e89", accent_color="#f2a900")
    manifest = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))
    assert manifest["theme_color"] == "#1d4e89"
    html = client.get("/").get_data(as_text=True)
    assert '<meta name="theme-color" content="#1d4e89">' in html
    theme = client.get("/theme.css").get_data(as_text=True)
    assert "--primary: #1d4e89;" in theme and "--accent: #f2a900;" in theme


def test_the_kiosk_shows_the_towns_logo_and_colours(client):
    territory = make_territory(primary_color="#1d4e89")
    logo = Media(territory_id=territory.id, content_type="image/webp", data=b"RIFF0000WEBPVP8 ", width=64, height=64)
    db.session.add(logo)
    db.session.commit()
    territory.logo_media_id = logo.id
    db.session.commit()
    office = make_actor(territory, "Office de Tourisme", kind="tourism_office", lat=43.17, lon=5.6)
    _row, token = make_kiosk(office)
    html = client.get(f"/kiosk/{token}").get_data(as_text=True)
    assert '<meta name="theme-color" content="#1d4e89">' in html
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
    assert [url.split("?")[0] for url in sheets] == ["/static/css/tokens.css", "/theme.css", "/static/css/places.css"]
    assert re.search(r'<header class="kiosk-header">\s*<img src="/media/[^"]+"', html)
    assert '<link rel="icon" href="/icons/192.png"' in html
