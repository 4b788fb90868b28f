"""The town service's agents: their queue, a report's page, and what they do on it. They act as
their service; another service's report, or any report for an actor that is no town service,
is not found; and no page of theirs names the reporter."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.delivery.models import InboxItem
from app.extensions import db
from app.media.models import Media
from app.models_common import utcnow
from app.reports import services
from app.reports.models import Report, ReportFollower, ReportMessage, ReportPhoto, ReportUpdate
from tests.factories import login_as
from tests.reports.helpers_agents import (
    IN_HILL,
    IN_PORT,
    REPORTER_EMAIL,
    REPORTER_NAME,
    REPORTER_PHONE,
    file,
    make_town,
)
from tests.support.csrf import csrf_token


@pytest.fixture
def town(app):
    return make_town()


def _as(client, user, actor=None):
    login_as(client, user, acting_actor=actor)
    client.csrf = csrf_token(client, "/")
    return client


@pytest.fixture
def agent(client, town):
    return _as(client, town.agent, town.roads)


def _post(client, path, **data):
    return client.post(path, data={"csrf_token": client.csrf, **data})


def _inbox(user):
    return list(db.session.scalars(select(InboxItem).where(InboxItem.user_id == user.id).order_by(InboxItem.id)))


# --- who may see what --------------------------------------------------------------------------------


def test_an_agent_of_another_service_gets_404_on_every_page_of_a_report(app, town):
    report = file(town, town.potholes)
    gardener = _as(app.test_client(), town.gardener, town.green)
    assert gardener.get(f"/manage/reports/{report.id}").status_code == 404
    for path, data in ((f"/manage/reports/{report.id}/status", {"status": "resolved", "note": "Fait"}),
                       (f"/manage/reports/{report.id}/assign", {"agent_id": str(town.gardener.id)}),
                       (f"/manage/reports/{report.id}/reply", {"body": "Bonjour"}),
                       (f"/manage/reports/{report.id}/photos/approve", {"photo_id": "1"})):
        assert _post(gardener, path, **data).status_code == 404, path
    db.session.expire_all()
    kept = db.session.get(Report, report.id)
    assert (kept.status, kept.assigned_to_id) == ("received", None)
    assert db.session.scalar(select(ReportMessage)) is None
    # Nor does the green-spaces queue list the roads' reports.
    assert f"/manage/reports/{report.id}" not in gardener.get("/manage/reports").get_data(as_text=True)


def test_a_member_of_the_roads_acting_as_another_actor_does_not_reach_its_reports(app, town):
    """Roles are per actor: the same person acting as the green spaces sees only theirs."""
    from tests.factories import make_member

    make_member(town.gardener, town.roads, "editor")
    report = file(town, town.potholes)
    as_green = _as(app.test_client(), town.gardener, town.green)
    assert as_green.get(f"/manage/reports/{report.id}").status_code == 404
    as_roads = _as(app.test_client(), town.gardener, town.roads)
    assert as_roads.get(f"/manage/reports/{report.id}").status_code == 200


def test_a_merchant_has_no_queue_and_no_report(app, town):
    report = file(town, town.potholes)
    merchant = _as(app.test_client(), town.merchant, town.shop)
    assert merchant.get("/manage/reports").status_code == 404
    assert merchant.get(f"/manage/reports/{report.id}").status_code == 404
    assert _post(merchant, f"/manage/reports/{report.id}/status", status="resolved", note="x").status_code == 404


def test_a_citizen_not_acting_as_an_actor_is_refused_and_a_visitor_sent_away(app, town):
    report = file(town, town.potholes)
    reporter = _as(app.test_client(), town.reporter)
    assert reporter.get("/manage/reports").status_code == 403
    assert reporter.get(f"/manage/reports/{report.id}").status_code == 403
    visitor = app.test_client()
    assert visitor.get(f"/manage/reports/{report.id}").status_code in (302, 401)


# --- the queue ------------------------------------------------------------------------------------


def test_the_queue_lists_the_services_reports_oldest_first_with_the_overdue_flagged(agent, town):
    now = utcnow()
    late = file(town, town.lights, now=now - timedelta(days=8))  # 5 days expected: overdue
    recent = file(town, town.potholes, now=now - timedelta(days=1))
    file(town, town.trees)  # the green spaces'
    html = agent.get("/manage/reports").get_data(as_text=True)
    assert html.index(f"/manage/reports/{late.id}") < html.index(f"/manage/reports/{recent.id}")
    assert "Arbre dangereux" not in html.split('id="agents-queue-list"')[1]
    late_row = html.split(f"/manage/reports/{late.id}")[0].rsplit("<li", 1)[1]
    recent_row = html.split(f"/manage/reports/{recent.id}")[0].rsplit("<li", 1)[1]
    assert "Overdue" in late_row and "is-overdue" in late_row
    assert "Overdue" not in recent_row


def test_the_queue_filters_by_category_neighbourhood_and_status(agent, town):
    now = utcnow()
    pothole_port = file(town, town.potholes, IN_PORT)
    pothole_hill = file(town, town.potholes, IN_HILL)
    light_port = file(town, town.lights, IN_PORT, now=now - timedelta(days=9))
    done = file(town, town.potholes, IN_PORT)
    services.change_status(done, "resolved", "Rebouché")
    assert (pothole_port.neighbourhood_id, pothole_hill.neighbourhood_id) == (town.port.id, town.hill.id)

    def listed(**query):
        html = agent.get("/manage/reports", query_string=query).get_data(as_text=True)
        listing = html.split('id="agents-queue-list"')[1]
        return {r.id for r in (pothole_port, pothole_hill, light_port, done) if f"/manage/reports/{r.id}\"" in listing}

    assert listed() == {pothole_port.id, pothole_hill.id, light_port.id}
    assert listed(category=town.potholes.id) == {pothole_port.id, pothole_hill.id}
    assert listed(neighbourhood=town.hill.id) == {pothole_hill.id}
    assert listed(category=town.potholes.id, neighbourhood=town.port.id) == {pothole_port.id}
    assert listed(status="overdue") == {light_port.id}
    assert listed(status="resolved") == {done.id}
    assert listed(status="all") == {pothole_port.id, pothole_hill.id, light_port.id, done.id}
    # Another service's category is no filter of this queue: the whole queue, not the trees.
    assert listed(category=town.trees.id) == {pothole_port.id, pothole_hill.id, light_port.id}


def test_the_queue_filter_answers_the_list_alone_to_htmx(agent, town):
    file(town, town.potholes)
    response = agent.get("/manage/reports", query_string={"status": "open"}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="agents-queue-list"')
    assert "HX-Request" in response.headers.get("Vary", "")


# --- changing the status ----------------------------------------------------------------------------


def test_a_status_change_is_public_and_reaches_the_reporter_and_a_follower(agent, town):
    report = file(town, town.potholes)
    services.follow(report, town.follower)
    response = _post(agent, f"/manage/reports/{report.id}/status", status="in_progress", note="Équipe prévue jeudi.")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == "in_progress"
    update = db.session.scalars(select(ReportUpdate).where(ReportUpdate.report_id == report.id)
                                .order_by(ReportUpdate.id.desc())).first()
    assert (update.status, update.note, update.by) == ("in_progress", "Équipe prévue jeudi.", "service")
    for person in (town.reporter, town.follower):
        items = _inbox(person)
        assert len(items) == 1 and items[0].body == "Équipe prévue jeudi."
        assert "In progress" in items[0].title and items[0].url.endswith(f"/reports/{report.id}")
    assert _inbox(town.agent) == []
    page = agent.get(f"/manage/reports/{report.id}").get_data(as_text=True)
    assert "Équipe prévue jeudi." in page


def test_not_ours_without_naming_the_service_is_refused_with_a_clear_message(agent, town):
    report = file(town, town.potholes)
    response = _post(agent, f"/manage/reports/{report.id}/status", status="not_ours", note="Pas chez nous.")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = html.split('id="not_ours_service-error"', 1)[1].split("</p>", 1)[0]
    assert "Say which service handles it" in error
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == "received"
    assert _inbox(town.reporter) == []
    response = _post(agent, f"/manage/reports/{report.id}/status", status="not_ours", note="Route départementale.",
                     not_ours_service="Département des Bouches-du-Rhône")
    assert response.status_code == 303
    db.session.expire_all()
    kept = db.session.get(Report, report.id)
    assert (kept.status, kept.not_ours_service) == ("not_ours", "Département des Bouches-du-Rhône")
    assert "Département des Bouches-du-Rhône" in agent.get(f"/manage/reports/{report.id}").get_data(as_text=True)


def test_merging_offers_the_nearby_open_reports_and_moves_the_followers(agent, town):
    first = file(town, town.potholes, IN_PORT)
    duplicate = file(town, town.potholes, (IN_PORT[0] + 0.0002, IN_PORT[1]), reporter=town.follower)
    far = file(town, town.potholes, IN_HILL)
    other_kind = file(town, town.lights, IN_PORT)
    neighbour = town.merchant
    services.follow(duplicate, neighbour)
    page = agent.get(f"/manage/reports/{duplicate.id}").get_data(as_text=True)
    choices = page.split('name="merged_into"', 1)[1].split("</select>", 1)[0]
    assert f'value="{first.id}"' in choices
    assert f'value="{far.id}"' not in choices and f'value="{other_kind.id}"' not in choices
    assert f'value="{duplicate.id}"' not in choices

    # Without choosing the report it duplicates: refused.
    response = _post(agent, f"/manage/reports/{duplicate.id}/status", status="merged", note="Doublon")
    assert response.status_code == 422
    assert "Choose the report it duplicates." in response.get_data(as_text=True)
    # A report not offered (another category) cannot be chosen either.
    response = _post(agent, f"/manage/reports/{duplicate.id}/status", status="merged", note="Doublon",
                     merged_into=str(other_kind.id))
    assert response.status_code == 422

    response = _post(agent, f"/manage/reports/{duplicate.id}/status", status="merged", note="Déjà signalé.",
                     merged_into=str(first.id))
    assert response.status_code == 303
    db.session.expire_all()
    merged = db.session.get(Report, duplicate.id)
    assert (merged.status, merged.merged_into_id) == ("merged", first.id)
    followers = set(db.session.scalars(select(ReportFollower.user_id).where(ReportFollower.report_id == first.id)))
    assert followers == {town.follower.id, neighbour.id}  # the duplicate's reporter and its follower
    assert [i.body.splitlines()[0] for i in _inbox(neighbour)] == ["Déjà signalé."]


# --- assigning, photos ------------------------------------------------------------------------------


def test_an_agent_assigns_a_report_to_themselves_or_a_colleague_but_not_to_a_stranger(agent, town):
    report = file(town, town.potholes)
    page = agent.get(f"/manage/reports/{report.id}").get_data(as_text=True)
    assert "Carl Collègue" in page and "Assign to me" in page
    assert _post(agent, f"/manage/reports/{report.id}/assign", agent_id=str(town.agent.id)).status_code == 303
    db.session.expire_all()
    assert db.session.get(Report, report.id).assigned_to_id == town.agent.id
    assert "assigned to you" in agent.get("/manage/reports").get_data(as_text=True)
    assert _post(agent, f"/manage/reports/{report.id}/assign", agent_id=str(town.colleague.id)).status_code == 303
    db.session.expire_all()
    assert db.session.get(Report, report.id).assigned_to_id == town.colleague.id
    response = _post(agent, f"/manage/reports/{report.id}/assign", agent_id=str(town.gardener.id))
    assert response.status_code == 422
    assert "Choose one of the service’s agents." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Report, report.id).assigned_to_id == town.colleague.id


def test_an_agent_approves_a_photo_for_the_public(app, agent, town):
    media = Media(territory_id=town.territory.id, content_type="image/webp", data=b"RIFF0000WEBPVP8 ", width=1, height=1)
    db.session.add(media)
    db.session.commit()
    report = file(town, town.potholes, photo_media_ids=(media.id,))
    photo = db.session.scalar(select(ReportPhoto).where(ReportPhoto.report_id == report.id))
    page = agent.get(f"/manage/reports/{report.id}").get_data(as_text=True)
    assert "Approve: show it to the public" in page and media.token in page
    # Before approval: the agents and the reporter see the file, the public and other services do not.
    visitor, gardener = app.test_client(), _as(app.test_client(), town.gardener, town.green)
    reporter = _as(app.test_client(), town.reporter)
    file_url = f"/media/{media.token}"
    assert agent.get(file_url).status_code == 200 and reporter.get(file_url).status_code == 200
    assert visitor.get(file_url).status_code == 404 and gardener.get(file_url).status_code == 404
    response = agent.post(f"/manage/reports/{report.id}/photos/approve", headers={"HX-Request": "true"},
                          data={"csrf_token": agent.csrf, "photo_id": str(photo.id)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="agents-photos"') and "Approve" not in html
    db.session.expire_all()
    assert db.session.get(ReportPhoto, photo.id).approved is True
    response = visitor.get(file_url)
    assert response.status_code == 200 and "public" in response.headers["Cache-Control"]
    # Another report's photo cannot be approved through this one.
    other = file(town, town.potholes, IN_HILL)
    assert _post(agent, f"/manage/reports/{other.id}/photos/approve", photo_id=str(photo.id)).status_code == 404


# --- the private thread ------------------------------------------------------------------------------


def test_a_reply_reaches_the_reporters_inbox_and_their_answer_comes_back_to_the_queue(agent, town):
    report = file(town, town.potholes)
    services.follow(report, town.follower)
    response = _post(agent, f"/manage/reports/{report.id}/reply", body="Pouvez-vous préciser le numéro ?")
    assert response.status_code == 303
    items = _inbox(town.reporter)
    assert len(items) == 1 and items[0].body == "Pouvez-vous préciser le numéro ?"
    assert _inbox(town.follower) == []  # private: the followers are not told
    # The reporter answers through the platform.
    services.write(report, False, town.reporter, "Devant le 12, rue Victor-Hugo.")
    queue = agent.get("/manage/reports").get_data(as_text=True)
    assert "New answer from the reporter" in queue
    page = agent.get(f"/manage/reports/{report.id}").get_data(as_text=True)
    thread = page.split('id="thread"', 1)[1]
    assert "Pouvez-vous préciser le numéro ?" in thread and "Devant le 12, rue Victor-Hugo." in thread
    assert "The reporter" in thread
    # Read once the report was opened.
    assert "New answer from the reporter" not in agent.get("/manage/reports").get_data(as_text=True)


def test_an_empty_reply_is_refused(agent, town):
    report = file(town, town.potholes)
    assert _post(agent, f"/manage/reports/{report.id}/reply", body="   ").status_code == 422
    assert _inbox(town.reporter) == []


def test_no_page_of_the_agents_names_the_reporter(agent, town):
    report = file(town, town.potholes, address="3 rue du Port")
    services.follow(report, town.follower)
    services.write(report, False, town.reporter, "Merci")
    _post(agent, f"/manage/reports/{report.id}/reply", body="Bien reçu")
    markers = {REPORTER_NAME, REPORTER_EMAIL, REPORTER_EMAIL.split("@")[0], REPORTER_PHONE, REPORTER_PHONE[1:],
               "0" + REPORTER_PHONE[3:], "Fanny Follower", "follower@example.org"}
    pages = [f"/manage/reports/{report.id}", "/manage/reports", "/manage/reports?status=all"]
    for htmx in (False, True):
        for path in pages:
            response = agent.get(path, headers={"HX-Request": "true"} if htmx else {})
            assert response.status_code == 200
            html = response.get_data(as_text=True).lower()
            assert not [m for m in markers if m.lower() in html], path
    # And after each action, the page the agent lands on.
    for path, data in ((f"/manage/reports/{report.id}/status", {"status": "not_ours", "note": "x"}),
                       (f"/manage/reports/{report.id}/assign", {"agent_id": "nobody"})):
        html = _post(agent, path, **data).get_data(as_text=True).lower()
        assert not [m for m in markers if m.lower() in html], path


def test_a_long_queue_says_that_only_the_oldest_are_shown(agent, town, monkeypatch):
    from app.reports import routes_agents

    monkeypatch.setattr(routes_agents, "QUEUE_LIMIT", 2)
    now = utcnow()
    reports = [file(town, town.potholes, now=now - timedelta(hours=3 - i)) for i in range(3)]
    html = agent.get("/manage/reports").get_data(as_text=True)
    assert [f"/manage/reports/{r.id}\"" in html for r in reports] == [True, True, False]
    assert "Only the 2 oldest are shown" in html


def test_the_services_dashboard_links_to_its_reports(agent, app, town):
    assert "/manage/reports" in agent.get("/manage").get_data(as_text=True)
    merchant = _as(app.test_client(), town.merchant, town.shop)
    assert "/manage/reports" not in merchant.get("/manage").get_data(as_text=True)


NASTY = ["", " ", "\x00", "-1", "0", "9" * 30, "1e309", "NaN", "x" * 5000, "<script>alert(1)</script>", "\u202egnp"]


def test_odd_values_are_refused_without_an_error(agent, town):
    report = file(town, town.potholes)
    for value in NASTY:
        for path, name in ((f"/manage/reports/{report.id}/status", "status"),
                           (f"/manage/reports/{report.id}/status", "merged_into"),
                           (f"/manage/reports/{report.id}/assign", "agent_id"),
                           (f"/manage/reports/{report.id}/photos/approve", "photo_id"),
                           (f"/manage/reports/{report.id}/reply", "body")):
            data = {"status": "merged", "note": "n", name: value}
            response = _post(agent, path, **data)
            assert response.status_code in (303, 404, 422), (path, name, value, response.status_code)
        for name in ("status", "category", "neighbourhood"):
            assert agent.get("/manage/reports", query_string={name: value}).status_code == 200
    db.session.expire_all()
    assert db.session.get(Report, report.id).status == "received"
