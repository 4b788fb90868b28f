"""What an actor sees of its campaigns: progress, per-channel figures, charts — aggregates only,
floored and rounded, never a recipient's name, e-mail or phone."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from app.campaigns import services, stats
from app.campaigns.criteria import parse_criteria
from app.campaigns.models import Campaign, CampaignRun, Delivery
from app.campaigns.services import CampaignDraft, Schedule
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings
from tests.campaigns.conftest import Town, add_citizens
from tests.factories import login_as, make_campaign, make_run, make_user
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
    assert 'style="' not in html
    # One channel: delivered 30 and opened 11 are two figures to draw, clicks are under the floor.
    channel = _chart(html, "channel-chart")
    assert 'role="img"' in channel and "Messages per channel: delivered, opened, clicked: bar chart" in channel
    assert "In-app inbox · Delivered: 30" in channel and "In-app inbox · Clicked: fewer than 11" in channel
    assert 'class="chart-stub"' in channel  # the clicks: a dashed outline, not a bar of 0
    # Over time: everything happened in the first hour, and no sending is an hour old yet.
    timeline = _chart(html, "timeline-chart")
    assert "<svg" not in timeline and "Only one figure so far, too few for a chart: first hour · Opened, 11." in timeline
    assert _rows(timeline) == [
        ("first hour", ["11", "fewer than 11"]), ("1–6 h", ["not yet", "not yet"]),
        ("6–24 h", ["not yet", "not yet"]), ("1–3 days", ["not yet", "not yet"]),
        ("3–7 days", ["not yet", "not yet"]),
    ]
    assert 'hx-trigger="every 2s"' not in html  # done: no polling


def _chart(html: str, chart_id: str) -> str:
    found = re.search(rf'<figure class="chart" aria-labelledby="{chart_id}-title">.*?</figure>', html, re.S)
    assert found, f"no {chart_id} in the page"
    return found.group(0)


def _rows(chart: str) -> list[tuple[str, list[str]]]:
    return [(head, re.findall(r"<td>([^<]*)</td>", cells))
            for head, cells in re.findall(r'<tr><th scope="row">([^<]*)</th>(.*?)</tr>', chart)]


def test_results_over_time_are_released_in_coarse_buckets(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    add_citizens(town.territory, 60, hashtags=[town.bio])
    campaign = _send(town, ["inbox"])
    run = db.session.scalars(select(CampaignRun)).one()
    started = utcnow() - timedelta(days=2)
    run.started_at, run.status = started, "sent"
    inbox = list(db.session.scalars(select(Delivery.id).where(Delivery.channel == "inbox").order_by(Delivery.id)))
    db.session.execute(update(Delivery).where(Delivery.run_id == run.id).values(status="sent", sent_at=started))
    # Opens: 30 in the first hour, 20 between 1 and 6 hours, 2 the next day; clicks: 15 in the first hour.
    for ids, after in ((inbox[:30], timedelta(minutes=20)), (inbox[30:50], timedelta(hours=3)),
                       (inbox[50:52], timedelta(hours=30))):
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids)).values(opened_at=started + after))
    db.session.execute(update(Delivery).where(Delivery.id.in_(inbox[:15])).values(
        clicked_at=started + timedelta(minutes=30)))
    db.session.commit()

    login_as(client, town.editor, acting_actor=town.actor)
    html = client.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    timeline = _chart(html, "timeline-chart")
    assert _rows(timeline) == [
        ("first hour", ["30", "20"]), ("1–6 h", ["20", "fewer than 11"]),
        ("6–24 h", ["fewer than 11", "fewer than 11"]), ("1–3 days", ["fewer than 11", "fewer than 11"]),
        ("3–7 days", ["not yet", "not yet"]),
    ]
    assert 'role="img"' in timeline and "the highest is first hour · Opened, 30." in timeline
    assert "<title>first hour · Clicked: 20</title>" in timeline
    assert "<title>3–7 days · Opened: not yet</title>" in timeline
    channel = _chart(html, "channel-chart")
    assert _rows(channel) == [("In-app inbox", ["60", "50", "20"])]
    assert 'class="chart-table campaign-table"' in channel and "<details class=\"chart-numbers\" open>" in channel
    # The page's figures are releases: seen again in the same window, the same answers.
    assert client.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True).count("fewer than 11") == html.count(
        "fewer than 11")


def test_progress_polls_while_sending_and_stops_when_done(app, client, town: Town) -> None:  # type: ignore[no-untyped-def]
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
    steady = "It goes out at a steady pace"
    assert steady not in fragment  # the test app sends unpaced
    app.config["CAMPAIGN_SEND_RATE"] = 250
    fragment = client.get(
        f"/manage/campaigns/{campaign.id}/progress", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert steady in fragment  # paced: why it goes out over minutes
    campaign.is_alert = True
    db.session.commit()
    fragment = client.get(
        f"/manage/campaigns/{campaign.id}/progress", headers={"HX-Request": "true"}
    ).get_data(as_text=True)
    assert steady not in fragment  # a civic alert goes at once
    campaign.is_alert = False
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
    weekly = _chart(html, "weekly-chart")
    assert "Campaign messages delivered, last 12 weeks" in weekly
    cells = [cells[0] for _week, cells in _rows(weekly)]
    assert len(cells) == 12
    assert cells[-1] == "20" and cells[-4] == "fewer than 11"
    assert cells.count("fewer than 11") == 11
    # One week above the floor: a sentence, not a lone bar in an empty box.
    assert "<svg" not in weekly and "Only one figure so far, too few for a chart" in weekly
    # The latest campaign per channel: the campaign page's own releases.
    latest = _chart(html, "latest-campaign-chart")
    assert _rows(latest) == [("In-app inbox", ["30", "fewer than 11", "fewer than 11"])]
    campaign_page = client.get(f"/manage/campaigns/{run.campaign_id}").get_data(as_text=True)
    assert _rows(_chart(campaign_page, "channel-chart")) == _rows(latest)


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


def test_each_open_counts_from_the_start_of_its_own_sending(town: Town) -> None:
    """A weekly campaign: the opens of each run fall in the buckets of that run, and an open later
    than a week after its sending is in no bucket (it stays in the per-channel totals)."""
    people = add_citizens(town.territory, 40, hashtags=[town.bio])
    campaign = make_campaign(town.actor, schedule_kind="weekly", channels_csv="inbox")
    now = utcnow()
    first = make_run(campaign, scheduled_for=now - timedelta(days=10), started_at=now - timedelta(days=10))
    second = make_run(campaign, scheduled_for=now - timedelta(days=2), started_at=now - timedelta(days=2))
    for n, person in enumerate(people):
        # first run: 20 open after 30 minutes, 12 only after 8 days; second run: 20 after 30
        # minutes (9 days after the first run started), 15 after 2 hours
        late = timedelta(days=8) if n < 32 else None
        opened = timedelta(minutes=30) if n < 20 else timedelta(hours=2) if n < 35 else None
        db.session.add_all([
            Delivery(run_id=first.id, campaign_id=campaign.id, territory_id=campaign.territory_id,
                     user_id=person.id, channel="inbox", status="sent", sent_at=first.started_at,
                     opened_at=first.started_at + (timedelta(minutes=30) if n < 20 else late) if late else None),
            Delivery(run_id=second.id, campaign_id=campaign.id, territory_id=campaign.territory_id,
                     user_id=person.id, channel="inbox", status="sent", sent_at=second.started_at,
                     opened_at=second.started_at + opened if opened else None),
        ])
    db.session.commit()
    buckets = stats.timeline(campaign, town.territory, now)
    assert [b.opened.value for b in buckets] == [40, 20, None, None, None]
    assert all(b.opened.under_floor for b in buckets[2:])
    assert all(b.started for b in buckets)  # the first sending is ten days old
    [figures] = stats.channel_figures(campaign, town.territory, now)
    assert figures.opened.value == 70  # 32 + 35 opens, late ones included
