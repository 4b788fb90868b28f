"""The in-app inbox: the list, one message, "mark everything read", and the header's badge."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.accounts.models import AuthSession, User
from app.accounts.sessions import fresh_session_value, session_flag
from app.delivery.models import InboxItem
from app.extensions import API_LIMIT, limiter, person_key
from app.htmx import render, render_fragment, see_other, wants_fragment, with_oob
from app.inbox import bp, services
from app.inbox.permissions import own_item_or_404

bp.add_app_template_global(services.digest_actors, "digest_actors")


def _user() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.get("/me/inbox")
@login_required
def index() -> Response:
    items = services.inbox_items(_user())
    return render("inbox/inbox.html", "inbox/_inbox_list.html", items=items)


@bp.get("/me/inbox/<int:inbox_item_id>")
@login_required
def item(inbox_item_id: int) -> Response:
    found = own_item_or_404(inbox_item_id)
    services.open_inbox_item(found)
    response = render("inbox/item.html", "inbox/_inbox_item.html", item=found, opened=True)
    return with_oob(response, "inbox/_badge.html")


@bp.post("/me/inbox/read")
@login_required
def mark_all_read() -> Response:
    services.mark_all_read(_user())
    if not wants_fragment():
        flash(_("Everything is marked read."), "success")
        return see_other("inbox.index")
    response = render_fragment("inbox/_inbox_list.html", items=services.inbox_items(_user()))
    return with_oob(response, "inbox/_badge.html")


@bp.get("/me/inbox/badge")
@login_required
@limiter.limit(API_LIMIT, key_func=person_key)
def badge() -> Response:
    """The unread badge alone, polled by the header."""
    response = render_fragment("inbox/_badge.html")
    response.headers["Cache-Control"] = "no-store"
    return response


@session_flag("_unread_count", convert=int, watch="inbox")
def _unread_with_the_session() -> Any:
    """Read with the session (app.accounts.sessions): every page's header shows the count,
    without a query of its own unless an inbox was written since."""
    return (
        select(func.count())
        .select_from(InboxItem)
        .where(InboxItem.user_id == AuthSession.user_id, InboxItem.read_at.is_(None))
        .scalar_subquery()
    )


@bp.app_template_global()
def inbox_unread_count() -> int:
    """For the header's badge: the logged-in person's unread items (0 for anybody else)."""
    if not current_user.is_authenticated:
        return 0
    user = _user()
    return int(fresh_session_value(user, "_unread_count", lambda: services.unread_count(user)))
