"""The access log: one line per request naming the route by its rule, never by its path.

A path can be a secret (``/verify/<token>``, ``/password/reset/<token>``, ``/unsubscribe/<token>``,
``/n/open/<token>``, ``/r/<token>``, ``/kiosk/<token>``, ``/invitations/<token>``...) and a query
string can hold anything, while an access log is read by operators and shipped to log services.
So the app logs each request itself (logger ``app.access``): the method, the rule of the route
that answered (``/verify/<token>``), the status, the size and the time taken; no query string, no
address, no referrer. A path no route matched is logged as ``-``, a static file that WhiteNoise
served (before Flask) by its path. gunicorn's own access log, which writes the raw path, stays
off (``make run``; README: Scaling out). The line Flask logs for an unhandled error names the
rule too (``install_exception_log``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request, request_started

ACCESS_LOGGER = "app.access"
_RULE = "territory.access_rule"  # the environ key where the matched rule is left for the log

log = logging.getLogger(ACCESS_LOGGER)


def request_rule() -> str:
    """The rule of the route answering the current request (``/verify/<token>``), else ``-``."""
    rule = request.url_rule
    return rule.rule if rule is not None else "-"


def _note_rule(app: Flask, **_extra: Any) -> None:
    """When Flask starts a request (its route already matched): keep the rule for the log."""
    request.environ[_RULE] = request_rule()


def logged_route(environ: dict[str, Any]) -> str:
    """What the log says of the request's path: the rule, never the path itself."""
    if _RULE in environ:
        return str(environ[_RULE])
    path = environ.get("PATH_INFO", "")
    # Flask never saw the request: WhiteNoise served one of the public static files.
    return path if path.startswith("/static/") else "-"


def install_access_log(app: Flask) -> None:
    """Wrap the app (outermost, after WhiteNoise and ProxyFix) in the access log."""
    request_started.connect(_note_rule, app)
    inner = app.wsgi_app

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        answer: list[str] = ["-", "-"]

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[0] = status.split(" ", 1)[0]
            answer[1] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, exc_info)

        try:
            return inner(environ, start)
        finally:
            log.info(
                '"%s %s" %s %s %dms',
                environ.get("REQUEST_METHOD", "-"),
                logged_route(environ),
                answer[0],
                answer[1],
                (time.perf_counter() - started) * 1000,
            )

    app.wsgi_app = wsgi  # type: ignore[method-assign]


def install_exception_log(app: Flask) -> None:
    """Flask logs an unhandled error as "Exception on <path>": the rule instead of the path."""

    def log_exception(exc_info: Any) -> None:
        app.logger.error("Exception on %s [%s]", request_rule(), request.method, exc_info=exc_info)

    app.log_exception = log_exception  # type: ignore[method-assign]
