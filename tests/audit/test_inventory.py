"""The commerce audit's data inventory: the town lists its sources by journey step; the platform's
own sources are filled in (shops counted exactly, people only through the release engine); the
coverage shows the steps with no source; the CSV holds it all; another town's source is a 404."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from app.audit import services_inventory as services
from app.audit.models_inventory import AuditDataSource
from app.audit.permissions import may_edit_audit
from app.extensions import db
from app.models_common import utcnow
from app.observatory import services as observatory
from app.places.models import FootfallHour
from app.releases.engine import Asker
from app.timezones import local_date
from tests.admin.conftest import login_on
from tests.factories import (
    login_as,
    make_actor,
    make_campaign,
    make_citizen,
    make_delivery,
    make_neighbourhood,
    make_publication,
    make_run,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token

HOST_B = "http://other.test"


@pytest.fixture
def territory(app):
    return make_territory("laciotat", "La Ciotat", hosts=("localhost",))


@pytest.fixture
def admin(territory):
    return make_user(territory, email="admin@laciotat.example", is_admin=True)


@pytest.fixture
def admin_client(client, admin):
    login_as(client, admin)
    client.csrf = csrf_token(client, "/admin/audit/data")  # type: ignore[attr-defined]
    return client


def _form(**overrides):
    data = {
        "name": "Parking sensors", "owner": "Town parking service", "measures": "Occupancy of the car parks",
        "format": "sensor", "freshness": "real_time", "last_updated": "2026-11-30", "legal_basis": "none",
        "legal_note": "", "open_data_url": "", "steps": ["park"], "notes": "",
    }
    data.update(overrides)
    return data


def _source(territory, name="Bus ridership", steps=("get_there",), **fields):
    source = AuditDataSource(territory_id=territory.id, name=name, measures="Passengers per line", **fields)
    source.steps = list(steps)
    db.session.add(source)
    db.session.commit()
    return source


def test_the_town_admin_adds_a_source_and_sees_it_under_its_step(admin_client, territory):
    response = admin_client.post("/admin/audit/data/new", data={**_form(), "csrf_token": admin_client.csrf})
    assert response.status_code == 303
    source = db.session.query(AuditDataSource).one()
    assert (source.territory_id, source.steps, source.format, source.last_updated) == (
        territory.id, ["park"], "sensor", date(2026, 11, 30))
    page = admin_client.get("/admin/audit/data?step=park").get_data(as_text=True)
    assert "Parking sensors" in page and f'id="source-{source.id}"' in page
    assert "Parking sensors" not in admin_client.get("/admin/audit/data?step=buy").get_data(as_text=True)


def test_bad_input_is_refused_with_clear_errors_and_nothing_typed_is_lost(admin_client):
    response = admin_client.post("/admin/audit/data/new", data={
        **_form(name="", personal_data="y", legal_basis="none", open_data_url="javascript:alert(1)", steps=[]),
        "csrf_token": admin_client.csrf})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give the source a name." in page
    assert "A source with personal data needs a legal basis" in page
    assert "Give the full address, starting with https://." in page
    assert "Choose at least one step of the journey." in page
    assert "Town parking service" in page and "Occupancy of the car parks" in page  # kept
    assert db.session.query(AuditDataSource).count() == 0


def test_errors_are_in_the_users_language(admin_client):
    response = admin_client.post("/admin/audit/data/new", data={**_form(name=""), "csrf_token": admin_client.csrf},
                                 headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    assert 'lang="fr"' in response.get_data(as_text=True)


def test_edit_and_delete(admin_client, territory):
    source = _source(territory)
    response = admin_client.post(f"/admin/audit/data/{source.id}/edit", data={
        **_form(name="Bus ridership (RDT13)", steps=["get_there", "plan_trip"], personal_data="y",
                legal_basis="public_task", open_data="y", open_data_url="https://data.example.org/bus"),
        "csrf_token": admin_client.csrf})
    assert response.status_code == 303
    db.session.refresh(source)
    assert (source.name, source.steps, source.legal_basis, source.open_data_url) == (
        "Bus ridership (RDT13)", ["get_there", "plan_trip"], "public_task", "https://data.example.org/bus")
    response = admin_client.post(f"/admin/audit/data/{source.id}/delete", data={"csrf_token": admin_client.csrf})
    assert response.status_code == 303
    assert db.session.get(AuditDataSource, source.id) is None


def test_a_change_without_the_csrf_token_is_refused(admin_client, territory):
    source = _source(territory)
    assert admin_client.post("/admin/audit/data/new", data=_form()).status_code == 400
    assert admin_client.post(f"/admin/audit/data/{source.id}/delete").status_code == 400
    assert admin_client.post(f"/admin/audit/data/{source.id}/edit", data=_form(name="X")).status_code == 400
    assert db.session.get(AuditDataSource, source.id).name == "Bus ridership"


def test_another_towns_source_is_a_404(admin_client, territory):
    other = make_territory("other", "Other", hosts=("other.test",))
    theirs = _source(other, name="Their Wi-Fi")
    for url in (f"/admin/audit/data/{theirs.id}/edit",):
        assert admin_client.get(url).status_code == 404
    assert admin_client.post(f"/admin/audit/data/{theirs.id}/delete",
                             data={"csrf_token": admin_client.csrf}).status_code == 404
    assert db.session.get(AuditDataSource, theirs.id) is not None
    assert "Their Wi-Fi" not in admin_client.get("/admin/audit/data").get_data(as_text=True)
    assert "Their Wi-Fi" not in admin_client.get("/admin/audit/data.csv").get_data(as_text=True)


def test_only_the_towns_admins_may_edit(client, territory, admin):
    citizen = make_citizen(territory)
    other = make_territory("other", "Other", hosts=("other.test",))
    other_admin = make_user(other, email="admin@other.example", is_admin=True)
    assert may_edit_audit(admin, territory) and not may_edit_audit(citizen, territory)
    assert not may_edit_audit(other_admin, territory)
    assert client.get("/admin/audit/data").status_code in (302, 303)
    login_as(client, citizen)
    for url in ("/admin/audit/data", "/admin/audit/data/new", "/admin/audit/data/coverage", "/admin/audit/data.csv"):
        assert client.get(url).status_code == 403, url
    login_on(client, other_admin, HOST_B)
    assert client.get("/admin/audit/data", base_url=HOST_B).status_code == 200
    assert client.get("/admin/audit/data", base_url="http://localhost").status_code == 403


def test_shop_shares_count_verified_shops(app, territory):
    make_actor(territory, "Baker", website="https://baker.example", click_and_collect=True,
               opening_hours_json='{"mon": [["08:00", "13:00"]]}')
    recent = make_actor(territory, "Grocer", delivers=True)
    make_publication(recent, "Fresh figs", published_at=utcnow() - timedelta(days=3))
    stale = make_actor(territory, "Florist", opening_hours_json="{}")
    make_publication(stale, "Old news", published_at=utcnow() - timedelta(days=services.ONLINE_DAYS + 5))
    make_actor(territory, "Unverified shop", status="pending", website="https://x.example", delivers=True)
    make_actor(territory, "Library", kind="culture", website="https://library.example")
    other = make_territory("other", "Other", hosts=("other.test",))
    make_actor(other, "Their baker", website="https://theirs.example", click_and_collect=True, delivers=True)
    shares = services.shop_shares(territory)
    assert shares == services.ShopShares(shops=3, with_hours=1, online=2, click_and_collect=1, delivers=1)
    with force_locale("en"):
        assert services.x_of_y(2, 3) == "2 of 3 shops (67%)"


def _footfall(territory, hood, town_present, hood_present):
    today = local_date(utcnow(), territory)
    for back in range(1, 4):
        for zone, present in (("town", town_present), (f"hood-{hood.id}", hood_present)):
            db.session.add(FootfallHour(territory_id=territory.id, zone=zone, local_date=today - timedelta(days=back),
                                        hour=11, samples=4, presence_sum=4 * present,
                                        neighbourhood_id=hood.id if zone != "town" else None))
    db.session.commit()


def test_footfall_comes_from_the_observatorys_released_table_and_a_small_zone_stays_empty(app, territory):
    hood = make_neighbourhood(territory, "Port")
    _footfall(territory, hood, town_present=300, hood_present=3)
    with app.test_request_context(), force_locale("en"):
        figures = services.footfall_figures(territory)
        table = observatory.footfall(territory, Asker.town(territory), services.FOOTFALL_DAYS).table
    released = next(row for row in table.rows if row.label == "11:00").cells
    assert released[0]  # the whole town: shown
    assert figures[0].value == f"11:00, {released[0]} people present on average"
    assert released[1] == "" and figures[1].value is None  # 3 people: hidden, never 0
    assert figures[1].label == "Port: busiest hour"
    with app.test_request_context(), force_locale("fr"):  # the figure read back in the reader's language
        french = services.footfall_figures(territory)
    assert french[0].value is not None and released[0].replace(",", "") in french[0].value.replace("\u202f", "")


def _reached(territory, hood, people):
    shop = make_actor(territory, f"Campaigner {hood.name}")
    run = make_run(make_campaign(shop))
    for i in range(people):
        person = make_citizen(territory, email=f"p{hood.id}-{i}@example.org", neighbourhood_id=hood.id)
        person.created_at = utcnow() - timedelta(days=40)
        make_delivery(run, person)
    db.session.commit()


def test_campaign_reach_is_released_by_neighbourhood_and_a_small_group_is_empty(app, territory):
    big, small = make_neighbourhood(territory, "Centre"), make_neighbourhood(territory, "Hills")
    _reached(territory, big, 60)
    _reached(territory, small, 2)
    with app.test_request_context(), force_locale("en"):
        figures = {f.label: f.value for f in services.reach_by_neighbourhood(territory)}
        again = {f.label: f.value for f in services.reach_by_neighbourhood(territory)}
    assert figures == again  # the same question in the same day: the same stored answer
    assert figures["Hills"] is None  # hidden: empty, never "0"
    assert figures["Centre"] and int(figures["Centre"].replace(",", "")) % 10 == 0  # rounded release
    assert figures["No neighbourhood given"] is None
    from app.releases.models import CountRelease
    assert db.session.query(CountRelease).filter_by(territory_id=territory.id, asker_kind="town").count() == 4


def test_the_list_shows_the_platforms_sources_read_only(admin_client, territory):
    make_actor(territory, "Baker", click_and_collect=True)
    make_actor(territory, "Butcher")
    page = admin_client.get("/admin/audit/data").get_data(as_text=True)
    assert "Filled in by the platform" in page
    for code in ("footfall", "opening_hours", "online_page", "click_and_collect", "delivery", "campaign_reach"):
        assert f'id="platform-{code}"' in page
    assert "1 of 2 shops (50%)" in page
    assert "/admin/audit/data/footfall" not in page  # nothing to edit


def test_coverage_flags_the_steps_with_no_source(admin_client, territory):
    _source(territory, name="Parking sensors", steps=("park",))
    page = admin_client.get("/admin/audit/data/coverage").get_data(as_text=True)
    steps = {code: page.split(f'id="step-{code}"')[1].split("</li>\n  \n")[0] for code, _ in services.DEFAULT_STEPS}
    assert "Parking sensors" in steps["park"] and "No source" not in steps["park"]
    assert "No source" in steps["buy"]  # nothing the town or the platform knows about paying
    assert "Click-and-collect offers" in steps["collect"]
    data = services.coverage(territory, services.town_sources(territory), [])
    assert [c.code for c in data if c.uncovered] == [c for c, _ in services.DEFAULT_STEPS if c != "park"]


def test_the_csv_holds_the_town_and_platform_sources(admin_client, territory):
    _source(territory, name="=HYPERLINK(evil)", steps=("park", "get_there"), owner="Transport authority")
    response = admin_client.get("/admin/audit/data.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "Source" and len(rows) == 1 + 1 + 6
    assert rows[1][0] == "'=HYPERLINK(evil)" and rows[1][2] == "Transport authority"
    assert "Park" in rows[1][12]
    assert {row[1] for row in rows[2:]} == {"the platform"}
    with admin_client.application.test_request_context(), force_locale("en"):
        assert services.inventory_rows(territory)[1][0] == "=HYPERLINK(evil)"
