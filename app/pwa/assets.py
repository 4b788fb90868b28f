"""The app shell's files, listed once: the page shell (``_shell.html``, around every page) links
them, the service worker precaches them and names its cache after a hash of their contents, so
the two cannot drift apart.

The stylesheets reach the browser as one bundle, ``/styles.css?v=<hash of the bundle>``: with
``hx-boost`` a link swaps the page's <body> and keeps the <head> the first page loaded, so a
stylesheet that only some pages linked in their own <head> was missing when they were reached by
a link. Each script keeps its own URL, with ``?v=<hash of the file>`` so that a deploy never
meets a copy the browser kept under ``/static/``'s max-age (a URL with the right ``v`` is kept
for a year: app.security.VersionedStaticFiles).

Only the scripts every page needs are in the <head>. Those of a few pages (the maps' near.js and
zone-editor.js, ``PAGE_SCRIPTS``) are named by the element that needs them, in
``data-scripts``, and app.js loads them when such an element arrives, on the first page or by a
boosted link or an htmx fragment alike (a <head> of a page's own would be lost: a boosted link
keeps the first page's). The service worker precaches them with the shell, to work offline.

Everything here is read once per process, on first use; a change to the files takes effect
when the app restarts, as WhiteNoise's list of static files does."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, request, url_for

from app import fragments
from app.config import ROOT
from app.security import fingerprint

# In cascade order: each sheet may override those before it. Paths under static/.
STYLESHEETS = (
    "css/tokens.css",  # the design tokens: every sheet after it uses them
    "css/app.css",
    "css/chips.css",
    "css/accounts.css",
    "css/actors.css",
    "css/publications.css",
    "css/feed.css",
    "css/admin.css",
    "css/notifications.css",
    "css/places.css",
    "css/campaigns.css",
    "css/charts.css",
    "css/observatory.css",
    "css/privacy.css",
    "css/legal.css",
    "css/polls.css",
    "css/reports-agents.css",
    "css/audit-rounds.css",
)
SCRIPTS = (
    "vendor/htmx-2.0.11/htmx.min.js",
    "js/app.js",
    "js/composer.js",
    "js/push.js",
    # For everyone, not only a logged-in person: logging in by the form swaps the <body> only,
    # and the <head> the first page loaded must already hold it (it reads the <body>'s state).
    "js/location.js",
)
# Loaded by app.js on the pages that need them (data-scripts), in this order.
PAGE_SCRIPTS = (
    "js/near.js",  # maps, and the loader of the vendored Leaflet
    "js/zone-editor.js",  # needs near.js
    "js/reports-map.js",  # the public map of street reports; needs near.js
    "js/reports.js",  # reporting a problem: the position into the form
    "js/reports-address.js",  # reporting a problem: the address suggestions (a geocoder set)
    "js/reports-outbox.js",  # street reports kept offline (IndexedDB); the worker imports it too
    "js/reports-offline.js",  # the report form offline, the list of reports waiting; needs reports-outbox.js
    "js/copy-link.js",  # a "Copy the link" button (the personal calendar link)
)

# Drawn per territory by the app rather than read from files: the worker keeps them with the
# shell and refreshes them in the background; their changes do not need a new cache.
TERRITORY_SHELL: tuple[tuple[str, dict[str, int]], ...] = (
    ("territories.theme_css", {}),
    ("pwa.manifest", {}),
    ("pwa.icon", {"size": 192}),
    ("pwa.icon", {"size": 512}),
    ("pwa.maskable_icon", {}),
)

SERVICE_WORKER = ROOT / "service-worker" / "service-worker.js"
# The two values service-worker.js leaves for the app to fill in as it serves it.
SHELL_SLOT = "/* shell: filled in as served */ []"
VERSION_SLOT = '/* version: filled in as served */ "unversioned"'


@dataclass(frozen=True)
class Shell:
    stylesheet: bytes  # every sheet of STYLESHEETS, in order
    stylesheet_hash: str
    fingerprints: dict[str, str]  # script path (SCRIPTS, PAGE_SCRIPTS) -> hash of its content
    version: str  # names the worker's cache: changes with any listed file
    worker_source: str
    # The head's URLs by script root: the same on every page, built once.
    head_urls: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    # Other static files' fingerprints, read when first linked (static_url).
    other_fingerprints: dict[str, str] = field(default_factory=dict, compare=False)


def _digest(data: bytes) -> str:
    return fingerprint(data)


def _fill_once(source: str, slot: str, value: str) -> str:
    if source.count(slot) != 1:
        raise RuntimeError(f"the service worker's source must hold {slot!r} exactly once")
    return source.replace(slot, value)


def build_shell(static_root: Path, worker: Path = SERVICE_WORKER) -> Shell:
    """Read the listed files under ``static_root``: the bundle, each script's fingerprint and
    the version, a hash over every file's name and content and the per-territory endpoints."""
    files = {name: (static_root / name).read_bytes() for name in (*STYLESHEETS, *SCRIPTS, *PAGE_SCRIPTS)}
    stylesheet = b"".join(b"/* %s */\n%s\n" % (name.encode(), files[name].rstrip()) for name in STYLESHEETS)
    everything = hashlib.sha256(repr(TERRITORY_SHELL).encode())
    for name, content in files.items():
        everything.update(b"%s\0%d\0%s" % (name.encode(), len(content), content))
    source = worker.read_text(encoding="utf-8")
    _fill_once(_fill_once(source, SHELL_SLOT, "[]"), VERSION_SLOT, '""')  # fails now, not when served
    return Shell(
        stylesheet=stylesheet,
        stylesheet_hash=_digest(stylesheet),
        fingerprints={name: _digest(files[name]) for name in (*SCRIPTS, *PAGE_SCRIPTS)},
        version=everything.hexdigest()[:16],
        worker_source=source,
    )


# Where an app keeps its shell: built once, on first use, for as long as the app runs.
SHELL_KEY = "pwa.shell"
_build_lock = threading.Lock()


def shell() -> Shell:
    """This app's shell, built from its static folder the first time it is asked for."""
    extensions = current_app.extensions
    built = extensions.get(SHELL_KEY)
    if built is None:
        with _build_lock:
            built = extensions.get(SHELL_KEY)
            if built is None:
                built = build_shell(Path(current_app.static_folder or ROOT / "static"))
                # Kept page shells hold the head's URLs of the shell they were drawn with.
                fragments.shells.clear()
                fragments.cache.clear()
                extensions[SHELL_KEY] = built
    return built  # type: ignore[no-any-return]


def head_urls() -> tuple[str, list[str]]:
    """What every page's <head> links, for anybody: the stylesheet bundle and the scripts, in
    order (a boosted link or form, logging in included, keeps the first page's <head>)."""
    built = shell()
    key = request.script_root
    urls = built.head_urls.get(key)
    if urls is None:
        urls = (
            url_for("pwa.stylesheet", v=built.stylesheet_hash),
            [url_for("static", filename=name, v=built.fingerprints[name]) for name in SCRIPTS],
        )
        built.head_urls[key] = urls
    return urls


def static_url(name: str) -> str:
    """The URL of static file ``name`` with ``?v=<fingerprint of its content>``, which lets
    browsers keep it for a year (templates: ``static_url('vendor/...')``)."""
    built = shell()
    version = built.fingerprints.get(name) or built.other_fingerprints.get(name)
    if version is None:
        root = Path(current_app.static_folder or ROOT / "static")
        version = _digest((root / name).read_bytes())
        built.other_fingerprints[name] = version
    return url_for("static", filename=name, v=version)


def page_scripts(*names: str) -> str:
    """The value of ``data-scripts`` on an element that needs scripts of PAGE_SCRIPTS: their
    URLs, in PAGE_SCRIPTS' order (app.js loads them in order)."""
    unknown = set(names) - set(PAGE_SCRIPTS)
    if unknown:
        raise ValueError(f"not in PAGE_SCRIPTS: {sorted(unknown)}")
    return " ".join(static_url(name) for name in PAGE_SCRIPTS if name in names)


def precache_urls() -> list[str]:
    """What the service worker stores on install: what the page shell links, the scripts of the
    pages with a map, the territory's theme and manifest, and the icons the manifest names."""
    stylesheet, scripts = head_urls()
    return [
        stylesheet,
        *scripts,
        *(static_url(name) for name in PAGE_SCRIPTS),
        *(url_for(endpoint, **values) for endpoint, values in TERRITORY_SHELL),
    ]


def service_worker_script() -> str:
    """service-worker.js with this shell's URLs and version filled in."""
    source = _fill_once(shell().worker_source, SHELL_SLOT, json.dumps(precache_urls()))
    return _fill_once(source, VERSION_SLOT, json.dumps(shell().version))
