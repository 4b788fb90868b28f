"""The town's "open now": shops and services open at this moment, from their opening hours and
their exceptions, on a list (no JavaScript needed) and a map."""

from __future__ import annotations

from flask import request
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.actors import bp, hours
from app.actors.forms import kind_choices
from app.extensions import db
from app.htmx import render
from app.models_common import utcnow
from app.territories.context import current_territory
from app.territories.models import Hashtag
from app.territories.services import active_hashtags


@bp.get("/open-now")
def open_now() -> Response:
    territory = current_territory()
    kinds = kind_choices()
    kind = request.args.get("kind", "")
    kind = kind if kind in {value for value, _label in kinds} else ""
    tag = (request.args.get("tag") or "").strip().lower()
    hashtag = db.session.scalar(select(Hashtag).where(
        Hashtag.territory_id == territory.id, Hashtag.tag == tag)) if tag else None
    now = utcnow()
    open_list, later = hours.open_now(territory, now, kind, hashtag.id if hashtag else None)
    return render(
        "actors/open_now.html", "actors/_open_now_list.html",
        open_list=open_list, later=later, kinds=kinds, kind=kind, hashtag=hashtag,
        hashtags=active_hashtags(territory), now=now,
    )
