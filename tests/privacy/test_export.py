"""Downloading one's data: the password again, an archive built in the background (JSON and
CSV of the person's data, nobody else's), progress polled, served only to its owner for seven
days, then purged with its file."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import geo
from app.accounts.models import Consent, User
from app.delivery import runs as delivery_runs
from app.delivery.models import InboxItem
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings, PushSubscription
from app.places import live
from app.privacy import exports as privacy_exports
from app.privacy import services
from app.privacy.models import DataExport
from app.syndication import services as calendar_links
from tests.accounts.conftest import post_form
from tests.delivery.conftest import make_campaign, make_citizens
from tests.factories import (
    NEGLIGIBLE_NOISE,
    PASSWORD,
    login_as,
    make_actor,
    make_follow,
    make_hashtag,
    make_member,
    make_neighbourhood,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token

TOWN_CENTRE = (43.17, 5.60)
LEA_ENDPOINT = "https://fcm.googleapis.com/fcm/send/lea-phone"
# A fixed moment for what the tests drive directly; the routes use the clock.
NOON = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def territory(app):  # type: ignore[no-untyped-def]
    return make_territory()


def push_subscription(user, endpoint: str) -> None:  # type: ignore[no-untyped-def]
    db.session.add(PushSubscription(
        user_id=user.id, territory_id=user.territory_id, endpoint=endpoint,
        endpoint_hash=hashlib.sha256(endpoint.encode()).hexdigest(), p256dh="key", auth="auth",
    ))


@pytest.fixture
def lea(territory):  # type: ignore[no-untyped-def]
    """A citizen with something in every part of the archive."""
    hood = make_neighbourhood(territory, "Vieux Port")
    user = make_user(territory, email="lea@example.org", display_name="Léa", language="en",
                     neighbourhood_id=hood.id, population_type="resident",
                     residence_cell=geo.cell_of(*TOWN_CENTRE))
    user.hashtags = [make_hashtag(territory, "bio"), make_hashtag(territory, "theatre")]
    bakery = make_actor(territory, "Bakery")
    make_follow(user, bakery)
    make_member(user, make_actor(territory, "Rowing club"), "editor")
    db.session.add(Consent(user_id=user.id, purpose="terms"))
    db.session.add(InboxItem(user_id=user.id, territory_id=territory.id, actor_id=bakery.id,
                             title="Fresh bread at 7", body="Come early."))
    push_subscription(user, LEA_ENDPOINT)
    db.session.add(NotificationSettings(user_id=user.id, sms_enabled=True, phone="+33612345678"))
    db.session.commit()
    live.turn_on_live_location(user)
    live.check_in(user, territory, *TOWN_CENTRE)
    return user


@pytest.fixture
def sam(territory):  # type: ignore[no-untyped-def]
    """Another citizen of the same town, whose data must never be in Léa's archive."""
    user = make_user(territory, email="sam@example.org", display_name="Sam")
    user.hashtags = [make_hashtag(territory, "jazz")]
    db.session.add(InboxItem(user_id=user.id, territory_id=territory.id, title="Sam's secret"))
    push_subscription(user, "https://fcm.googleapis.com/fcm/send/sam-phone")
    db.session.add(NotificationSettings(user_id=user.id, phone="+33699999999"))
    db.session.commit()
    return user


def ask_for_export(client, password: str = PASSWORD, **kwargs):  # type: ignore[no-untyped-def]
    return post_form(client, "/me/privacy/export", {"password": password}, **kwargs)


def exports() -> list[DataExport]:
    return list(db.session.scalars(select(DataExport).order_by(DataExport.id)))


def archive_of(export: DataExport) -> dict[str, str]:
    with zipfile.ZipFile(privacy_exports.export_path(export)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_the_export_needs_the_right_password(client, lea):
    login_as(client, lea)

    response = ask_for_export(client, "not my password")

    assert response.status_code == 422
    assert "This is not your password." in response.get_data(as_text=True)
    assert exports() == []


def test_the_archive_holds_json_and_csv_of_the_persons_data_and_nobody_elses(client, lea, sam):
    login_as(client, lea)
    calendar_token = calendar_links.new_calendar_link(lea)

    response = ask_for_export(client)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/me/privacy#export")
    [export] = exports()
    assert (export.user_id, export.territory_id) == (lea.id, lea.territory_id)
    assert export.status == "ready" and export.progress == 100
    assert export.expires_at - export.ready_at == timedelta(days=7)
    assert export.size == privacy_exports.export_path(export).stat().st_size
    assert "lea" not in export.file_name and str(lea.id) != export.file_name.split(".")[0]

    files = archive_of(export)
    sections = [name for name, *_rest in services.SECTIONS]
    assert set(files) == {"data.json", "README.txt"} | {f"{name}.csv" for name in sections}
    data = json.loads(files["data.json"])
    assert data["account"]["email"] == "lea@example.org"
    assert data["account"]["display_name"] == "Léa"
    assert data["profile"]["neighbourhood"] == "Vieux Port"
    assert data["profile"]["population_type"] == "resident"
    assert data["profile"]["residence_cell"] == format(geo.cell_of(*TOWN_CENTRE), "x")
    assert [h["hashtag"] for h in data["hashtags"]] == ["#bio", "#theatre"]
    assert [f["actor"] for f in data["follows"]] == ["Bakery"]
    assert {c["purpose"] for c in data["consents"]} == {"terms", "live_location"}
    assert data["inbox"][0]["title"] == "Fresh bread at 7"
    assert data["inbox"][0]["from_actor"] == "Bakery"
    assert data["memberships"] == [{"actor": "Rowing club", "role": "editor",
                                    "since": data["memberships"][0]["since"]}]
    assert data["push_subscriptions"][0]["push_service"] == "https://fcm.googleapis.com"
    assert data["push_subscriptions"][0]["endpoint"] == LEA_ENDPOINT
    assert data["notification_settings"]["phone"] == "+33612345678"
    assert data["live_location"]["cell"] == format(geo.cell_of(*TOWN_CENTRE), "x")
    # The personal calendar link: that it exists, never the link (only its hash is kept).
    assert data["calendar_link"]["calendar_link_on"] is True and data["calendar_link"]["made_at"]
    assert calendar_token not in "\n".join(files.values())

    account = list(csv.DictReader(io.StringIO(files["account.csv"].lstrip("\ufeff"))))
    assert account[0]["email"] == "lea@example.org"
    inbox = list(csv.DictReader(io.StringIO(files["inbox.csv"].lstrip("\ufeff"))))
    assert [row["title"] for row in inbox] == ["Fresh bread at 7"]
    assert "lea@example.org" not in files["README.txt"] and "data.json" in files["README.txt"]

    everything = "\n".join(files.values())
    for secret in ("sam@example.org", "Sam's secret", "sam-phone", "+33699999999", "#jazz"):
        assert secret not in everything


def test_each_part_has_its_csv_header_even_when_empty(client, territory):
    newcomer = make_user(territory, email="new@example.org")
    login_as(client, newcomer)

    ask_for_export(client)

    files = archive_of(exports()[0])
    data = json.loads(files["data.json"])
    assert data["inbox"] == [] and data["live_location"] is None
    assert files["inbox.csv"].lstrip("\ufeff").startswith("kind,from_actor,title,body,url,")


def test_text_written_by_an_actor_cannot_run_as_a_spreadsheet_formula(client, territory):
    user = make_user(territory)
    db.session.add(InboxItem(user_id=user.id, territory_id=territory.id,
                             title='=HYPERLINK("https://evil.example","Win")'))
    db.session.commit()
    login_as(client, user)

    ask_for_export(client)

    files = archive_of(exports()[0])
    inbox = list(csv.DictReader(io.StringIO(files["inbox.csv"].lstrip("\ufeff"))))
    assert inbox[0]["title"].startswith("'=")
    assert json.loads(files["data.json"])["inbox"][0]["title"].startswith("=")  # JSON keeps it


def test_the_progress_is_polled_until_the_link_appears(client, lea):
    export, created = privacy_exports.request_export(lea, now=NOON)  # queued, not built yet
    assert created
    login_as(client, lea)
    poll = {"HX-Request": "true"}

    waiting = client.get("/me/privacy/export/status", headers=poll).get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in waiting
    assert '<progress id="export-progress" max="100" value="0">' in waiting
    assert "/download" not in waiting

    assert privacy_exports.build_export(export.id)

    ready = client.get("/me/privacy/export/status", headers=poll).get_data(as_text=True)
    assert "hx-trigger" not in ready  # polling stops
    assert f"/me/privacy/export/{export.id}/download" in ready
    # Without htmx, the status is the centre itself.
    assert client.get("/me/privacy/export/status").status_code == 303


def test_the_page_shows_the_progress_then_the_download_link(client, lea):
    export, _created = privacy_exports.request_export(lea, now=NOON)
    login_as(client, lea)

    page = client.get("/me/privacy").get_data(as_text=True)
    assert 'hx-trigger="every 2s"' in page and 'name="password"' not in page

    privacy_exports.build_export(export.id)
    page = client.get("/me/privacy").get_data(as_text=True)
    assert "hx-trigger" not in page.split('id="export"')[1]
    assert f"/me/privacy/export/{export.id}/download" in page


def test_the_password_form_answers_in_place_with_htmx(client, lea):
    login_as(client, lea)
    headers = {"HX-Request": "true", "X-CSRFToken": csrf_token(client, "/me/privacy")}

    wrong = client.post("/me/privacy/export", data={"password": "nope"}, headers=headers)
    assert wrong.status_code == 422
    assert wrong.get_data(as_text=True).lstrip().startswith("<section id=\"export\"")

    right = client.post("/me/privacy/export", data={"password": PASSWORD}, headers=headers)
    assert right.status_code == 200
    assert "/download" in right.get_data(as_text=True)


def test_only_the_owner_downloads_the_archive_and_nothing_keeps_a_copy(client, territory, lea, sam):
    login_as(client, lea)
    ask_for_export(client)
    [export] = exports()

    response = client.get(f"/me/privacy/export/{export.id}/download")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    assert zipfile.ZipFile(io.BytesIO(response.data)).testzip() is None
    response.close()

    other = client.application.test_client()
    login_as(other, sam)
    assert other.get(f"/me/privacy/export/{export.id}/download").status_code == 404
    anonymous = client.application.test_client()
    assert anonymous.get(f"/me/privacy/export/{export.id}/download").status_code == 302


def test_the_archive_is_not_found_after_seven_days(client, lea):
    login_as(client, lea)
    ask_for_export(client)
    [export] = exports()
    export.ready_at -= timedelta(days=7, seconds=1)
    export.expires_at = export.ready_at + privacy_exports.EXPORT_LIFETIME
    db.session.commit()

    assert client.get(f"/me/privacy/export/{export.id}/download").status_code == 404


def test_purge_removes_the_expired_archives_file_and_row(app, lea):
    export, _created = privacy_exports.request_export(lea, now=NOON)
    privacy_exports.build_export(export.id, now=NOON)
    path = privacy_exports.export_path(export)
    assert path.is_file()

    assert privacy_exports.purge_expired_exports(NOON + timedelta(days=6, hours=23)) == 0
    assert path.is_file()

    assert privacy_exports.purge_expired_exports(NOON + timedelta(days=7)) == 1
    assert not path.exists()
    assert exports() == []


def test_a_new_request_replaces_the_older_archive(client, lea):
    login_as(client, lea)
    ask_for_export(client)
    [first] = exports()
    first_path = privacy_exports.export_path(first)
    db.session.expunge(first)

    ask_for_export(client)

    [second] = exports()
    assert second.file_name != first.file_name and second.status == "ready"
    assert not first_path.exists()


def test_only_one_export_is_in_progress_at_a_time(app, lea):
    first, created = privacy_exports.request_export(lea, now=NOON)
    again, created_again = privacy_exports.request_export(lea, now=NOON + timedelta(minutes=1))

    assert created and not created_again and again.id == first.id
    assert db.session.scalar(select(func.count()).select_from(DataExport)) == 1


def test_a_replaced_export_stops_building_and_leaves_no_file(app, lea, monkeypatch):
    export, _created = privacy_exports.request_export(lea, now=NOON)
    export_id, path = export.id, privacy_exports.export_path(export)

    def replaced_meanwhile(user, now):  # type: ignore[no-untyped-def]
        privacy_exports.delete_exports_of(user)
        return []

    name, columns, _collect, single = services.SECTIONS[2]
    sections = list(services.SECTIONS)
    sections[2] = (name, columns, replaced_meanwhile, single)
    monkeypatch.setattr(services, "SECTIONS", tuple(sections))

    assert privacy_exports.build_export(export_id) is False
    assert not path.exists() and not path.with_suffix(".part").exists()
    assert exports() == []


def test_the_readme_dates_the_archive_in_the_towns_time_zone_and_language(app, territory):
    """The worker has no request to take a time zone from: the archive's README still says the
    town's local time, in the person's language."""
    territory.timezone = "America/Guadeloupe"  # UTC-4 all year
    db.session.commit()
    person = make_user(territory, email="anne@example.org")
    person.language = "fr"
    db.session.commit()

    readme = privacy_exports._readme(person, territory, datetime(2025, 3, 14, 23, 30, tzinfo=UTC))

    assert "14 mars 2025" in readme and "19:30:00" in readme


def test_a_person_registered_in_french_finds_their_deliveries_and_language_in_the_archive(client, app):
    """"What we hold" counts the messages sent to the person: the archive lists each of them
    (campaign, actor, channel, status, time), and the language they registered in."""
    town = make_territory(**NEGLIGIBLE_NOISE)
    bakery = make_actor(town, "Boulangerie Martin")
    make_citizens(town, bakery, 12)  # the audience reaches the floor
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    registered = post_form(client, "/register", {
        "email": "amelie@example.org", "password": "sea spray and pine trees",
        "display_name": "Amélie", "accept_terms": "y",
    })
    assert registered.status_code == 303
    amelie = db.session.scalar(select(User).where(User.email == "amelie@example.org"))
    login_as(client, amelie)  # registering does not log in: the account is made by the worker
    make_follow(amelie, bakery)
    campaign = make_campaign(bakery, channels=("inbox",), title="Pain chaud à 7 h")
    assert delivery_runs.start_run(campaign, utcnow()).status == "sent"

    assert ask_for_export(client, "sea spray and pine trees").status_code == 303

    files = archive_of(exports()[0])
    data = json.loads(files["data.json"])
    assert data["account"]["language"] == "fr"
    [delivery] = data["deliveries"]
    assert delivery["campaign"] == "Pain chaud à 7 h"
    assert delivery["from_actor"] == "Boulangerie Martin"
    assert (delivery["channel"], delivery["status"]) == ("inbox", "sent")
    assert datetime.fromisoformat(delivery["sent_at"]) <= utcnow()
    rows = list(csv.DictReader(io.StringIO(files["deliveries.csv"].lstrip("\ufeff"))))
    assert [(r["campaign"], r["from_actor"], r["channel"], r["status"]) for r in rows] == [
        ("Pain chaud à 7 h", "Boulangerie Martin", "inbox", "sent")
    ]
    assert "deliveries.csv" in files["README.txt"]
    assert len(data["deliveries"]) == services.holdings(amelie).deliveries
