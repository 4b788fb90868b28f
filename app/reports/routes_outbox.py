"""Street reports made without network (static/js/reports-outbox.js keeps them on the phone):
what the phone needs to send them once the connection returns.

The CSRF token in the form page the phone kept may be long expired when the report leaves, so
the sender asks here for the session's token just before it posts; the post to
``/reports/new`` is then checked as any other (CSRF stays enforced). ``owner`` is an opaque
name of the logged-in person on this site: the phone sends only the reports its owner kept,
never one kept by someone else who used the same phone before."""

from __future__ import annotations

from flask import jsonify
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from app.extensions import API_LIMIT, limiter, person_key
from app.reports import bp
from app.reports.services import outbox_owner


@bp.get("/reports/outbox-token")
@limiter.limit(API_LIMIT, key_func=person_key)
@login_required
def outbox_token() -> Response:
    response = jsonify(csrf_token=generate_csrf(), owner=outbox_owner(current_user.id))
    response.headers["Cache-Control"] = "private, no-store"
    return response
