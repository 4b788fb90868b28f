"""Territory: one local app for a whole town.

``create_app`` builds the app from the core modules (this package's files) and the domains in
``DOMAINS``, each a package of its own (README: Layout). A domain's ``__init__.py`` holds only its
blueprint ``bp`` when it has pages; the factory imports its ``routes`` and registers it, and
imports its ``tasks`` when it has background work (``load_tasks``, also the worker's entry)."""

from __future__ import annotations

import logging
import os
import secrets
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from app import changes, fragments
from app.access_log import install_access_log, install_exception_log
from app.config import ROOT, Config
from app.extensions import babel, csrf, db, htmx_ext, limiter, login_manager
from app.htmx import is_htmx
from app.i18n import LANGUAGE_NAMES, fast_gettext, select_locale, select_timezone
from app.security import (
    VersionedStaticFiles,
    install_cache_policy,
    install_rate_limit_page,
    install_security_headers,
    static_file_headers,
)
from app.text import render_markdown, without_nul

# The domains, from the bottom layer up: a domain imports only from the core and from domains
# listed before it (the import contracts in .importlinter check it; README: Layout).
DOMAINS = (
    "territories", "legal", "accounts", "releases", "media", "pwa", "actors", "publications", "profiles",
    "feed", "syndication", "places", "notifications", "campaigns", "delivery", "inbox", "kiosks", "welcome",
    "privacy", "admin", "polls", "observatory", "reports", "imports", "api", "embed", "webhooks", "opendata", "audit",
)


def _domain_module(domain: str, name: str) -> Any | None:
    """``app.<domain>.<name>`` imported, or None when the domain has no such module."""
    dotted = f"app.{domain}.{name}"
    return import_module(dotted) if find_spec(dotted) is not None else None


def load_tasks() -> None:
    """Import every domain's ``tasks``: their tasks (periodic ones too) register on the queue."""
    for domain in DOMAINS:
        _domain_module(domain, "tasks")


def _register_domains(app: Flask) -> None:
    """Each domain's tables (``models``: the metadata then knows every table, which the account
    erasure relies on), pages (``routes`` on its blueprint) and background work (``tasks``)."""
    for domain in DOMAINS:
        _domain_module(domain, "models")
        if _domain_module(domain, "routes") is not None:
            app.register_blueprint(import_module(f"app.{domain}").bp)
    load_tasks()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(Config.INSTANCE_DIR),
    )
    app.jinja_environment = fragments.Environment  # before anything makes app.jinja_env
    app.config.from_object(Config)
    if test_config:
        app.config.from_mapping(test_config)
    _finish_config(app)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one INFO line per plug-in otherwise
    db.init_app(app)
    assert db.engine is not None
    changes.register_stamp(str(db.engine.url), app.config["INSTANCE_DIR"])
    # Many machines on one database: they share which data changed through Redis.
    changes.register_shared(str(db.engine.url), app.config["REDIS_URL"] if db.engine.dialect.name != "sqlite" else "")
    app.before_request(changes.begin_request)  # first: before anything reads a version
    app.teardown_request(changes.end_request)
    csrf.init_app(app)
    htmx_ext.init_app(app)
    app.request_class = without_nul(app.request_class)  # form fields without NUL characters
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = None  # our server-side sessions do better
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(ROOT / "translations"),
    )

    _install_fast_gettext(app)
    # The domains are imported here, when an app is built, not when this package is: the core
    # modules (app.config, app.geo...) stay cheap to import on their own.
    from app.accounts import sessions
    from app.territories.context import resolve_territory

    login_manager.user_loader(sessions.load_user)
    app.before_request(resolve_territory)
    _register_domains(app)
    _plug_domains()
    install_security_headers(app)
    install_cache_policy(app)
    install_rate_limit_page(app)
    _install_template_context(app)
    fragments.install(app)
    _install_error_pages(app)
    install_exception_log(app)
    from app.cli import register_cli

    register_cli(app)

    app.wsgi_app = VersionedStaticFiles(  # type: ignore[method-assign]
        app.wsgi_app, root=str(ROOT / "static"), prefix="static/", max_age=3600,
        add_headers_function=static_file_headers,
    )
    if app.config["BEHIND_HTTPS_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    if app.config["ACCESS_LOG"]:
        install_access_log(app)  # by the route's rule: a path can hold a token
    return app


def warm_up(app: Flask) -> None:
    """Do once, as a web process starts, what its first pages would otherwise do while the
    requests behind them wait: each language's translations and CLDR data (babel reads them on
    the first date it formats: 125 ms for the first "Everything" page) and every template
    compiled (50 ms more for that page; 200 ms at most over a process's first pages). gunicorn
    calls it (gunicorn_config.py) before the worker takes its first request."""
    from flask_babel import (
        force_locale,
        format_date,
        format_datetime,
        format_time,
        get_translations,
    )

    from app.models_common import utcnow

    now = utcnow()
    with app.test_request_context():
        for code in LANGUAGE_NAMES:
            with force_locale(code):
                get_translations()
                for form in ("short", "medium", "long", "full"):
                    format_date(now, form)
                    format_time(now, form)
                    format_datetime(now, form)
    for name in app.jinja_env.list_templates(extensions=("html", "txt", "xml", "js", "json")):
        app.jinja_env.get_template(name)


def _plug_domains() -> None:
    """Where a lower domain hands work to a higher one: campaigns decide when an occurrence
    starts, the delivery engine (a layer above) starts it; a media is as visible as the
    publication or the actor that shows it."""
    from app.actors.permissions import picture_uses
    from app.campaigns.services import use_run_starter
    from app.delivery.runs import start_run
    from app.media.services import use_media_finder
    from app.publications.permissions import image_uses
    from app.reports.permissions_agents import photo_uses
    from app.webhooks.events import listen_to_domains

    use_run_starter(start_run)
    use_media_finder("actors", picture_uses)
    use_media_finder("publications", image_uses)
    use_media_finder("report_photos", photo_uses)
    listen_to_domains()  # webhooks hear publications, reports (app.webhooks.events)


def _finish_config(app: Flask) -> None:
    instance = Path(app.config["INSTANCE_DIR"])
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            os.chmod(key_file, 0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    if not app.config.get("SQLALCHEMY_URL"):
        app.config["SQLALCHEMY_URL"] = app.config["DATABASE_URL"] or f"sqlite:///{instance / 'territory.db'}"
    url = app.config["SQLALCHEMY_URL"]
    if url.startswith("postgres://") or url.startswith("postgresql://"):
        app.config["SQLALCHEMY_URL"] = "postgresql+psycopg://" + url.split("://", 1)[1]


def _install_fast_gettext(app: Flask) -> None:
    """Templates' ``_()``: flask_babel's, without looking the translations up at every string."""
    from flask_babel import get_translations

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=fast_gettext,
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: get_translations().unpgettext(c, s, p, n),
    )


def _install_template_context(app: Flask) -> None:
    from flask_babel import get_locale

    from app.actors.roles import acting_actor, memberships
    from app.models_common import utcnow
    from app.releases.floor import anonymity_floor

    @app.context_processor
    def _shell_context() -> dict[str, Any]:
        territory = getattr(g, "territory", None)
        return {
            "territory": territory,
            "acting_actor": acting_actor() if territory is not None else None,
            "my_memberships": memberships() if territory is not None else [],
            "current_locale": str(get_locale()),
            "language_names": LANGUAGE_NAMES,
        }

    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["url_for"] = _memoized_url_for(app)
    app.jinja_env.filters["reject_none"] = lambda mapping: {k: v for k, v in mapping.items() if v is not None}
    # Every count of people a template shows is a release (app.releases.engine.Released).
    app.jinja_env.globals["anonymity_floor"] = anonymity_floor
    # When a page was drawn: a saved copy shown offline says how old it is (service-worker.js).
    app.jinja_env.globals["rendered_at"] = utcnow

    app.jinja_env.filters["markdown"] = render_markdown


def _memoized_url_for(app: Flask) -> Any:
    """Templates' ``url_for``: the same URLs, each built once per host and script root (a page
    links to some twenty URLs that are the same on every request: the shell's). Relative
    endpoints (".name"), options (``_external``...) and calls outside a request are built
    every time."""
    from flask import has_request_context

    build = app.url_for
    built: dict[tuple[Any, ...], str] = {}

    def url_for(endpoint: str, **values: Any) -> str:
        if endpoint[:1] == "." or not has_request_context() or any(k[:1] == "_" for k in values):
            return build(endpoint, **values)
        environ = request.environ
        key = (environ.get("HTTP_HOST"), environ.get("SCRIPT_NAME"), endpoint, *values.items())
        try:
            url = built.get(key)
        except TypeError:  # an unhashable value
            return build(endpoint, **values)
        if url is None:
            url = build(endpoint, **values)
            if len(built) >= 8192:
                built.clear()
            built[key] = url
        return url

    return url_for


def _install_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        code = error.code or 500
        if getattr(g, "territory", None) is None and request.path.startswith("/static/"):
            return error
        template = "errors/_error.html" if is_htmx() else "errors/error.html"
        try:
            body = render_template(template, code=code, error=error)
        except Exception:  # the error page itself must never fail (e.g. unknown host)
            body = f"<!doctype html><title>{code}</title><h1>{code}</h1>"
        response = app.make_response((body, code))  # (a 429 has its own: app.security)
        response.vary.add("HX-Request")
        return response

    @app.errorhandler(500)
    def _server_error(error: Exception) -> Any:
        db.session.rollback()
        template = "errors/_error.html" if is_htmx() else "errors/error.html"
        try:
            body = render_template(template, code=500, error=error)
        except Exception:
            body = "<!doctype html><title>500</title><h1>500</h1>"
        return body, 500
