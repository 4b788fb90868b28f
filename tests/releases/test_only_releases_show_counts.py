"""No count of people reaches a page except through the release engine.

1. The templates: every expression a template prints that names a count of people (followers,
   an audience, delivered / opened / clicked, citizens, presence, reach) is one of the known
   released values; nothing formats a raw count, and the old helpers are gone.
2. The views: rendering the pages that show counts (an actor's page and dashboard, the estimate,
   a campaign's page, the town's overview), each of those values is a ``Released`` (or text made
   from one), never an int; and the exact counts set up here appear on no page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import template_rendered
from flask.testing import FlaskClient

from app.campaigns.audience import AudienceEstimate
from app.campaigns.stats import METRICS, ChannelFigures, Week, released_point
from app.releases.engine import Released
from tests.campaigns.conftest import Town, add_citizens
from tests.factories import login_as, make_follow, make_user

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PEOPLE_WORDS = re.compile(r"follower|audience|deliver|opened|clicked|citizen|present|reach|shown|released")
# What a template may print that names a count of people: each is a Released, or text made by
# one (``str(released)``), as test_views_hand_templates_only_releases checks.
RELEASED_EXPRESSIONS = {
    "followers", "followers.value", "followers.floor",  # actors/_follower_count, dashboard
    "audience.count_shown", "audience",  # campaigns/_estimate (str of a Released), the runs list
    "f.delivered", "f.opened", "f.clicked",  # campaigns/show: a ChannelFigures' releases
    "bar.shown", "week.released",  # the charts: str of a Released
    "overview.citizens", "overview.followers",  # admin/index
}
# Printed expressions that name those words but are no count of people (form fields, the
# person's own records in the privacy centre, a shop's note on its delivery service).
NOT_COUNTS = re.compile(r"^((field|radios|checkboxes)\(form\.|form\.present_zone|_\(|ngettext\(\"%\(num\)d deliver|actor\.delivery_note)")


def _printed_expressions() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for expression in re.findall(r"\{\{\s*(.*?)\s*\}\}", text, flags=re.S):
            if PEOPLE_WORDS.search(expression) and not NOT_COUNTS.match(expression):
                found.setdefault(expression, set()).add(str(path.relative_to(TEMPLATES)))
    return found


def _names(expression: str) -> set[str]:
    """The dotted names an expression prints (the arguments of ngettext included; the words of
    its strings are no names)."""
    code = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', "''", expression)
    return {name for name in re.findall(r"[A-Za-z_][\w.]*", code) if PEOPLE_WORDS.search(name)}


def test_templates_print_counts_of_people_only_as_releases() -> None:
    printed = _printed_expressions()
    assert printed, "the scan found nothing: the patterns are wrong"
    for expression, where in printed.items():
        unknown = _names(expression) - RELEASED_EXPRESSIONS
        assert not unknown, f"{sorted(where)} prints {expression!r}: {unknown} is no release"
    every_template = re.sub(r"\{%\s*include[^%]*%\}", "", "".join(
        p.read_text(encoding="utf-8") for p in TEMPLATES.rglob("*.html")))
    for gone in ("shown_count(", "visible_count(", "audience_size", "follower_count", "count_label("):
        assert gone not in every_template, gone


def _released_text(value: Any) -> bool:
    return isinstance(value, Released)


def test_views_hand_templates_only_releases(app, client: FlaskClient, town: Town) -> None:  # type: ignore[no-untyped-def]
    followers = add_citizens(town.territory, 37, hashtags=[town.bio])  # 37: an exact count to look for
    for person in followers:
        make_follow(person, town.actor)
    rendered: list[tuple[str, dict[str, Any]]] = []

    def record(_sender: Any, template: Any, context: dict[str, Any], **_extra: Any) -> None:
        rendered.append((template.name, dict(context)))

    template_rendered.connect(record, app)
    try:
        pages = [client.get(f"/actors/{town.actor.slug}").get_data(as_text=True)]
        login_as(client, town.editor, acting_actor=town.actor)
        pages.append(client.get("/manage").get_data(as_text=True))
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', pages[-1]).group(1)
        pages.append(client.post("/manage/campaigns/estimate", data={"hashtags": [str(town.bio.id)]},
                                 headers={"HX-Request": "true", "X-CSRFToken": token}).get_data(as_text=True))
        sent = client.post("/manage/campaigns/new", data={
            "csrf_token": token, "title": "Pain bio", "body": "Ce matin.", "link": "page",
            "channels": ["inbox"], "when": "now", "action": "send", "hashtags": [str(town.bio.id)],
        })
        assert sent.status_code == 303
        pages.append(client.get(sent.headers["Location"]).get_data(as_text=True))
        admin = make_user(town.territory, is_admin=True)
        login_as(client, admin)
        pages.append(client.get("/admin").get_data(as_text=True))
    finally:
        template_rendered.disconnect(record, app)

    seen = {name: context for name, context in rendered}
    assert {"actors/page.html", "actors/dashboard.html", "campaigns/_estimate.html",
            "campaigns/show.html", "admin/index.html"} <= set(seen)
    assert _released_text(seen["actors/page.html"]["followers"])
    assert _released_text(seen["actors/dashboard.html"]["followers"])
    weeks = seen["actors/dashboard.html"]["campaign_weeks"]
    assert weeks and all(isinstance(w, Week) and _released_text(w.released) for w in weeks)
    assert isinstance(seen["campaigns/_estimate.html"]["audience"], AudienceEstimate)
    figures = seen["campaigns/show.html"]["figures"]
    assert figures and all(isinstance(f, ChannelFigures) for f in figures)
    assert all(_released_text(getattr(f, m)) for f in figures for m in ("delivered", "opened", "clicked"))
    assert all(audience is None or _released_text(audience) for _run, audience in seen["campaigns/show.html"]["runs"])
    # The charts draw and tabulate those releases and nothing else.
    charted = [(seen["campaigns/show.html"]["channel_chart"], [getattr(f, m) for f in figures for m in METRICS]),
               (seen["actors/dashboard.html"]["campaign_chart"], [w.released for w in weeks])]
    for chart, releases in charted:
        points = {released_point(r) for r in releases}
        assert {p for s in chart.series for p in s.points} <= points
        assert {cell for row in chart.rows for cell in row.cells} <= {p.shown for p in points}
    overview = seen["admin/index.html"]["overview"]
    assert _released_text(overview.citizens) and _released_text(overview.followers)
    # The exact counts set up here (37 followers and #bio people; 37 + 2 accounts) show nowhere.
    for html in pages:
        text = re.sub(r"<[^>]+>", " ", html)
        assert not re.search(r"(?<![\d:.,/-])3[79](?![\d:.,/-])", text), "an exact count reached a page"


def test_a_released_count_reads_as_the_readers_language_writes_numbers(app: Any) -> None:
    """1 200 in French (a narrow no-break space), 1.200 in Dutch, 1,200 in English."""
    from flask_babel import force_locale

    released = Released(value=1200, floor=11)
    with app.test_request_context("/"):
        with force_locale("fr"):
            assert str(released) == "1\u202f200"
        with force_locale("nl"):
            assert str(released) == "1.200"
        with force_locale("en"):
            assert str(released) == "1,200"
            assert str(Released(value=None, floor=11)) == "fewer than 11"
