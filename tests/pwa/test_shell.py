"""The app shell comes from one list (app/pwa/assets.py): what every page links is what the
service worker precaches, every file of it exists, and the worker's cache is named after a hash
of those files, so a deploy that changes one replaces the cache without anyone bumping a number."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.config import ROOT
from app.pwa import assets
from tests.factories import login_as, make_territory, make_user

STATIC = ROOT / "static"
TEMPLATES = ROOT / "templates"
# What the worker keeps besides what pages link: the other icons the manifest names.
MANIFEST_ONLY = {"/icons/512.png", "/icons/maskable-512.png"}


class HeadAssets(HTMLParser):
    """The URLs a page's <head> makes the browser fetch: stylesheets, scripts, manifest, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") in {"stylesheet", "manifest", "icon", "apple-touch-icon"}:
            self.urls.append(values["href"] or "")
            if values["rel"] == "stylesheet":
                self.stylesheets.append(values["href"] or "")
        elif tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")
            self.scripts.append(values["src"] or "")


def versioned(name: str) -> str:
    return f"/static/{name}?v={hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]}"


def page_script_urls() -> set[str]:
    """The scripts only the pages with a map load (data-scripts): precached, not in the <head>."""
    return {versioned(name) for name in assets.PAGE_SCRIPTS}


def head_assets(client, path: str = "/") -> HeadAssets:
    response = client.get(path)
    assert response.status_code == 200, path
    parser = HeadAssets()
    parser.feed(response.get_data(as_text=True))
    return parser


def worker(client) -> tuple[list[str], str]:
    """The shell list and the version of the service worker as the browser receives it."""
    body = client.get("/service-worker.js").get_data(as_text=True)
    shell = re.search(r"^const SHELL = (.*);$", body, re.M)
    version = re.search(r"^const VERSION = (.*);$", body, re.M)
    assert shell and version, "the served worker has its shell and version filled in"
    return json.loads(shell.group(1)), json.loads(version.group(1))


def test_the_worker_precaches_exactly_what_pages_link(client):
    territory = make_territory()
    visitor = head_assets(client)
    login_as(client, make_user(territory))
    member = head_assets(client)
    shell, _version = worker(client)

    assert len(shell) == len(set(shell))
    assert set(visitor.urls) <= set(member.urls)
    assert set(member.urls) <= set(shell)
    assert set(shell) - set(member.urls) == MANIFEST_ONLY | page_script_urls()
    # One stylesheet of the shell, then the territory's colours, which override its defaults.
    bundle = [url for url in shell if url.startswith("/styles.css?v=")]
    assert member.stylesheets == [*bundle, "/theme.css"] and len(bundle) == 1


def test_every_file_the_worker_precaches_is_served(client):
    """A missing shell file would make the worker's install fail, and the app not installable."""
    make_territory()
    shell, _version = worker(client)
    assert any(url.startswith("/styles.css?v=") for url in shell)
    assert "/theme.css" in shell and "/static/js/location.js" in {url.split("?")[0] for url in shell}
    for url in [*shell, "/offline"]:
        with client.get(url) as response:
            assert response.status_code == 200, url


def test_each_script_url_carries_the_hash_of_its_file(client):
    territory = make_territory()
    login_as(client, make_user(territory))
    scripts = head_assets(client).scripts
    assert [url.split("?")[0] for url in scripts] == [
        f"/static/{name}" for name in assets.SCRIPTS
    ]
    for url in scripts:
        path, fingerprint = re.fullmatch(r"/static/(.+)\?v=([0-9a-f]{12})", url).groups()
        assert fingerprint == hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12], url


def test_the_stylesheet_bundle_holds_every_sheet_in_order_and_is_kept_for_good(client):
    make_territory()
    href = next(url for url in head_assets(client).stylesheets if url.startswith("/styles.css?v="))
    response = client.get(href)
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    css = response.get_data(as_text=True)
    positions = []
    for name in assets.STYLESHEETS:
        text = (STATIC / name).read_text(encoding="utf-8").strip()
        assert text in css, name
        positions.append(css.index(text))
    assert positions == sorted(positions), "the sheets keep their cascade order"
    assert client.get(href, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    # A page from before a deploy asks for an old hash: the current styles, not kept.
    stale = client.get("/styles.css?v=0123456789ab")
    assert stale.status_code == 200 and stale.get_data(as_text=True) == css
    assert stale.headers["Cache-Control"] == "no-cache"


def test_every_stylesheet_is_in_the_bundle_and_no_page_links_its_own():
    """A page's own <link> in its <head> is lost when a link reaches it (hx-boost swaps the body):
    every sheet goes into the bundle, and no template but the page shell (_shell.html, around
    every page through base.html) links one (the kiosk screen is a page of its own, never reached
    by a boosted link; so are the embeddable pages, framed by other sites)."""
    sheets = {f"css/{path.name}" for path in (STATIC / "css").glob("*.css")}
    assert sheets == set(assets.STYLESHEETS)
    for name in sheets:  # rules that only work at the top of a file would be lost in the bundle
        assert not re.search(r"@(import|charset)\b", (STATIC / name).read_text(encoding="utf-8")), name
    linking = {
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if re.search(r'rel="stylesheet"|\.css\b', path.read_text(encoding="utf-8"))
    }
    assert linking == {"_shell.html", "kiosks/kiosk.html", "embed/_frame.html", "places/_macros.html"}  # _macros: Leaflet's, loaded by near.js
    assert not [path for path in TEMPLATES.rglob("*.html") if "block head" in path.read_text(encoding="utf-8")]


def _static_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    return copy


def test_the_cache_version_is_a_hash_of_the_shell_files(tmp_path):
    static = _static_copy(tmp_path)
    first = assets.build_shell(static)
    assert assets.build_shell(static) == first
    assert re.fullmatch(r"[0-9a-f]{16}", first.version)

    (static / "js" / "kiosk.js").write_text("/* not in the shell */", encoding="utf-8")
    assert assets.build_shell(static).version == first.version

    app_js = static / "js" / "app.js"
    original = app_js.read_bytes()
    app_js.write_bytes(original.replace(b"use strict", b"use  strict", 1))
    changed = assets.build_shell(static)
    assert changed.version != first.version
    assert changed.fingerprints["js/app.js"] != first.fingerprints["js/app.js"]
    assert changed.fingerprints["js/push.js"] == first.fingerprints["js/push.js"]
    assert changed.stylesheet_hash == first.stylesheet_hash
    app_js.write_bytes(original)
    assert assets.build_shell(static).version == first.version

    with (static / "css" / "privacy.css").open("a", encoding="utf-8") as sheet:
        sheet.write(".privacy-page h1 { letter-spacing: .01em; }\n")
    restyled = assets.build_shell(static)
    assert restyled.version != first.version
    assert restyled.stylesheet_hash != first.stylesheet_hash
    assert b"letter-spacing: .01em" in restyled.stylesheet


def test_the_served_worker_changes_with_the_files_once_the_app_restarts(app, client, tmp_path, monkeypatch):
    make_territory()
    static = _static_copy(tmp_path)
    monkeypatch.setattr(app, "static_folder", str(static))
    app.extensions.pop(assets.SHELL_KEY, None)
    shell, version = worker(client)
    # A page drawn before the restart: its shell is kept (app.fragments), with the head's URLs.
    assert set(head_assets(client).scripts) <= set(shell)

    (static / "js" / "push.js").write_text("/* a new push.js */\n", encoding="utf-8")
    assert worker(client) == (shell, version), "hashed once per process, not per request"

    app.extensions.pop(assets.SHELL_KEY)  # what a restart does
    new_shell, new_version = worker(client)
    assert new_version != version
    changed = {url.split("?")[0] for url in set(new_shell) ^ set(shell)}
    assert changed == {"/static/js/push.js"}
    assert set(head_assets(client).scripts) <= set(new_shell)  # pages link the new one too


def test_a_worker_source_without_its_slots_is_refused_at_once(tmp_path):
    source = tmp_path / "service-worker.js"
    source.write_text('const SHELL = [];\nconst VERSION = "2026-05-2";\n', encoding="utf-8")
    with pytest.raises(RuntimeError, match="filled in as served"):
        assets.build_shell(STATIC, worker=source)


def test_the_map_scripts_load_only_on_the_pages_with_a_map(client):
    """near.js and zone-editor.js are named by the element that needs them (data-scripts, which
    app.js loads), never linked by the <head> of every page."""
    territory = make_territory()
    admin = make_user(territory, is_admin=True)
    login_as(client, admin)
    for path in ("/", "/all", "/agenda", "/actors", "/me/notifications"):
        html = client.get(path).get_data(as_text=True)
        assert "near.js" not in html and "zone-editor.js" not in html and "data-scripts" not in html, path
    near = client.get("/near").get_data(as_text=True)
    assert re.findall(r'data-scripts="([^"]*)"', near) == [versioned("js/near.js")]
    editor = client.get("/admin/neighbourhoods").get_data(as_text=True)
    assert f'data-scripts="{versioned("js/near.js")} {versioned("js/zone-editor.js")}"' in editor
    # Leaflet itself, loaded by near.js, by its versioned URLs too.
    assert f'data-leaflet-js="{versioned("vendor/leaflet-1.9.4/leaflet.js")}"' in near
    assert f'data-leaflet-css="{versioned("vendor/leaflet-1.9.4/leaflet.css")}"' in near


def test_every_script_of_the_head_is_deferred(client):
    make_territory()
    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(re.search(r"\bdefer\b", tag) and "src=" in tag for tag in scripts), scripts


def test_a_static_file_named_by_its_version_is_kept_for_a_year(client):
    make_territory()
    for name in ("js/app.js", "js/near.js", "vendor/leaflet-1.9.4/leaflet.js", "css/tokens.css"):
        with client.get(versioned(name)) as response:
            assert response.status_code == 200, name
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", name
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.get_data() == (STATIC / name).read_bytes()
        # Revalidated (a reload): still kept for a year.
        with client.get(versioned(name), headers={"If-None-Match": response.headers["ETag"]}) as again:
            assert again.status_code == 304
            assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_static_file_without_its_version_is_kept_briefly_and_an_old_version_not_at_all(client):
    make_territory()
    with client.get("/static/js/app.js") as plain:
        assert plain.status_code == 200
        assert plain.headers["Cache-Control"] == "max-age=3600, public"
        content = plain.get_data()
    # A page from before a deploy names an old version: the current file, revalidated each time.
    with client.get("/static/js/app.js?v=0123456789ab") as stale:
        assert stale.status_code == 200 and stale.get_data() == content
        assert stale.headers["Cache-Control"] == "no-cache"
    with client.get("/static/js/app.js?other=1") as other:
        assert other.headers["Cache-Control"] == "max-age=3600, public"


def test_every_static_url_a_page_links_carries_the_version_of_its_file(client):
    """So that each of them is kept for a year: a page's scripts, Leaflet, the kiosk's files."""
    territory = make_territory()
    login_as(client, make_user(territory, is_admin=True))
    for path in ("/", "/near", "/admin/neighbourhoods"):
        html = client.get(path).get_data(as_text=True)
        for url in re.findall(r'/static/[^"\s]+', html):
            path_part, _, query = url.partition("?")
            assert query.startswith("v="), url
            assert url == versioned(path_part.removeprefix("/static/")), url
