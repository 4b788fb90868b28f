"""What an actor sees of its campaigns: progress, per-channel figures, charts — aggregates only,
floored and rounded, never a recipient's name, e-mail or phone."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from app.campaigns import services
from app.campaigns.criteria import parse_criteria
from app.campaigns.models import Campaign, CampaignRun, Delivery
from app.campaigns.services import CampaignDraft, Schedule
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings
from tests.campaigns.conftest import Town, add_citizens
from tests.factories import login_as, make_user
from tests.support.csrf import csrf_token

MARKER = "zqxmarker"


def _send(town: Town, channels: list[str]) -> Campaign:
    criteria = parse_criteria({"rules": [{"kind": "hashtags", "ids": [town.bio.id]}]}, town.territory)
    draft = CampaignDraft(
        title="Pain bio", body="Fresh bread.", publication_id=None, criteria=criteria,
        channels=channels, schedule=Schedule(kind="now"),
    )
    campaign = services.save_campaign(town.actor, town.editor.id, draft)
    services.schedule_campaign(campaign)
    return campaign


def test_figures_are_floored_and_rounded(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    add_citizens(town.territory, 25, hashtags=[town.bio])
    campaign = _send(town, ["inbox"])
    run = db.session.scalars(select(CampaignRun)).one()
    # whatever the workers did, make the outcome known: all delivered, 12 opened, 3 clicked
    ids = list(db.session.scalars(select(Delivery.id).where(Delivery.run_id == run.id).order_by(Delivery.id)))
    assert len(ids) == 25
    now = utcnow()
    db.session.execute(update(Delivery).where(Delivery.run_id == run.id).values(status="sent", sent_at=now))
    db.session.execute(update(Delivery).where(Delivery.id.in_(ids[:12])).values(opened_at=now))
    db.session.execute(update(Delivery).where(Delivery.id.in_(ids[:3])).values(clicked_at=now))
    run.status = "sent"
    db.session.commit()

    login_as(client, town.editor, acting_actor=town.actor)
    html = client.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    row = re.search(r"<tr><th scope=\"row\">In-app inbox</th>(.*?)</tr>", html)
    assert row, html
    assert re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["30", "11", "fewer than 11"]
    assert "<svg" in html and 'class="chart-bar chart-delivered"' in html and 'style="' not in html
    assert 'hx-trigger="every 2s"' not in html  # done: no polling


def test_progress_polls_while_sending_and_stops_when_done(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    add_citizens(town.territory, 12, hashtags=[town.bio])
    campaign = _send(town, ["inbox"])
    run = db.session.scalars(select(CampaignRun)).one()
    db.session.execute(update(Delivery).where(Delivery.run_id == run.id).values(status="queued", sent_at=None))
    run.status = "sending"
    db.session.commit()
    login_as(client, town.editor, acting_actor=town.actor)
    fragment = client.get(
        f"/manage/campaigns/{campaign.id}/progress", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" not in fragment and "<progress" in fragment and 'value="0"' in fragment
    assert 'hx-trigger="every 2s"' in fragment
    db.session.execute(update(Delivery).where(Delivery.run_id == run.id).values(status="sent", sent_at=utcnow()))
    run.status = "sent"
    db.session.commit()
    fragment = client.get(
        f"/manage/campaigns/{campaign.id}/progress", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert 'value="100"' in fragment and "hx-trigger" not in fragment and "12" not in fragment
    # While it sends the progress shows the share done, never a count of people: the figures
    # are released once per statistics window, so that one person's open cannot be timed.
    assert "100 % done" in fragment and "11" not in fragment


def test_dashboard_charts_messages_per_week(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    add_citizens(town.territory, 30, hashtags=[town.bio])
    _send(town, ["inbox"])
    run = db.session.scalars(select(CampaignRun)).one()
    ids = list(db.session.scalars(select(Delivery.id).where(Delivery.run_id == run.id)))
    now = utcnow()
    db.session.execute(update(Delivery).where(Delivery.id.in_(ids[:24])).values(status="sent", sent_at=now))
    db.session.execute(
        update(Delivery).where(Delivery.id.in_(ids[24:])).values(status="sent", sent_at=now - timedelta(weeks=3))
    )
    db.session.commit()
    login_as(client, town.editor, acting_actor=town.actor)
    html = client.get("/manage").get_data(as_text=True)
    assert "Campaign messages delivered" in html and "<svg" in html
    cells = re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td></tr>", html)
    assert len(cells) == 12
    assert cells[-1] == "20" and cells[-4] == "fewer than 11"
    assert cells.count("fewer than 11") == 11


def test_actor_pages_never_show_who_received(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    people = add_citizens(town.territory, 14, hashtags=[town.bio], name_prefix=f"{MARKER}Name")
    for n, person in enumerate(people):
        person.email = f"{MARKER}{n}@example.org"
        db.session.add(NotificationSettings(user_id=person.id, phone=f"+3361234{n:04d}", sms_enabled=True))
    db.session.commit()
    # one of them is also an editor of another actor, to tempt any "who" listing
    make_user(town.territory, f"{MARKER}editor@example.org", display_name=f"{MARKER} Editor")
    campaign = _send(town, ["inbox", "email", "sms"])
    weekly = _send(town, ["inbox"])
    weekly.schedule_kind = "weekly"
    weekly.repeat_weekday, weekly.repeat_time = 4, "09:00"
    db.session.commit()

    login_as(client, town.editor, acting_actor=town.actor)
    token = csrf_token(client, "/manage/campaigns")
    pages = [
        client.get("/manage"),
        client.get("/manage/campaigns"),
        client.get(f"/manage/campaigns/{campaign.id}"),
        client.get(f"/manage/campaigns/{campaign.id}/progress", headers={"HX-Request": "true"}),
        client.get(f"/manage/campaigns/{weekly.id}"),
        client.get("/manage/campaigns/new"),
        client.post("/manage/campaigns/estimate", data={"hashtags": [str(town.bio.id)]},
                    headers={"HX-Request": "true", "X-CSRFToken": token}),
    ]
    for response in pages:
        html = response.get_data(as_text=True).lower()
        assert response.status_code == 200
        assert MARKER not in html
        assert "+3361234" not in html and "@example.org" not in html.replace(town.editor.email.lower(), "")
