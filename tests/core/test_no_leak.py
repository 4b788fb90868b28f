"""No leak, by crawling: a shop and some twenty-five citizens who follow it, chose hashtags, live
in a neighbourhood, received one of its campaigns (push, e-mail, SMS, inbox) and opened it, and
checked in near it. Every citizen's name, e-mail, phone, push endpoint, residence and live
position (coordinates at full precision, H3 cells in decimal and hex) is a unique marker.

Then the shop's owner acting as the shop, the town administrator and a visitor walk every GET
route of ``app.url_map`` (path parameters filled with the shop's and the town's objects, the
query strings the pages use), every link the pages show, each once more as an htmx request, and
the POST-only reads (the audience estimate). No marker may appear in a body, a header, an export
or a log line (the app's loggers and the root at DEBUG, and a gunicorn-like access log), and
nothing answers 500. A GET rule the crawl cannot fill fails the test until it is taught."""

from __future__ import annotations

import html
import io
import itertools
import json
import logging
import re
import zipfile
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import pypdf
import pytest
from flask import Flask, g, template_rendered
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from app import geo
from app import sms as sms_module
from app.accounts import services as account_services
from app.accounts.models import Consent, User, UserHashtag
from app.actors import hours
from app.actors import services as actor_services
from app.actors.models import Actor, Follow
from app.audit import services_rounds as audit_services
from app.audit import services_shops as audit_shops
from app.audit.exports_rounds import XLSX_TYPE
from app.audit.journey import ANGLES
from app.audit.models_inventory import AuditDataSource
from app.campaigns.models import Campaign, Delivery
from app.delivery import runs as delivery_runs
from app.delivery.models import InboxItem
from app.delivery.tokens import delivery_token, unsubscribe_token
from app.extensions import db
from app.imports.models import FeedSubscription
from app.legal.services import KINDS as LEGAL_KINDS
from app.media.models import Media
from app.models_common import utcnow
from app.notifications.models import NotificationSettings
from app.observatory.services import TABLES as OBSERVATORY_TABLES
from app.opendata import services as opendata_services
from app.opendata.datasets import DATASET_IDS
from app.places.models import LiveCell
from app.polls.models import PollOption, PollQuestion
from app.profiles.routes import ONBOARDING_STEPS
from app.reports import open311
from app.reports import services as report_services
from app.reports.models import ReportCategory
from app.syndication import services as calendar_services
from app.territories.models import Territory
from app.webhooks.models import EVENT_TYPES as WEBHOOK_EVENTS
from app.webhooks.models import WebhookEndpoint
from tests.factories import (
    login_as,
    make_actor,
    make_citizen,
    make_hashtag,
    make_kiosk,
    make_member,
    make_publication,
    make_push_subscription,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token
from tests.support.push_service import PushService

HOST = "http://localhost"
CITIZENS = 25
ACTOR_AT = (43.1745, 5.6045)  # the shop; the citizens check in a few hundred metres around it
HOOD = {"type": "Polygon", "coordinates": [[[5.58, 43.15], [5.62, 43.15], [5.62, 43.19], [5.58, 43.19], [5.58, 43.15]]]}
AROUND = {"type": "Polygon", "coordinates": [[[5.595, 43.165], [5.61, 43.165], [5.61, 43.18], [5.595, 43.18], [5.595, 43.165]]]}

# GET rules the crawl does not visit, each with its reason. Anything else must be visited.
SKIPPED = {
    "static": "files of the app itself, the same bytes for everyone",
}
# Path parameters are filled by ``Town.fills`` (by name, every value visited) and, for tokens,
# by ``Town.endpoint_fills`` (by endpoint and name): see ``_seed``.


# ------------------------------------------------------------------------------------ the town


@dataclass
class Town:
    territory: Territory
    actor: Actor
    office: Actor
    roads: Actor
    agent: User
    owner: User
    admin: User
    citizens: list[User]
    markers: set[str]
    fills: dict[str, list[Any]]
    endpoint_fills: dict[tuple[str, str], list[Any]]
    queries: dict[str, list[dict[str, Any]]]
    estimate_forms: list[dict[str, Any]] = field(default_factory=list)


def _live_point(i: int) -> tuple[str, str]:
    return f"43.17{i:02d}34567", f"5.60{i:02d}76543"


def _home_point(i: int) -> tuple[str, str]:
    return f"43.16{i:02d}24681", f"5.59{i:02d}13579"


def _coordinate_markers(text: str) -> set[str]:
    """The decimal as written, and cut or rounded to 6 and 5 decimals (a metre, ten)."""
    whole, decimals = text.split(".")
    value = float(text)
    return {text, f"{whole}.{decimals[:6]}", f"{whole}.{decimals[:5]}", f"{value:.6f}", f"{value:.5f}"}


def _cell_markers(cell: int) -> set[str]:
    return {str(cell), format(cell, "x")}


def _seed(app: Flask, push_service: PushService) -> Town:
    territory = make_territory(hosts=("localhost",), timezone="Europe/Paris")
    bio = make_hashtag(territory, "bio")
    market = make_hashtag(territory, "marche")
    from app.territories.models import Neighbourhood

    hood = Neighbourhood(territory_id=territory.id, name="Port", slug="port", geojson=json.dumps(HOOD))
    db.session.add(hood)
    db.session.commit()
    logo = Media(territory_id=territory.id, content_type="image/webp", data=b"RIFF0000WEBPVP8 ", width=1, height=1)
    db.session.add(logo)
    db.session.commit()
    actor = make_actor(territory, "Boulangerie du Port", lat=ACTOR_AT[0], lon=ACTOR_AT[1],
                       neighbourhood_id=hood.id, logo_media_id=logo.id, address="1 quai du Port")
    actor.hashtags = [bio]
    office = make_actor(territory, "Office de Tourisme", kind="tourism_office", lat=43.1733, lon=5.6044)
    owner = make_user(territory, "owner@boulangerie.test", display_name="Olivia Owner", language="en")
    admin = make_user(territory, "admin@town.test", display_name="Adam Admin", language="en", is_admin=True)
    owner_membership = make_member(owner, actor, "owner")
    make_member(owner, office, "editor")
    owner_consent = Consent(user_id=owner.id, purpose="profile_targeting")
    db.session.add(owner_consent)
    db.session.commit()

    offer = make_publication(actor, "Croissant offert", kind="offer", hashtags=[bio], lat=ACTOR_AT[0], lon=ACTOR_AT[1])
    event = make_publication(actor, "Fête du pain", kind="event", hashtags=[market], place_name="Quai", lat=43.1741, lon=5.6041)
    news = make_publication(actor, "Nouveaux horaires", kind="news")
    draft = make_publication(actor, "Brouillon", kind="news", status="draft")
    office_news = make_publication(office, "Visite du port", kind="event", hashtags=[market])

    # The citizens: every personal value is a marker.
    citizens: list[User] = []
    markers: set[str] = set()
    endpoints: dict[int, str] = {}
    for i in range(CITIZENS):
        name, email, phone = f"Zqxmarkn{i:02d}", f"zqxmarke{i:02d}@example.org", f"+3375{i:02d}271828"
        user = make_citizen(territory, email, display_name=name, language="en", neighbourhood_id=hood.id,
                            population_type="resident")
        citizens.append(user)
        markers |= {name, email, email.split("@")[0], phone, phone[1:], "0" + phone[3:]}
        db.session.add(Follow(user_id=user.id, actor_id=actor.id))
        db.session.add(UserHashtag(user_id=user.id, hashtag_id=(bio if i % 3 else market).id))
        if i % 2 == 0:
            db.session.add(Consent(user_id=user.id, purpose="profile_targeting"))
        channel = ("push", "email", "sms")[i % 3]
        db.session.add(NotificationSettings(
            user_id=user.id, push_enabled=channel == "push", email_enabled=channel == "email",
            sms_enabled=channel == "sms", phone=phone, daily_cap=10, quiet_start=None, quiet_end=None,
        ))
        db.session.commit()
        if channel == "push":
            subscription = push_service.make_subscription()
            path_id = subscription["endpoint"].rsplit("/", 1)[1]
            marked = f"zqxmarkpush{i:02d}"
            push_service.state.keys[marked] = push_service.state.keys.pop(path_id)
            endpoint = f"{push_service.origin}/push/{marked}"
            keys = subscription["keys"]
            make_push_subscription(user, endpoint, keys["p256dh"], keys["auth"])
            endpoints[user.id] = endpoint
            markers |= {marked, endpoint}

    # The shop asks them a poll (a choice and a short text) that each answers through the app.
    poll = make_publication(actor, "Sondage du marché", kind="poll", valid_from=utcnow() - timedelta(hours=1),
                            valid_until=utcnow() + timedelta(days=7))
    poll_choice = PollQuestion(publication_id=poll.id, position=1, kind="single", text="Quel jour ?")
    poll_choice.options = [PollOption(label="Samedi", position=1), PollOption(label="Dimanche", position=2)]
    poll_text = PollQuestion(publication_id=poll.id, position=2, kind="text", text="Autre chose ?", required=False)
    db.session.add_all([poll_choice, poll_text])
    db.session.commit()

    # Each citizen sets where they live and checks in near the shop, through the app.
    for i, user in enumerate(citizens):
        client = app.test_client()
        login_as(client, user)
        token = csrf_token(client, "/me/residence", base_url=HOST)
        home = _home_point(i)
        response = client.post("/me/residence", base_url=HOST, data={"csrf_token": token, "lat": home[0], "lon": home[1]})
        assert response.status_code == 303, response.get_data(as_text=True)
        response = client.post("/near/location", base_url=HOST, data={"csrf_token": token, "action": "on"})
        assert response.status_code == 303
        live = _live_point(i)
        response = client.post("/near/checkin", base_url=HOST, json={"lat": float(live[0]), "lon": float(live[1])},
                               headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_data(as_text=True)
        phone = next(m for m in markers if m.startswith("+") and m.endswith(f"{i:02d}271828"))
        response = client.post(f"/polls/{poll.id}/answer", base_url=HOST, data={
            "csrf_token": token, f"q{poll_choice.id}": poll_choice.options[i % 2].id, "share": "yes",
            f"q{poll_text.id}": f"Écrivez-moi : {user.email} ou {phone}",
        })
        assert response.status_code == 303, response.get_data(as_text=True)
        markers |= _coordinate_markers(home[0]) | _coordinate_markers(home[1])
        markers |= _coordinate_markers(live[0]) | _coordinate_markers(live[1])
    db.session.expire_all()
    for user in citizens:
        assert user.residence_cell is not None
        markers |= _cell_markers(user.residence_cell)
    live_cells = list(db.session.scalars(select(LiveCell.cell)))
    assert len(live_cells) == CITIZENS
    for cell in live_cells:
        markers |= _cell_markers(cell)
    # The shop's and the office's own places are theirs to show: they must not be markers.
    own = _cell_markers(geo.cell_of(*ACTOR_AT)) | _cell_markers(geo.cell_of(43.1733, 5.6044))
    assert not own & markers, "move the shop: its own cell is one of a citizen's"

    # The shop's campaign reaches them all, through the delivery engine.
    campaign = Campaign(territory_id=territory.id, actor_id=actor.id, created_by_id=owner.id,
                        title="Pain chaud", body="Sortie du four à 7 h.", publication_id=offer.id,
                        criteria_json='{"match": "all", "rules": [{"kind": "followers"}]}', status="scheduled")
    campaign.channels = ["push", "email", "sms", "inbox"]
    db.session.add(campaign)
    db.session.commit()
    g.__dict__.clear()  # the worker's context: none of the last request's territory or user
    run = delivery_runs.start_run(campaign, utcnow())
    assert run.status != "refused"
    assert push_service.errors == []
    assert len(push_service.wait_for(len(endpoints))) == len(endpoints)
    assert len(sms_module.sms_outbox) == sum(1 for i in range(CITIZENS) if i % 3 == 2)
    deliveries = list(db.session.scalars(select(Delivery).where(Delivery.run_id == run.id).order_by(Delivery.id)))
    assert {d.channel for d in deliveries} == {"push", "email", "sms", "inbox"}
    # Most open it (the service worker's POST), some click the message's link.
    visitor = app.test_client()
    for delivery in deliveries[::2]:
        assert visitor.post(f"/n/open/{delivery_token(delivery.id)}", base_url=HOST).status_code == 204
    for delivery in deliveries[::5]:
        assert visitor.get(f"/r/{delivery_token(delivery.id)}", base_url=HOST).status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(Delivery.opened_at.is_not(None))) >= CITIZENS

    # A draft aimed at where they are and live: its edit page estimates its audience.
    zone_draft = Campaign(territory_id=territory.id, actor_id=actor.id, title="Zone", status="draft",
                          criteria_json=json.dumps({"match": "all", "rules": [
                              {"kind": "present_in_zone", "zone": AROUND}, {"kind": "lives_in_zone", "zone": HOOD}]}))
    db.session.add(zone_draft)
    owner_item = InboxItem(user_id=owner.id, territory_id=territory.id, title="Bienvenue")
    db.session.add(owner_item)
    db.session.commit()
    kiosk, kiosk_token = make_kiosk(office)
    with app.test_request_context(base_url=HOST):  # as the members page does
        _invitation, invitation_token = actor_services.invite(actor, owner, "new.editor@boulangerie.test")

    # The town's webhook endpoint hears every event below: its delivery log shows the payloads.
    webhook_endpoint = WebhookEndpoint(territory_id=territory.id, url="https://portal.town.example/hooks",
                                       event_types=" ".join(WEBHOOK_EVENTS), secret="whsec_" + "A" * 32,
                                       active=True)
    db.session.add(webhook_endpoint)
    db.session.commit()
    # Two citizens report a pothole; an Open311 client posts one: the API names none of them.
    potholes = ReportCategory(territory_id=territory.id, service_code="pothole", name="Pothole", service_actor_id=office.id)
    db.session.add(potholes)
    db.session.commit()
    citizen_reports = [report_services.file_report(territory, citizens[i], report_services.NewReport(
        category=potholes, lat=ACTOR_AT[0], lon=ACTOR_AT[1], description="A hole"))[0] for i in (0, 1)]
    opendata_services.save_choice(territory, DATASET_IDS, "odbl-1.0", "")  # every dataset's files crawled
    open311_key, _open311_raw = open311.issue_key(territory, "Back office")
    posted = open311.post_request(territory, open311_key, {
        "service_code": "pothole", "lat": str(ACTOR_AT[0]), "long": str(ACTOR_AT[1]), "description": "Posted",
        "email": citizens[2].email, "first_name": citizens[2].display_name})
    # A citizen's street report of a category the town's roads service handles, followed by
    # another, with a status change and a private exchange: its agent's pages show neither.
    roads = make_actor(territory, "Voirie", kind="town_service")
    agent = make_user(territory, "agent@voirie.test", display_name="Anna Agent", language="en")
    make_member(agent, roads, "editor")
    category = ReportCategory(territory_id=territory.id, name="Nid-de-poule", service_code="pothole-roads",
                              service_actor_id=roads.id, expected_days=7)
    db.session.add(category)
    db.session.commit()
    report, _created = report_services.file_report(territory, citizens[0], report_services.NewReport(
        category=category, lat=43.1702, lon=5.6011, description="Un trou devant la fontaine", address="Place du Marché"))
    report_services.follow(report, citizens[1])
    report_services.change_status(report, "acknowledged", "Vu, merci.")
    report_services.write(report, True, agent, "Pouvez-vous préciser ?")
    report_services.write(report, False, citizens[0], "Côté mairie.")

    # A source of the town's data inventory (the commerce audit): its pages show released figures only.
    data_source = AuditDataSource(territory_id=territory.id, name="Capteurs du parking", measures="Occupation",
                                  steps_text="park,get_there")
    db.session.add(data_source)
    db.session.commit()
    # A commerce audit round, completed, with an attachment, an action following the footfall
    # (a release) and a citizen invited to take part: the pages and exports name nobody.
    audit_round = audit_services.create_round(territory, "Audit 2026", date(2026, 4, 1))
    audit_steps = audit_services.round_steps(audit_round)
    for step in audit_steps:
        audit_services.save_step(audit_round, step, {code: audit_services.Assessment(1, "Vu", "")
                                                     for code, _name, _hint in ANGLES})
    audit_services.complete(audit_round)
    audit_attachment = audit_services.add_attachment(audit_round, audit_steps[0],
                                                     FileStorage(io.BytesIO(b"%PDF-1.4 x"), "a.pdf"))
    audit_action = audit_services.add_action(audit_round, audit_services.ActionFields(
        audit_steps[0].id, "people", "Bring shoppers back", indicator="footfall"))
    audit_invitation = audit_services.invite(territory, citizens[3].email)

    exports = _exports_of(owner, admin)
    reader = citizens[1]  # an e-mail reader (channel by i % 3)
    reader_delivery = next(d for d in deliveries if d.user_id == reader.id and d.channel == "email")
    # A feed the bakery imports (app.imports): its pages are the bakery's and the town's.
    feed = FeedSubscription(territory_id=territory.id, actor_id=actor.id, url="https://agenda.invalid/port.ics",
                            kind="ical")
    db.session.add(feed)
    db.session.commit()
    fills: dict[str, list[Any]] = {
        "publication_id": [offer.id, event.id, news.id, draft.id, office_news.id],
        "campaign_id": [campaign.id, zone_draft.id],
        "actor_id": [actor.id, office.id],
        "slug": [actor.slug, office.slug],
        "actor_slug": [actor.slug],
        "hashtag_id": [bio.id, market.id],
        "tag": ["bio", "marche"],
        "neighbourhood_id": [hood.id],
        "inbox_item_id": [owner_item.id],
        "membership_id": [owner_membership.id],
        "consent_id": [owner_consent.id],
        "kiosk_id": [kiosk.id],
        "poll_id": [poll.id],
        "question_id": [poll_choice.id, poll_text.id],
        "export_id": exports,
        "run_id": [run.id],
        "size": [192, 512],
        "step": list(ONBOARDING_STEPS),
        "kind": list(LEGAL_KINDS),
        "language": ["fr", "en"],
        "table_id": list(OBSERVATORY_TABLES),
        "fmt": ["json", "xml"],
        "dataset_id": list(DATASET_IDS),
        "extension": ["csv", "json", "geojson", "pdf", "xlsx"],
        "service_code": ["pothole"],
        "service_request_id": [r.id for r in citizen_reports] + [posted.id],
        "open311_key_id": [open311_key.id],
        "report_id": [report.id] + [r.id for r in citizen_reports],
        "category_id": [category.id, potholes.id],
        "endpoint_id": [webhook_endpoint.id],
        "subscription_id": [feed.id],
        "exception_id": [hours.add_exception(actor, date(2099, 12, 25), date(2099, 12, 25), "Noël").id],
        "path": ["no-such-list"],
        "source_id": [data_source.id],
        "round_id": [audit_round.id],
        "step_id": [audit_steps[0].id],
        "attachment_id": [audit_attachment.id],
        "action_id": [audit_action.id],
        "invitation_id": [audit_invitation.id],
    }
    endpoint_fills: dict[tuple[str, str], list[Any]] = {
        ("kiosks.kiosk", "token"): [kiosk_token],
        ("kiosks.kiosk_items", "token"): [kiosk_token],
        ("actors.accept_invitation", "token"): [invitation_token],
        ("media.file", "token"): [logo.token],
        # The crawler's own account links.
        ("accounts.verify_email", "token"): [account_services.issue_token(owner, account_services.VERIFY_EMAIL)],
        ("accounts.reset_password", "token"): [account_services.issue_token(owner, account_services.RESET_PASSWORD)],
        # A citizen's message links, forwarded: they act without a log-in, so they must not
        # show whose they are.
        ("delivery.click", "token"): [delivery_token(reader_delivery.id)],
        ("delivery.mute_from_message", "token"): [delivery_token(reader_delivery.id)],
        ("delivery.unsubscribe", "token"): [unsubscribe_token(reader.id, "email")],
        ("reports.open311_token", "token"): [posted.idempotency_key],
        # A citizen's calendar link: the feed of what they follow must not show whose it is.
        ("syndication.personal_ics", "token"): [calendar_services.new_calendar_link(reader)],
    }
    queries: dict[str, list[dict[str, Any]]] = {
        "audit.inventory": [{"step": "park"}, {"step": "collect"}],
        "actors.directory": [{"q": "boul"}, {"hashtag": bio.id}, {"neighbourhood": hood.id}, {"kind": "merchant"}, {"page": 2}],
        "feed.for_you": [{"page": 2}],
        "feed.everything": [{"kind": k} for k in ("news", "event", "offer")] + [{"page": 2}],
        "feed.agenda": [{"tag": "bio"}, {"tag": "marche"}, {"page": 2}],
        "places.near": [{"lat": ACTOR_AT[0], "lon": ACTOR_AT[1]}, {"from": "live"}, {"neighbourhood": hood.id},
                        {"tag": "bio"}, {"lat": ACTOR_AT[0], "lon": ACTOR_AT[1], "tag": "marche"}],
        "publications.manage": [{"status": s} for s in ("draft", "published", "archived")],
        "publications.new": [{"kind": k} for k in ("news", "event", "offer")],
        "accounts.login": [{"next": "/manage"}],
        "reports.open311_requests": [{"status": "open"}, {"service_request_id": ",".join(str(r.id) for r in citizen_reports)},
                                     {"page": 2, "page_size": 1}],
    }
    estimate_forms = [
        {"followers": "y"},
        {"hashtags": [str(bio.id), str(market.id)], "hashtag_mode": "any"},
        {"neighbourhoods": str(hood.id)},
        {"population": "resident", "languages": "en"},
        {"present_lat": "43.171", "present_lon": "5.601", "present_radius": "800"},
        {"present_zone": json.dumps(AROUND)},
        {"resident_zone": json.dumps(HOOD)},
        {"followers": "y", "hashtags": str(bio.id), "neighbourhoods": str(hood.id), "present_zone": json.dumps(AROUND)},
    ]
    # The commerce audit's self-assessment: the shop shares its answers; five other shops keep
    # theirs private (enough for the town's list to be shown): their comments must reach nobody.
    actor.click_and_collect, actor.delivers = True, True
    db.session.commit()
    shop_answer = {"listed_online": ["own_site"], "hours_up_to_date": "yes", "click_and_collect": "yes",
                   "delivery": "yes", "payment": ["card"], "loyalty": "card"}
    audit_shops.save_answer(actor, **shop_answer, comment="Ouvert le dimanche", town_may_see=True)
    for i in range(audit_shops.MIN_ANSWERS):
        private = make_actor(territory, f"Commerce discret {i}")
        comment = f"private-answer-{i}-4817"
        audit_shops.save_answer(private, **shop_answer, comment=comment, town_may_see=False)
        markers.add(comment)
    queries["places.near"] += [{"service": "click-and-collect"}, {"service": "delivery"}]
    return Town(territory, actor, office, roads, agent, owner, admin, citizens, {m.lower() for m in markers},
                fills, endpoint_fills, queries, estimate_forms)


def _exports_of(*people: User) -> list[int]:
    """Each crawler's own data archive, built (the privacy centre's download)."""
    try:
        from app.privacy import exports as privacy_exports
    except ImportError:  # no data exports yet
        return []
    ids = []
    for person in people:
        export, _created = privacy_exports.request_export(person)
        privacy_exports.build_export(export.id)
        ids.append(export.id)
    return ids


# ------------------------------------------------------------------------------------ the crawl


@dataclass
class Crawl:
    rules_visited: set[str] = field(default_factory=set)
    rules_skipped: dict[str, str] = field(default_factory=dict)
    unfilled: dict[str, set[str]] = field(default_factory=dict)
    responses: int = 0
    exports: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    leaks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# Names of what templates show that would be counts of people.
PEOPLE_COUNT = re.compile(r"(^|_)(followers?|audience|delivered|opened|clicked|citizens|present|reached|subscribers)(_|$)")
LINK = re.compile(r'(?:href|hx-get|src|data-[a-z-]*url)="([^"]+)"')
SPIDER_LIMIT = 400  # extra URLs found in pages, per person


def _texts(response: Any) -> Iterator[str]:
    """What a response shows: its headers, its body; a ZIP's members one by one."""
    yield "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    data = response.get_data()
    if response.mimetype == "application/pdf" and data.startswith(b"%PDF-") and len(data) > 200:
        yield "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    elif response.mimetype in ("application/zip", "application/x-zip-compressed", XLSX_TYPE):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield name
                yield archive.read(name).decode("utf-8", "replace")
    else:
        yield data.decode("utf-8", "replace")


def _found(text: str, markers: Iterable[str]) -> list[str]:
    low = text.lower()
    return [m for m in markers if m in low]


def _links(body: str) -> Iterator[str]:
    for raw in LINK.findall(body):
        url = html.unescape(raw)
        parts = urlsplit(url)
        if parts.scheme and parts.netloc != "localhost":
            continue
        if not parts.path.startswith("/") or parts.path.startswith("/static/"):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


def _combinations(rule: Any, town: Town, crawl: Crawl) -> list[dict[str, Any]]:
    options = []
    for name in sorted(rule.arguments):
        values = town.endpoint_fills.get((rule.endpoint, name)) or town.fills.get(name)
        if values is None:
            crawl.unfilled.setdefault(rule.rule, set()).add(name)
            return []
        options.append([(name, v) for v in values])
    return [dict(combo) for combo in itertools.product(*options)]


def _visit(client: FlaskClient, method: str, url: str, town: Town, crawl: Crawl, who: str,
           queue: deque[str] | None = None, **kwargs: Any) -> None:
    for htmx in (False, True):
        headers = dict(kwargs.pop("headers", {}) or {})
        if htmx:
            headers["HX-Request"] = "true"
        response = client.open(url, method=method, base_url=HOST, headers=headers, **kwargs)
        crawl.responses += 1
        crawl.statuses[response.status_code] = crawl.statuses.get(response.status_code, 0) + 1
        label = f"{who} {method} {url}{' (htmx)' if htmx else ''} → {response.status_code}"
        if response.status_code >= 500:
            crawl.errors.append(label)
        for text in _texts(response):
            found = _found(text, town.markers)
            if found:
                crawl.leaks.append(f"{label}: {sorted(found)[:5]}")
        if response.mimetype in ("application/zip", "text/csv"):
            crawl.exports += 1
        if queue is not None:
            if response.mimetype == "text/html":
                queue.extend(_links(response.get_data(as_text=True)))
            location = response.headers.get("Location")
            if location:
                queue.extend(_links(f'href="{location}"'))
        response.close()


def _crawl(app: Flask, client: FlaskClient, town: Town, who: str) -> Crawl:
    from flask import url_for

    crawl = Crawl()
    seen: set[str] = set()
    queue: deque[str] = deque()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or set()):
            continue
        if rule.endpoint in SKIPPED:
            crawl.rules_skipped[rule.rule] = SKIPPED[rule.endpoint]
            continue
        combos = _combinations(rule, town, crawl)
        if not combos:
            continue
        crawl.rules_visited.add(rule.rule)
        for values in combos:
            for query in [{}, *town.queries.get(rule.endpoint, [])]:
                with app.test_request_context(base_url=HOST):
                    url = url_for(rule.endpoint, **values, **query)
                if url not in seen:
                    seen.add(url)
                    _visit(client, "GET", url, town, crawl, who, queue)
    extra = 0
    while queue and extra < SPIDER_LIMIT:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        extra += 1
        _visit(client, "GET", url, town, crawl, who, queue)
    # POST-only reads: the audience estimate of criteria that match the seeded people.
    token = csrf_token(client, "/", base_url=HOST)
    for form in town.estimate_forms:
        with app.test_request_context(base_url=HOST):
            url = url_for("campaigns.estimate_audience")
        _visit(client, "POST", url, town, crawl, who, data={"csrf_token": token, **form},
               headers={"X-CSRFToken": token})
    return crawl


# ------------------------------------------------------------------------------------ the logs


_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _log_lines(records: Iterable[logging.LogRecord]) -> Iterator[str]:
    """Each record as an operator's log would hold it: the message, the structured extras
    (``extra={...}``) and the traceback."""
    for record in records:
        extras = " ".join(f"{k}={v!r}" for k, v in vars(record).items() if k not in _RECORD_FIELDS)
        yield f"{record.levelname} {record.name} {record.getMessage()} {extras} {record.exc_text or ''}"


def _install_access_log(app: Flask) -> None:
    """A gunicorn-like access log line per request (request line with query string, status,
    referrer, user agent), as ``--access-logfile`` would write: stricter than the app's own
    access log (app.access_log), which names the route's rule and is checked here too."""
    inner = app.wsgi_app
    access = logging.getLogger("gunicorn.access")

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        status: list[str] = []

        def start(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(code)
            return start_response(code, headers, exc_info)

        body = inner(environ, start)
        query = environ.get("QUERY_STRING")
        access.info('%s - - "%s %s%s %s" %s "%s" "%s"', environ.get("REMOTE_ADDR", "-"),
                    environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), f"?{query}" if query else "",
                    environ.get("SERVER_PROTOCOL"), status[0].split()[0] if status else "-",
                    environ.get("HTTP_REFERER", "-"), environ.get("HTTP_USER_AGENT", "-"))
        return body

    app.wsgi_app = wsgi  # type: ignore[method-assign]


# ------------------------------------------------------------------------------------ the test


@pytest.fixture
def push_service(app: Flask) -> Iterator[PushService]:
    with PushService() as service:
        app.config.update(PUSH_ALLOW_INSECURE_HOSTS=(service.netloc,), SMS_BACKEND="memory",
                          PREFERRED_URL_SCHEME="https", DELIVERY_RETRY_BASE_SECONDS=0.2,
                          DELIVERY_MAX_WAIT_SECONDS=5.0)
        sms_module.sms_outbox.clear()
        yield service


def test_no_citizen_data_reaches_the_shop_the_town_or_the_logs(app, push_service, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="app")
    _install_access_log(app)
    town = _seed(app, push_service)
    assert len(town.markers) > 20 * CITIZENS

    # The markers are seen where they belong: on the citizen's own pages.
    own = app.test_client()
    login_as(own, town.citizens[0])
    assert _found(own.get("/me", base_url=HOST).get_data(as_text=True), town.markers)

    people = {"owner acting as the shop": (town.owner, town.actor), "town admin": (town.admin, None),
              "editor acting as the tourism office": (town.owner, town.office),
              "agent acting as the roads service": (town.agent, town.roads), "visitor": (None, None)}
    crawls = {}
    raw_counts: list[str] = []

    def no_raw_count(_sender: Any, template: Any, context: dict[str, Any], **_extra: Any) -> None:
        """A count of people reaches a template only as a release (app.releases.engine): a
        value named like one (followers, an audience, opens...) is never a bare number."""
        for key, value in context.items():
            if PEOPLE_COUNT.search(key) and isinstance(value, int) and not isinstance(value, bool):
                raw_counts.append(f"{template.name}: {key}={value}")

    template_rendered.connect(no_raw_count, app)
    try:
        for who, (user, acting) in people.items():
            client = app.test_client()
            if user is not None:
                login_as(client, user, acting_actor=acting)
            crawls[who] = _crawl(app, client, town, who)
    finally:
        template_rendered.disconnect(no_raw_count, app)
    assert not raw_counts, raw_counts[:10]

    for crawl in crawls.values():
        assert not crawl.unfilled, f"teach the crawl which objects fill {crawl.unfilled}"
        assert not crawl.errors, "\n".join(crawl.errors)
        assert not crawl.leaks, "\n".join(crawl.leaks[:20])
    shop = crawls["owner acting as the shop"]
    # The crawl really saw the shop's tools and the town's, not only error pages.
    assert shop.statuses.get(200, 0) > 50 and crawls["town admin"].statuses.get(200, 0) > 30
    # The agent's crawl really saw the report's page and the queue.
    agent = app.test_client()
    login_as(agent, town.agent, acting_actor=town.roads)
    for url in (f"/manage/reports/{town.fills['report_id'][0]}", "/manage/reports?status=all"):
        response = agent.get(url, base_url=HOST)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "Nid-de-poule" in body, url
        assert not _found(body, town.markers), url
    log_leaks = [line for line in _log_lines(caplog.records) if _found(line, town.markers)]
    assert not log_leaks, "\n".join(log_leaks[:10])
    assert any(r.name == "gunicorn.access" for r in caplog.records)
    with capsys.disabled():
        for who, crawl in crawls.items():
            print(f"\n[no-leak] {who}: {len(crawl.rules_visited)} GET rules visited, "
                  f"{len(crawl.rules_skipped)} skipped {sorted(set(crawl.rules_skipped.values()))}, "
                  f"{crawl.responses} responses checked {dict(sorted(crawl.statuses.items()))}, "
                  f"{crawl.exports} exports opened")
        print(f"[no-leak] {len(town.markers)} markers, {len(caplog.records)} log records checked")
