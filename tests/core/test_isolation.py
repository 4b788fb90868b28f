"""Tenant isolation, route by route: every route that takes an object's id, slug or token answers
404 when that object belongs to another territory — even to that territory's own admin acting as
an actor, as a page or as an htmx request — while the same URL on the object's own host reaches
it. A session (and any other cookie a log-in sets) of one territory logs nobody in at another.

A new route with a parameter that this test cannot fill fails it until it is taught."""

from __future__ import annotations

import io
from datetime import date
from http.cookies import SimpleCookie
from typing import Any

import pytest
from flask import Flask, url_for
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.routing import Rule

from app.accounts import services as account_services
from app.accounts.models import Consent
from app.actors import services as actor_services
from app.actors.hours_models import HoursException
from app.actors.models import ACTOR_KINDS, POWERED_KINDS
from app.audit import services_rounds as audit_services
from app.audit import services_shops as audit_shops
from app.audit.models_inventory import AuditDataSource
from app.delivery.models import InboxItem
from app.delivery.tokens import delivery_token, unsubscribe_token
from app.extensions import db
from app.imports.models import FeedSubscription
from app.media.models import Media
from app.opendata import services as opendata_services
from app.opendata.datasets import DATASET_IDS
from app.polls.models import PollQuestion
from app.publications.models import Publication
from app.reports import open311
from app.reports.models import Report, ReportCategory
from app.syndication import services as calendar_services
from app.territories.models import Territory
from app.webhooks.models import WebhookEndpoint
from tests.factories import (
    PASSWORD,
    login_as,
    make_actor,
    make_campaign,
    make_delivery,
    make_hashtag,
    make_kiosk,
    make_member,
    make_neighbourhood,
    make_publication,
    make_run,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token

HOSTS = {"a": "http://localhost", "b": "http://b.localhost"}
HOST_A, HOST_B = HOSTS["a"], HOSTS["b"]
# Parameters that are not objects of a territory (sizes of icons, files, onboarding steps, the
# legal pages' kinds and languages: each territory has its own page of every kind; the observatory's
# tables, every territory has each; Open311's format, json or xml).
NOT_OBJECT_PARAMS = {"size", "filename", "path", "step", "kind", "language", "table_id", "fmt", "dataset_id",
                     "extension"}
# How a route refuses another territory's token when that is not a 404: the "invalid or expired
# link" page, exactly as for a token that never existed (nothing tells the two apart).
REFUSAL = {"accounts.verify_email": 400, "accounts.reset_password": 400}


def _export_of(user: Any) -> int | None:
    """A ready data archive of ``user`` (the privacy centre's), if the app has them."""
    try:
        from app.privacy import exports as privacy_exports
    except ImportError:
        return None
    export, _created = privacy_exports.request_export(user)
    privacy_exports.build_export(export.id)
    return export.id


def _audit_world(territory: Territory) -> tuple[Any, ...]:
    """A commerce audit round of ``territory`` with a step, an attachment, an action, and an
    invited account."""
    audit_round = audit_services.create_round(territory, f"Audit round {territory.slug}", date(2026, 4, 1))
    step = audit_services.round_steps(audit_round)[0]
    attachment = audit_services.add_attachment(audit_round, step, FileStorage(io.BytesIO(b"%PDF-1.4 x"), "a.pdf"))
    action = audit_services.add_action(audit_round, audit_services.ActionFields(
        step.id, "people", f"Audit action {territory.slug}"))
    make_user(territory, f"manager@{territory.slug}.test")
    invitation = audit_services.invite(territory, f"manager@{territory.slug}.test")
    return audit_round, step, attachment, action, invitation


def _world(app: Flask) -> dict[str, dict[str, Any]]:
    a = make_territory("a", "Town A", hosts=("localhost",))
    b = make_territory("b", "Town B", hosts=("b.localhost",))
    worlds = {}
    for territory in (a, b):
        slug = territory.slug
        admin = make_user(territory, f"admin@{slug}.test", is_admin=True, language="en")
        actor = make_actor(territory, f"Shop {slug}", kind="tourism_office")
        membership = make_member(admin, actor, "owner")
        consent = Consent(user_id=admin.id, purpose="profile_targeting")
        db.session.add(consent)
        tag = make_hashtag(territory, f"bio{slug}")
        hood = make_neighbourhood(territory, f"Centre {slug}")
        media = Media(territory_id=territory.id, content_type="image/webp", data=b"RIFF0000WEBP", width=1, height=1)
        db.session.add(media)
        db.session.flush()
        publication = make_publication(actor, f"Offer {slug}", kind="offer", hashtags=[tag], image_media_id=media.id)
        inbox_item = InboxItem(user_id=admin.id, territory_id=territory.id, title=f"Message {slug}")
        db.session.add(inbox_item)
        db.session.commit()
        campaign = make_campaign(actor, title=f"Campaign {slug}")
        run = make_run(campaign)
        delivery = make_delivery(run, admin, channel="email")
        kiosk, kiosk_token = make_kiosk(actor)
        with app.test_request_context(base_url=HOSTS[slug]):
            _invitation, invitation_token = actor_services.invite(actor, admin, f"editor@{slug}.test")
        export_id = _export_of(admin)
        poll = make_publication(actor, f"Poll {slug}", kind="poll")
        poll_question = PollQuestion(publication_id=poll.id, kind="text", text=f"Question {slug}")
        db.session.add(poll_question)
        db.session.commit()
        message_token = delivery_token(delivery.id)
        open311_key, _open311_raw = open311.issue_key(territory, f"Client {slug}")
        db.session.add(ReportCategory(territory_id=territory.id, service_code=f"pothole-{slug}", name="Pothole"))
        db.session.commit()
        open311_report = open311.post_request(territory, open311_key, {
            "service_code": f"pothole-{slug}", "lat": "43.17", "long": "5.60", "description": f"Hole {slug}"})
        # A street report of a category the actor handles (its members are the category's agents).
        report_category = ReportCategory(territory_id=territory.id, name=f"Category {slug}",
                                         service_code=f"code-{slug}", service_actor_id=actor.id)
        db.session.add(report_category)
        db.session.flush()
        report = Report(territory_id=territory.id, category_id=report_category.id, lat=43.17, lon=5.60,
                        description=f"Report {slug}", reporter_id=admin.id)
        db.session.add(report)
        webhook_endpoint = WebhookEndpoint(territory_id=territory.id, url=f"https://{slug}.example/hooks",
                                           event_types="poll.closed", secret="whsec_" + "A" * 32, active=True)
        db.session.add(webhook_endpoint)
        data_source = AuditDataSource(territory_id=territory.id, name=f"Sensors {slug}", measures="Parking",
                                      steps_text="park")
        db.session.add(data_source)
        db.session.commit()
        # A shop's self-assessment, shared with its own town only.
        audit_shop = make_actor(territory, f"Merchant {slug}")
        audit_shops.save_answer(audit_shop, listed_online=["social"], hours_up_to_date="yes",
                                click_and_collect="no", delivery="no", payment=["cash"], loyalty="none",
                                comment=f"Answer {slug}", town_may_see=True)
        # Every open dataset published, so that the crawls read the files themselves.
        opendata_services.save_choice(territory, DATASET_IDS, "etalab-2.0", f"data@{slug}.example.org")
        feed = FeedSubscription(territory_id=territory.id, actor_id=actor.id, kind="ical",
                                url=f"https://agenda.invalid/{slug}.ics")
        db.session.add(feed)
        # A holiday of the actor's (its hours page removes it).
        hours_exception = HoursException(territory_id=territory.id, actor_id=actor.id, starts_on=date(2099, 12, 25),
                                         ends_on=date(2099, 12, 25), closed=True, hours_json="[]", label=f"Holiday {slug}")
        db.session.add(hours_exception)
        db.session.commit()
        audit_round, audit_step, audit_attachment, audit_action, audit_invitation = _audit_world(territory)
        worlds[slug] = {
            "admin": admin,
            "actor": actor,
            "secrets": (f"Shop {slug}", f"admin@{slug}.test", f"Offer {slug}", f"Campaign {slug}", f"Message {slug}",
                        f"Report {slug}", f"Category {slug}", f"Answer {slug}", f"Merchant {slug}",
                        f"Audit round {slug}", f"Audit action {slug}"),
            "ids": {
                "publication_id": publication.id,
                "actor_id": actor.id,
                "hashtag_id": tag.id,
                "tag": tag.tag,
                "neighbourhood_id": hood.id,
                "user_id": admin.id,
                "membership_id": membership.id,
                "consent_id": consent.id,
                "inbox_item_id": inbox_item.id,
                "campaign_id": campaign.id,
                "run_id": run.id,
                "delivery_id": delivery.id,
                "kiosk_id": kiosk.id,
                "question_id": poll_question.id,
                "poll_id": poll.id,
                "slug": actor.slug,
                "actor_slug": actor.slug,
                "service_code": f"pothole-{slug}",
                "service_request_id": open311_report.id,
                "open311_key_id": open311_key.id,
                "report_id": report.id,
                "category_id": report_category.id,
                "endpoint_id": webhook_endpoint.id,
                "subscription_id": feed.id,
                "exception_id": hours_exception.id,
                "source_id": data_source.id,
                "round_id": audit_round.id,
                "step_id": audit_step.id,
                "attachment_id": audit_attachment.id,
                "action_id": audit_action.id,
                "invitation_id": audit_invitation.id,
                **({"export_id": export_id} if export_id is not None else {}),
            },
            # Tokens name objects too: each token route gets the token of its own kind.
            "tokens": {
                "kiosks.kiosk": kiosk_token,
                "kiosks.kiosk_items": kiosk_token,
                "media.file": media.token,
                "actors.accept_invitation": invitation_token,
                "accounts.verify_email": account_services.issue_token(admin, account_services.VERIFY_EMAIL),
                "accounts.reset_password": account_services.issue_token(admin, account_services.RESET_PASSWORD),
                "delivery.open_message": message_token,
                "delivery.click": message_token,
                "delivery.mute_from_message": message_token,
                "delivery.unsubscribe": unsubscribe_token(admin.id, "email"),
                "reports.open311_token": open311_report.idempotency_key,
                "syndication.personal_ics": calendar_services.new_calendar_link(admin),
            },
        }
    return worlds


def _object_rules(app: Flask) -> list[Rule]:
    rules = []
    for rule in app.url_map.iter_rules():
        params = set(rule.arguments)
        if rule.endpoint == "static" or not params or params <= NOT_OBJECT_PARAMS:
            continue
        rules.append(rule)
    return rules


def _values(rule: Rule, world: dict[str, Any]) -> dict[str, Any] | None:
    values = {}
    for name in rule.arguments - NOT_OBJECT_PARAMS:
        value = world["tokens"].get(rule.endpoint) if name == "token" else world["ids"].get(name)
        if value is None:
            return None
        values[name] = value
    return values


def test_object_routes_exist_to_be_checked(app):
    rules = _object_rules(app)
    assert len(rules) >= 30
    assert {"kiosks.kiosk", "delivery.click", "campaigns.show", "media.file"} <= {r.endpoint for r in rules}


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_every_object_route_is_404_through_another_territory(app, method, htmx):
    worlds = _world(app)
    rules = [r for r in _object_rules(app) if method in (r.methods or set())]
    unknown = {f"{r.endpoint}: {sorted(r.arguments - NOT_OBJECT_PARAMS)}" for r in rules if _values(r, worlds["b"]) is None}
    assert not unknown, f"teach this test which object fills {sorted(unknown)}"

    client_a = app.test_client()
    login_as(client_a, worlds["a"]["admin"], acting_actor=worlds["a"]["actor"])
    token_a = csrf_token(client_a, "/", base_url=HOST_A)
    client_b = app.test_client()
    login_as(client_b, worlds["b"]["admin"], acting_actor=worlds["b"]["actor"])
    headers = {"HX-Request": "true"} if htmx else {}

    checked = 0
    for rule in rules:
        values = _values(rule, worlds["b"])
        assert values is not None
        with app.test_request_context(base_url=HOST_A):
            url = url_for(rule.endpoint, **values, **{p: 192 for p in rule.arguments & {"size"}},
                          **{p: "json" for p in rule.arguments & {"fmt"}},
                          **{p: "pdf" for p in rule.arguments & {"extension"}})
        refused = REFUSAL.get(rule.endpoint, 404)
        if method == "GET":
            response = client_a.get(url, base_url=HOST_A, headers=headers)
            own = client_b.get(url, base_url=HOST_B, headers=headers)
            assert own.status_code not in (404, refused), f"{rule.rule} should reach the object on its own host"
        else:
            response = client_a.post(url, base_url=HOST_A, headers={"X-CSRFToken": token_a, **headers}, data={})
        assert response.status_code == refused, f"{method} {rule.rule} through territory A gave {response.status_code}"
        body = response.get_data(as_text=True)
        assert not [s for s in worlds["b"]["secrets"] if s in body], f"{method} {rule.rule} shows territory B's data"
        checked += 1
    assert checked == len(rules)


def _territory(slug: str) -> Territory:
    return db.session.scalar(select(Territory).where(Territory.slug == slug))


def _log_in_through_the_form(app: Flask, host: str, email: str) -> tuple[Any, dict[str, str]]:
    """A client logged in with the real form, and every cookie the log-in set."""
    client = app.test_client()
    token = csrf_token(client, "/", base_url=host)
    response = client.post("/login", base_url=host, data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.getlist("Set-Cookie"):
        jar.load(header)
    return client, {key: morsel.value for key, morsel in jar.items()}


@pytest.mark.parametrize(("home", "away"), [("a", "b"), ("b", "a")])
def test_session_of_one_territory_logs_nobody_in_at_another(app, home, away):
    """Every cookie a real log-in sets (the session, a remember-me cookie if there ever is one),
    replayed on the other territory's host, logs nobody in there."""
    _world(app)
    # The same person has an account in both towns: the cookie must still not cross over.
    for slug in ("a", "b"):
        make_user(_territory(slug), "same@person.test", language="en", display_name=f"Same in {slug}")
    client, cookies = _log_in_through_the_form(app, HOSTS[home], "same@person.test")
    page = client.get("/me", base_url=HOSTS[home])
    assert page.status_code == 200 and "same@person.test" in page.get_data(as_text=True)
    assert app.config["SESSION_COOKIE_NAME"] in cookies

    other = app.test_client()
    for key, value in cookies.items():
        other.set_cookie(key, value, domain=HOSTS[away].split("//")[1])
    away_page = other.get("/", base_url=HOSTS[away]).get_data(as_text=True)
    assert "same@person.test" not in away_page and f"Same in {away}" not in away_page
    assert 'action="/logout"' not in away_page
    me = other.get("/me", base_url=HOSTS[away])
    assert me.status_code in (302, 401) and "same@person.test" not in me.get_data(as_text=True)
    # And the session still works where it was made.
    assert client.get("/me", base_url=HOSTS[home]).status_code == 200



@pytest.mark.parametrize("status", ["published", "draft"])
def test_a_media_is_served_only_on_its_own_territorys_host(app, status):
    """A publication's image, published (anyone's on its own host) or a draft's (its actor's
    members'), is not found on another territory's host, whoever asks there."""
    worlds = _world(app)
    publication = db.session.scalar(
        select(Publication).where(Publication.territory_id == worlds["b"]["actor"].territory_id)
    )
    publication.status = status
    db.session.commit()
    url = f"/media/{db.session.get(Media, publication.image_media_id).token}"

    member_b = app.test_client()
    login_as(member_b, worlds["b"]["admin"], acting_actor=worlds["b"]["actor"], base_url=HOST_B)
    assert member_b.get(url, base_url=HOST_B).status_code == 200
    member_a = app.test_client()
    login_as(member_a, worlds["a"]["admin"], acting_actor=worlds["a"]["actor"])
    for client in (app.test_client(), member_a, member_b):
        assert client.get(url, base_url=HOST_A).status_code == 404


@pytest.mark.parametrize("kind", ACTOR_KINDS)
def test_a_towns_admin_gives_kinds_and_accepts_changes_only_in_their_own_town(app, kind):
    """The kinds that carry powers (town service, tourism office) are the town's to give: another
    town's administrator can neither give a kind to, nor accept a change of, an actor not theirs."""
    a, b = make_territory("a", "Town A", hosts=("localhost",)), make_territory("b", "Town B", hosts=("b.localhost",))
    admin_a = make_user(a, "admin@a.test", is_admin=True, language="en")
    shop_b = make_actor(b, "Shop b", kind="merchant", pending_name="Mairie de B", pending_kind=kind)
    client = app.test_client()
    login_as(client, admin_a)
    token = csrf_token(client, "/admin/actors", base_url=HOST_A)
    for path, data in ((f"/admin/actors/{shop_b.id}/kind", {"kind": kind}),
                       (f"/admin/actors/{shop_b.id}/change/accept", {})):
        response = client.post(path, base_url=HOST_A, data={"csrf_token": token, **data})
        assert response.status_code == 404, path
    db.session.expire_all()
    kept = db.session.get(type(shop_b), shop_b.id)
    assert (kept.name, kept.kind, kept.pending_kind) == ("Shop b", "merchant", kind)
    # Nor may any actor of either town take a kind with powers itself: tests/actors/test_kinds_and_changes.
    assert set(POWERED_KINDS) <= set(ACTOR_KINDS)
