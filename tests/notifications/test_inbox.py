"""The in-app inbox: newest first, opened items marked read (and their delivery's open
recorded once), mark all read, and the header's unread badge swapped out of band."""

from __future__ import annotations

import re
from datetime import timedelta

from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from tests.factories import login_as, make_actor, make_campaign, make_delivery, make_run, make_user
from tests.support.csrf import csrf_token


def _item(user, title, minutes_ago=0, **fields):  # type: ignore[no-untyped-def]
    item = InboxItem(
        user_id=user.id,
        territory_id=user.territory_id,
        title=title,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        **fields,
    )
    db.session.add(item)
    db.session.commit()
    return item


def _badge(html: str) -> str:
    match = re.search(r'<a id="inbox-link".*?</a>', html, re.S)
    assert match, "the header shows the inbox link"
    return match.group(0)


def test_the_inbox_lists_the_persons_items_newest_first(logged_in, citizen, territory):
    _item(citizen, "Old news", minutes_ago=60)
    _item(citizen, "Fresh bread", minutes_ago=1)
    _item(citizen, "Held back today", minutes_ago=30, kind="digest", body="Boulangerie: Fresh bread")
    somebody = make_user(territory, "other@example.org")
    _item(somebody, "Not for Léa")

    html = logged_in.get("/me/inbox").get_data(as_text=True)

    assert html.index("Fresh bread") < html.index("Held back today") < html.index("Old news")
    assert "Not for Léa" not in html
    assert "Daily digest" in html


def test_the_header_badge_counts_unread_items_and_polls_when_logged_in(logged_in, citizen, client):
    _item(citizen, "One")
    _item(citizen, "Two")
    badge = _badge(logged_in.get("/actors").get_data(as_text=True))
    assert ">2<" in badge.replace(" ", "") or "2<span" in badge
    assert 'hx-trigger="every 60s"' in badge and 'hx-get="/me/inbox/badge"' in badge


def test_the_header_has_no_badge_for_anonymous_visitors(client, territory):
    assert 'id="inbox-link"' not in client.get("/actors").get_data(as_text=True)


def test_opening_an_item_marks_it_read_and_swaps_the_badge_out_of_band(logged_in, citizen, territory):
    actor = make_actor(territory, "Boulangerie")
    run = make_run(make_campaign(actor))
    delivery = make_delivery(run, citizen, "inbox")
    item = _item(citizen, "Fresh bread", body="Come early.", delivery_id=delivery.id, url="/actors/boulangerie")
    _item(citizen, "Another")

    response = logged_in.get(f"/me/inbox/{item.id}", headers={"HX-Request": "true"})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Come early." in html and 'href="/actors/boulangerie"' in html
    oob = re.search(r'<a id="inbox-link"[^>]*hx-swap-oob="true"[^>]*>.*?</a>', html, re.S)
    assert oob and "1" in oob.group(0)
    db.session.refresh(item)
    db.session.refresh(delivery)
    assert item.read_at is not None and delivery.opened_at is not None
    first_open = delivery.opened_at

    logged_in.get(f"/me/inbox/{item.id}")
    db.session.refresh(delivery)
    assert delivery.opened_at == first_open  # recorded once


def test_an_item_opens_as_a_page_without_javascript(logged_in, citizen):
    item = _item(citizen, "Fresh bread", body="Come early.")
    response = logged_in.get(f"/me/inbox/{item.id}")
    assert response.status_code == 200 and "<html" in response.get_data(as_text=True)


def test_marking_all_read_empties_the_badge(logged_in, citizen):
    _item(citizen, "One")
    _item(citizen, "Two")
    token = csrf_token(logged_in, "/me/notifications")

    response = logged_in.post("/me/inbox/read", headers={"HX-Request": "true", "X-CSRFToken": token})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    oob = re.search(r'<a id="inbox-link"[^>]*hx-swap-oob="true"[^>]*>.*?</a>', html, re.S)
    assert oob and 'class="unread-count"' not in oob.group(0)
    assert db.session.query(InboxItem).filter(InboxItem.read_at.is_(None)).count() == 0


def test_marking_all_read_without_javascript_redirects_to_the_inbox(logged_in, citizen):
    _item(citizen, "One")
    response = logged_in.post("/me/inbox/read", data={"csrf_token": csrf_token(logged_in, "/me/notifications")})
    assert response.status_code == 303 and response.headers["Location"].endswith("/me/inbox")


def test_the_badge_fragment_alone(logged_in, citizen):
    _item(citizen, "One")
    response = logged_in.get("/me/inbox/badge", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and 'class="unread-count"' in html
    assert response.headers["Cache-Control"] == "no-store"


def test_another_persons_item_is_not_found(app, logged_in, territory):
    somebody = make_user(territory, "other@example.org")
    theirs = _item(somebody, "Private")
    assert logged_in.get(f"/me/inbox/{theirs.id}").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None
    other = app.test_client()
    login_as(other, somebody)
    assert other.get(f"/me/inbox/{theirs.id}").status_code == 200
