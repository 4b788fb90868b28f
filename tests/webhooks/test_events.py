"""Each event gives its thin payload: identifiers, public addresses, codes; no person."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models_common import utcnow
from app.publications import services as publication_services
from app.reports import services as report_services
from app.reports.models import ReportCategory
from app.webhooks import sender, services
from app.webhooks.models import WebhookMessage
from tests.factories import make_actor, make_citizen, make_publication, make_territory


def _messages(event_type: str | None = None) -> list[WebhookMessage]:
    query = select(WebhookMessage).order_by(WebhookMessage.created_at)
    if event_type:
        query = query.where(WebhookMessage.event_type == event_type)
    return list(db.session.scalars(query))


def _no_person_in(text: str, *people) -> None:
    for person in people:
        assert person.email not in text
        for part in (person.display_name or "").split():
            assert part not in text


def test_publication_published_payload(app, receiver, endpoint, actor):
    publication = publication_services.create_publication(actor, "event", title="Fête du port", status="published",
                                                          starts_at=utcnow() + timedelta(days=3))
    sender.send_due()
    payload = json.loads(receiver.received[0].body)
    assert payload["type"] == "publication.published"
    assert payload["timestamp"].endswith("Z")
    assert payload["data"] == {"id": publication.id, "url": f"http://localhost/p/{publication.id}",
                               "actor_id": actor.id, "kind": "event"}


def test_a_draft_then_published_sends_once(app, endpoint, actor):
    publication = publication_services.create_publication(actor, "news", title="Brouillon")
    assert _messages() == []
    publication_services.set_status(publication, "published")
    publication_services.set_status(publication, "archived")
    publication_services.set_status(publication, "published")
    assert len(_messages("publication.published")) == 1


def test_an_unverified_actors_publication_is_not_announced(app, endpoint, territory):
    pending = make_actor(territory, "Pas encore vérifié", status="pending")
    publication_services.create_publication(pending, "news", title="Secret", status="published")
    assert _messages() == []


def test_an_endpoint_gets_only_its_events_and_only_its_territorys(app, territory, receiver, actor):
    polls_only = services.create_endpoint(territory, receiver.url, "", ["poll.closed"])
    other_town = make_territory("b", "Town B", hosts=("b.localhost",))
    elsewhere = services.create_endpoint(other_town, receiver.url, "", ["publication.published"])
    publication_services.create_publication(actor, "news", title="Pain", status="published")
    assert _messages() == []
    assert polls_only.id and elsewhere.id


def test_a_change_rolled_back_leaves_no_message(app, endpoint, actor):
    publication = publication_services.create_publication(actor, "news", title="Brouillon")
    publication_services.set_status(publication, "published", commit=False)
    db.session.rollback()
    assert _messages() == []


def test_report_status_changed_payload_names_nobody(app, receiver, endpoint, territory):
    category = ReportCategory(territory_id=territory.id, service_code="pothole", name="Pothole", expected_days=7)
    db.session.add(category)
    db.session.commit()
    reporter = make_citizen(territory, email="reporter@laciotat.example", display_name="Jeanne Reporter")
    follower = make_citizen(territory, email="follower@laciotat.example", display_name="Paul Follower")
    report, _created = report_services.file_report(territory, reporter, report_services.NewReport(
        category=category, lat=43.17, lon=5.60, description="Un trou devant chez Jeanne Reporter"))
    report_services.follow(report, follower)
    assert _messages() == []  # filing is not a status change

    report_services.change_status(report, "acknowledged", "Vu, merci Jeanne Reporter.")
    sender.send_due()
    [got] = receiver.received
    payload = json.loads(got.body)
    assert payload["type"] == "report.status_changed"
    assert payload["data"] == {"id": report.id, "url": f"http://localhost/reports/{report.id}",
                               "status": "acknowledged", "category": "pothole"}
    text = got.body.decode()
    _no_person_in(text, reporter, follower)
    assert "Jeanne" not in text and "follower" not in text.lower()


def test_a_closed_poll_is_announced_once(app, receiver, endpoint, actor):
    now = utcnow()
    closed = make_publication(actor, "Sondage du marché", kind="poll", valid_from=now - timedelta(days=3),
                              valid_until=now - timedelta(minutes=1))
    make_publication(actor, "Encore ouvert", kind="poll", valid_from=now - timedelta(days=1),
                     valid_until=now + timedelta(days=1))
    make_publication(actor, "Fermé il y a longtemps", kind="poll", valid_from=now - timedelta(days=40),
                     valid_until=now - timedelta(days=30))

    assert services.announce_closed_polls(now) == 1
    assert services.announce_closed_polls(now + timedelta(minutes=1)) == 0
    sender.send_due()
    [got] = receiver.received
    payload = json.loads(got.body)
    assert payload["type"] == "poll.closed"
    assert payload["data"] == {"id": closed.id, "url": f"http://localhost/polls/{closed.id}/results",
                               "actor_id": actor.id}
    assert len(_messages("poll.closed")) == 1


def test_a_test_event_goes_to_that_endpoint_alone(app, receiver, endpoint, territory):
    other = services.create_endpoint(territory, receiver.url, "", ["poll.closed"])
    services.send_test_event(endpoint)
    sender.send_due()
    [got] = receiver.received
    assert json.loads(got.body)["type"] == "webhook.test"
    assert [m.endpoint_id for m in _messages()] == [endpoint.id]
    assert other.id != endpoint.id
