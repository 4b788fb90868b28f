"""The actor's campaign pages: the form, its estimate, its errors, sending, and who may not."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.campaigns.models import Campaign, CampaignRun, Delivery
from app.extensions import db
from app.models_common import utcnow
from tests.campaigns.conftest import Town, add_citizens
from tests.factories import login_as, make_actor, make_member, make_publication, make_user
from tests.support.csrf import csrf_token


def _form(town: Town, token: str, **fields) -> dict:  # type: ignore[no-untyped-def,type-arg]
    data = {
        "csrf_token": token,
        "title": "Pain bio",
        "body": "Fresh organic bread this Saturday.",
        "link": "page",
        "hashtags": [str(town.bio.id)],
        "hashtag_mode": "any",
        "channels": ["inbox"],
        "when": "now",
        "action": "send",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def _login(client, town: Town) -> str:  # type: ignore[no-untyped-def]
    login_as(client, town.editor, acting_actor=town.actor)
    return csrf_token(client, "/manage/campaigns/new")


def test_form_shows_criteria_as_a_sentence(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    _login(client, town)
    html = client.get("/manage/campaigns/new").get_data(as_text=True)
    assert "People who…" in html and "AND" in html
    assert "#bio" in html and "Port" in html and "follow this actor" in html
    assert 'hx-post="/manage/campaigns/estimate"' in html and 'hx-trigger="change"' in html
    assert "Civic alert" not in html  # a merchant
    assert 'style="' not in html and "<script>" not in html


def test_estimate_updates_through_htmx_with_the_csrf_header(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    add_citizens(town.territory, 24, hashtags=[town.bio])
    add_citizens(town.territory, 5, hashtags=[town.theatre])
    headers = {"HX-Request": "true", "X-CSRFToken": token}
    response = client.post(
        "/manage/campaigns/estimate", data={"hashtags": [str(town.bio.id)]}, headers=headers
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="audience"' in html and "<strong>20</strong>" in html and "<html" not in html
    assert "disabled" not in html
    small = client.post(
        "/manage/campaigns/estimate", data={"hashtags": [str(town.theatre.id)]}, headers=headers
    ).get_data(as_text=True)
    assert "fewer than 11" in small and "disabled" in small
    # without the CSRF token, refused
    assert client.post(
        "/manage/campaigns/estimate", data={"hashtags": [str(town.bio.id)]}, headers={"HX-Request": "true"}
    ).status_code == 400


def test_estimate_of_an_unknown_hashtag_is_an_error(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    response = client.post(
        "/manage/campaigns/estimate", data={"hashtags": ["999999"]},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    assert response.status_code == 422
    assert "not in the town&#39;s catalogue" in response.get_data(as_text=True)


def test_sending_now_creates_a_run_for_the_audience(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    add_citizens(town.territory, 12, hashtags=[town.bio])
    response = client.post("/manage/campaigns/new", data=_form(town, token))
    assert response.status_code == 303
    campaign = db.session.scalars(select(Campaign)).one()
    assert response.headers["Location"].endswith(f"/manage/campaigns/{campaign.id}")
    run = db.session.scalars(select(CampaignRun)).one()
    assert run.status in ("sending", "sent") and run.audience_size == 12
    assert db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.run_id == run.id)) == 12
    page = client.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert "<progress" in page and "Pain bio" in page


def _refused(client, town: Town, **fields) -> str:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    response = client.post("/manage/campaigns/new", data=_form(town, token, **fields))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0
    assert db.session.scalar(select(func.count()).select_from(CampaignRun)) == 0
    return response.get_data(as_text=True)


def test_too_long_text_is_refused(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    add_citizens(town.territory, 12, hashtags=[town.bio])
    html = _refused(client, town, title="x" * 81, body="y" * 501)
    assert html.count("At most") >= 2 and 'id="title-error"' in html and 'id="body-error"' in html


def test_schedule_in_the_past_is_refused(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    add_citizens(town.territory, 12, hashtags=[town.bio])
    past = (utcnow() - timedelta(hours=2)).astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")
    html = _refused(client, town, when="at", send_at=past)
    assert "already past" in html and 'id="send_at-error"' in html


def test_audience_under_the_floor_is_refused(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    add_citizens(town.territory, 10, hashtags=[town.bio])
    html = _refused(client, town)
    assert "Fewer than 11 people match" in html and "disabled" in html


def test_unknown_hashtag_and_no_channel_are_refused(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    add_citizens(town.territory, 12, hashtags=[town.bio])
    html = _refused(client, town, hashtags=["999999"], channels=None)
    assert "not in the town&#39;s catalogue" in html and "Choose at least one channel" in html


def test_no_criterion_is_refused(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    html = _refused(client, town, hashtags=None)
    assert "Choose at least one criterion" in html


def test_errors_are_translated(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    town.editor.language = "fr"
    db.session.commit()
    token = _login(client, town)
    response = client.post("/manage/campaigns/new", data=_form(town, token, title="x" * 81, channels=None))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "80 caractères au maximum." in html and "Veuillez corriger les erreurs" in html


def test_link_must_be_one_of_the_actors_published_publications(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    own = make_publication(town.actor, "Our bread")
    other = make_publication(town.other_actor, "Regatta")
    add_citizens(town.territory, 12, hashtags=[town.bio])
    html = _refused(client, town, link=str(other.id))
    assert "Choose one of your publications" in html
    token = csrf_token(client, "/manage/campaigns/new")
    response = client.post("/manage/campaigns/new", data=_form(town, token, link=str(own.id), action="draft"))
    assert response.status_code == 303
    assert db.session.scalars(select(Campaign)).one().publication_id == own.id


def test_civic_alert_only_for_a_verified_town_service(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    add_citizens(town.territory, 12, hashtags=[town.bio])
    html = _refused(client, town, is_alert="y")
    assert "Only a verified town service" in html

    for status, allowed in (("pending", False), ("verified", True)):
        service = make_actor(town.territory, f"Mairie {status}", kind="town_service", status=status)
        agent = make_user(town.territory, language="en")
        make_member(agent, service)
        login_as(client, agent, acting_actor=service)
        page = client.get("/manage/campaigns/new").get_data(as_text=True)
        assert ("Civic alert" in page) is allowed
        token = csrf_token(client, "/manage/campaigns/new")
        response = client.post("/manage/campaigns/new", data=_form(town, token, is_alert="y", action="draft"))
        assert response.status_code == (303 if allowed else 422)
    alerts = db.session.scalars(select(Campaign).where(Campaign.is_alert.is_(True))).all()
    assert [c.actor.name for c in alerts] == ["Mairie verified"]


def test_weekly_campaign_is_scheduled_then_cancelled(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    add_citizens(town.territory, 12, hashtags=[town.bio])
    until = (utcnow() + timedelta(days=40)).date().isoformat()
    response = client.post(
        "/manage/campaigns/new",
        data=_form(town, token, when="weekly", weekday="4", at_time="09:00", repeat_until=until),
    )
    assert response.status_code == 303
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.status == "scheduled" and campaign.next_run_at is not None
    local = campaign.next_run_at.astimezone(ZoneInfo("Europe/Paris"))
    assert (local.weekday(), local.hour, local.minute) == (4, 9, 0)
    assert db.session.scalar(select(func.count()).select_from(CampaignRun)) == 0
    page = client.get(f"/manage/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Every Friday at 09:00" in page
    response = client.post(f"/manage/campaigns/{campaign.id}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.refresh(campaign)
    assert campaign.status == "cancelled" and campaign.next_run_at is None


def test_edit_a_draft_keeps_its_choices(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    client.post(
        "/manage/campaigns/new",
        data=_form(town, token, action="draft", neighbourhoods=[str(town.port.id)], followers="y"),
    )
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.status == "draft"
    html = client.get(f"/manage/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="Pain bio"' in html
    assert re.search(rf'<input checked[^>]*name="neighbourhoods"[^>]*value="{town.port.id}"', html)
    assert re.search(r'<input[^>]*checked[^>]*name="followers"', html)
    assert not re.search(rf'<input checked[^>]*name="neighbourhoods"[^>]*value="{town.hills.id}"', html)
    response = client.post(
        f"/manage/campaigns/{campaign.id}/edit", data=_form(town, token, action="draft", title="Pain au levain")
    )
    assert response.status_code == 303
    db.session.refresh(campaign)
    assert campaign.title == "Pain au levain"


def test_another_actors_editor_cannot_see_edit_or_send(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    token = _login(client, town)
    add_citizens(town.territory, 12, hashtags=[town.bio])
    client.post("/manage/campaigns/new", data=_form(town, token, action="draft"))
    campaign = db.session.scalars(select(Campaign)).one()
    login_as(client, town.other_editor, acting_actor=town.other_actor)
    other_token = csrf_token(client, "/manage/campaigns")
    assert "Pain bio" not in client.get("/manage/campaigns").get_data(as_text=True)
    for path in (f"/manage/campaigns/{campaign.id}", f"/manage/campaigns/{campaign.id}/edit",
                 f"/manage/campaigns/{campaign.id}/progress"):
        assert client.get(path).status_code == 404
    assert client.post(f"/manage/campaigns/{campaign.id}/edit", data=_form(town, other_token)).status_code == 404
    assert client.post(f"/manage/campaigns/{campaign.id}/cancel", data={"csrf_token": other_token}).status_code == 404
    db.session.refresh(campaign)
    assert campaign.status == "draft" and db.session.scalar(select(func.count()).select_from(CampaignRun)) == 0
    # a citizen not acting as an actor: forbidden
    login_as(client, town.other_editor)
    assert client.get("/manage/campaigns").status_code == 403
    assert client.get(f"/manage/campaigns/{campaign.id}").status_code == 403


def test_nav_has_campaigns_when_acting(client, town: Town) -> None:  # type: ignore[no-untyped-def]
    _login(client, town)
    assert 'href="/manage/campaigns"' in client.get("/manage").get_data(as_text=True)
