"""Until the town verifies an actor, it prepares but reaches nobody: it keeps campaigns as drafts
(a "send" is kept as a draft, and a run started anyway is refused: nothing is delivered), cannot
publish a welcome offer nor create screens; its pages say so and link to what the town needs.
Once verified, the same draft goes out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.campaigns.models import Campaign, CampaignRun, Delivery
from app.delivery.runs import start_run
from app.extensions import db
from app.kiosks.models import KioskToken
from app.models_common import utcnow
from app.publications.models import Publication
from tests.campaigns.conftest import add_citizens
from tests.factories import (
    NEGLIGIBLE_NOISE,
    login_as,
    make_actor,
    make_campaign,
    make_hashtag,
    make_member,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token


@pytest.fixture
def newcomer(app):
    """A page a citizen created minutes ago (pending), 30 people who would match its campaign."""
    territory = make_territory(timezone="Europe/Paris", **NEGLIGIBLE_NOISE)
    bio = make_hashtag(territory, "bio")
    add_citizens(territory, 30, hashtags=[bio])
    actor = make_actor(territory, "Nouvelle Boutique", status="pending")
    owner = make_user(territory, language="en")
    make_member(owner, actor, role="owner")
    return territory, actor, owner, bio


def _verify(actor) -> None:  # type: ignore[no-untyped-def]
    """As the town's verification does (its page and mail: tests/actors/test_create_and_verify)."""
    actor.status, actor.verified_at = "verified", utcnow()
    db.session.commit()


def _deliveries() -> int:
    return db.session.scalar(select(func.count()).select_from(Delivery)) or 0


def test_a_send_of_an_unverified_actor_is_kept_as_a_draft_and_reaches_nobody(client, newcomer):
    territory, actor, owner, bio = newcomer
    login_as(client, owner, acting_actor=actor)
    form = client.get("/manage/campaigns/new").get_data(as_text=True)
    assert 'id="unverified-notice"' in form and 'href="/manage/page#verification"' in form
    assert 'value="send"' not in form  # only "Save draft"
    token = csrf_token(client, "/manage/campaigns/new")
    response = client.post("/manage/campaigns/new", data={
        "csrf_token": token, "title": "Ouverture", "body": "Venez !", "link": "page",
        "hashtags": [str(bio.id)], "hashtag_mode": "any", "channels": ["inbox"], "when": "now",
        "action": "send"})
    assert response.status_code == 303
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.status == "draft"
    assert db.session.scalar(select(func.count()).select_from(CampaignRun)) == 0
    assert _deliveries() == 0
    page = client.get("/manage/campaigns").get_data(as_text=True)
    assert "once the town has verified your page" in page and 'id="unverified-notice"' in page

    # Verified: the same draft goes out.
    _verify(actor)
    form = client.get(f"/manage/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'id="unverified-notice"' not in form and 'value="send"' in form
    token = csrf_token(client, f"/manage/campaigns/{campaign.id}/edit")
    response = client.post(f"/manage/campaigns/{campaign.id}/edit", data={
        "csrf_token": token, "title": "Ouverture", "body": "Venez !", "link": "page",
        "hashtags": [str(bio.id)], "hashtag_mode": "any", "channels": ["inbox"], "when": "now",
        "action": "send"})
    assert response.status_code == 303
    assert _deliveries() == 30


def test_a_run_of_an_unverified_actors_campaign_is_refused(newcomer):
    """The last gate, whatever started it (a scheduled campaign whose actor the town rejected since)."""
    territory, actor, owner, bio = newcomer
    campaign = make_campaign(actor, status="scheduled", channels_csv="inbox", criteria_json=json.dumps(
        {"match": "all", "rules": [{"kind": "hashtags", "ids": [bio.id], "mode": "any"}]}))
    run = start_run(campaign, utcnow() - timedelta(minutes=1))
    assert run.status == "refused"
    assert _deliveries() == 0
    _verify(actor)  # the same campaign, verified: it goes
    assert start_run(campaign, utcnow()).status in ("sending", "sent")
    assert _deliveries() == 30


def test_an_unverified_actor_cannot_publish_a_welcome_offer_but_keeps_it_as_a_draft(client, newcomer):
    territory, actor, owner, bio = newcomer
    login_as(client, owner, acting_actor=actor)
    form = client.get("/manage/publications/new?kind=offer").get_data(as_text=True)
    assert 'id="unverified-notice"' in form
    fields = {"title": "Bienvenue -10 %", "valid_from": "2030-07-01T10:00", "valid_until": "2030-07-02T19:00",
              "lat": "43.176", "lon": "5.608", "radius_m": "200", "is_welcome_offer": "y",
              "welcome_population_types": ["tourist"], "summary": "", "body_md": "", "hashtags": ""}
    token = csrf_token(client, "/manage/publications/new?kind=offer")
    refused = client.post("/manage/publications/new?kind=offer",
                          data={"csrf_token": token, **fields, "action": "publish"})
    assert refused.status_code == 422
    assert "A welcome offer can be published once the town has verified your page" in refused.get_data(as_text=True)
    assert db.session.query(Publication).count() == 0
    draft = client.post("/manage/publications/new?kind=offer", data={"csrf_token": token, **fields, "action": "draft"})
    assert draft.status_code == 303
    offer = db.session.query(Publication).one()
    assert offer.status == "draft" and offer.is_welcome_offer
    # Nor by the status button.
    client.post(f"/manage/publications/{offer.id}/status", data={"csrf_token": token, "status": "published"})
    db.session.expire_all()
    assert db.session.get(Publication, offer.id).status == "draft"


def test_an_unverified_tourism_office_cannot_create_screens(client, app):
    territory = make_territory()
    office = make_actor(territory, "Office de Tourisme", kind="tourism_office", status="pending")
    agent = make_user(territory, language="en")
    make_member(agent, office)
    login_as(client, agent, acting_actor=office)
    page = client.get("/manage/screens").get_data(as_text=True)
    assert 'id="unverified-notice"' in page and "Create a screen link" not in page
    token = csrf_token(client, "/manage/screens")
    response = client.post("/manage/screens", data={"csrf_token": token, "label": "Window"})
    assert response.status_code == 403
    assert db.session.query(KioskToken).count() == 0


def test_the_edit_page_says_what_the_town_needs(client, newcomer):
    territory, actor, owner, bio = newcomer
    login_as(client, owner, acting_actor=actor)
    page = client.get("/manage/page").get_data(as_text=True)
    assert 'id="verification"' in page and "What the town needs to verify your page" in page
