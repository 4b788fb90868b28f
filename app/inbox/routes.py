"""The in-app inbox: the list, one message, "mark everything read", and the header's badge."""

from __future__ import annotations

from flask import abort, flash, make_response, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.accounts.models import User
from app.extensions import API_LIMIT, limiter, person_key
from app.htmx import is_htmx, render, see_other, wants_fragment
from app.inbox import bp, services
from app.territories.context import current_territory


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _with_badge(response: Response) -> Response:
    """Append the unread badge as an out-of-band swap to an htmx response."""
    if is_htmx():
        badge = render_template("inbox/_badge.html", oob=True)
        response.set_data(response.get_data(as_text=True) + badge)
    return response


@bp.get("/me/inbox")
@login_required
def index() -> Response:
    items = services.inbox_items(_user())
    return render("inbox/inbox.html", "inbox/_inbox_list.html", items=items)


@bp.get("/me/inbox/<int:inbox_item_id>")
@login_required
def item(inbox_item_id: int) -> Response:
    found = services.inbox_item_of(_user(), inbox_item_id)
    if found is None or found.territory_id != current_territory().id:
        abort(404)
    services.open_inbox_item(found)
    response = render("inbox/item.html", "inbox/_inbox_item.html", item=found, opened=True)
    return _with_badge(response)


@bp.post("/me/inbox/read")
@login_required
def mark_all_read() -> Response:
    services.mark_all_read(_user())
    if wants_fragment():
        items = services.inbox_items(_user())
        return _with_badge(render("inbox/inbox.html", "inbox/_inbox_list.html", items=items))
    flash(_("Everything is marked read."), "success")
    return see_other("inbox.index")


@bp.get("/me/inbox/badge")
@login_required
@limiter.limit(API_LIMIT, key_func=person_key)
def badge() -> Response:
    """The unread badge alone, polled by the header."""
    response = make_response(render_template("inbox/_badge.html"))
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response


@bp.app_template_global()
def inbox_unread_count() -> int:
    """For the header's badge: the logged-in person's unread items (0 for anybody else)."""
    if not current_user.is_authenticated:
        return 0
    return services.unread_count(_user())
