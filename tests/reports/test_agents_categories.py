"""The town admin keeps the report categories: each with its Open311 code (unique in the town),
the town service that handles it and its expected time; a deactivated one is no longer offered."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.reports import services
from app.reports.models import ReportCategory
from tests.factories import login_as, make_actor, make_territory, make_user
from tests.support.csrf import csrf_token

HTMX = {"HX-Request": "true"}


@pytest.fixture
def territory(app):
    return make_territory("laciotat", "La Ciotat", hosts=("localhost",))


@pytest.fixture
def roads(territory):
    return make_actor(territory, "Voirie", kind="town_service")


@pytest.fixture
def admin(client, territory):
    login_as(client, make_user(territory, "admin@laciotat.test", is_admin=True, language="en"))
    client.csrf = csrf_token(client, "/admin/reports/categories")
    return client


def _add(admin, **fields):
    data = {"name": "Nid-de-poule", "description": "Un trou dans la chaussée", "service_code": "pothole",
            "service_actor_id": "", "expected_days": "10", **fields}
    return admin.post("/admin/reports/categories", data={"csrf_token": admin.csrf, **data})


def _categories(territory):
    return list(db.session.scalars(select(ReportCategory).where(ReportCategory.territory_id == territory.id)
                                   .order_by(ReportCategory.id)))


def test_the_admin_adds_a_category_handled_by_a_town_service(admin, territory, roads):
    make_actor(territory, "Boulangerie", kind="merchant")
    page = admin.get("/admin/reports/categories").get_data(as_text=True)
    choices = page.split('name="service_actor_id"', 1)[1].split("</select>", 1)[0]
    assert "Voirie" in choices and "Boulangerie" not in choices  # only the town's services
    response = _add(admin, service_actor_id=str(roads.id))
    assert response.status_code == 303
    [category] = _categories(territory)
    assert (category.name, category.service_code, category.service_actor_id, category.expected_days, category.active) \
        == ("Nid-de-poule", "pothole", roads.id, 10, True)
    listing = admin.get("/admin/reports/categories").get_data(as_text=True)
    assert "Nid-de-poule" in listing and "pothole" in listing and "Voirie" in listing
    assert [c.id for c in services.categories(territory)] == [category.id]


def test_an_empty_code_is_made_from_the_name(admin, territory):
    assert _add(admin, name="Éclairage public", service_code="").status_code == 303
    assert _categories(territory)[0].service_code == "eclairage-public"


@pytest.mark.parametrize("code", ["Pot Hole", "nid/poule", "-start", "x" * 41])
def test_a_code_that_is_no_slug_is_refused_on_its_field(admin, territory, code):
    response = _add(admin, service_code=code)
    assert response.status_code == 422
    assert 'id="service_code-error"' in response.get_data(as_text=True)
    assert _categories(territory) == []


def test_a_code_is_unique_in_the_town_not_across_towns(app, admin, territory):
    assert _add(admin).status_code == 303
    response = _add(admin, name="Autre trou")
    assert response.status_code == 422
    error = response.get_data(as_text=True).split('id="service_code-error"', 1)[1].split("</p>", 1)[0]
    assert "Another category already has this code." in error
    other = make_territory("station", "Station", hosts=("station.localhost",))
    db.session.add(ReportCategory(territory_id=other.id, name="Trou", service_code="streetlight"))
    db.session.commit()
    assert _add(admin, name="Lampadaire", service_code="streetlight").status_code == 303


def test_a_service_that_is_no_town_service_or_of_another_town_is_refused(admin, territory):
    shop = make_actor(territory, "Boulangerie", kind="merchant")
    other = make_territory("station", "Station", hosts=("station.localhost",))
    their_roads = make_actor(other, "Voirie de la station", kind="town_service")
    for actor in (shop, their_roads):
        response = _add(admin, service_actor_id=str(actor.id))
        assert response.status_code == 422
        assert "Choose one of the town’s services." in response.get_data(as_text=True)
    assert _categories(territory) == []


def test_the_admin_edits_a_category(admin, territory, roads):
    _add(admin)
    [category] = _categories(territory)
    page = admin.get(f"/admin/reports/categories/{category.id}").get_data(as_text=True)
    assert 'value="pothole"' in page and 'value="Nid-de-poule"' in page
    response = admin.post(f"/admin/reports/categories/{category.id}", data={
        "csrf_token": admin.csrf, "name": "Chaussée abîmée", "description": "", "service_code": "pothole",
        "service_actor_id": str(roads.id), "expected_days": "14"})
    assert response.status_code == 303
    db.session.expire_all()
    category = db.session.get(ReportCategory, category.id)
    assert (category.name, category.service_code, category.service_actor_id, category.expected_days) \
        == ("Chaussée abîmée", "pothole", roads.id, 14)
    response = admin.post(f"/admin/reports/categories/{category.id}", data={
        "csrf_token": admin.csrf, "name": "Chaussée", "service_code": "pothole", "service_actor_id": "",
        "expected_days": "0"})
    assert response.status_code == 422 and 'id="expected_days-error"' in response.get_data(as_text=True)


def test_the_admin_deactivates_and_reactivates_a_category_in_place(admin, territory):
    _add(admin)
    [category] = _categories(territory)
    response = admin.post(f"/admin/reports/categories/{category.id}/deactivate",
                          data={"csrf_token": admin.csrf}, headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<li") and "<html" not in html and "Reactivate" in html
    db.session.expire_all()
    assert services.categories(territory) == []  # no longer offered to reporters
    response = admin.post(f"/admin/reports/categories/{category.id}/reactivate", data={"csrf_token": admin.csrf})
    assert response.status_code == 303
    db.session.expire_all()
    assert [c.id for c in services.categories(territory)] == [category.id]


def test_only_this_towns_admin_keeps_the_categories(app, territory, roads):
    category = ReportCategory(territory_id=territory.id, name="Trou", service_code="pothole")
    db.session.add(category)
    db.session.commit()
    visitor = app.test_client()
    response = visitor.get("/admin/reports/categories")
    assert response.status_code == 302 and "/login" in response.headers["Location"]

    citizen = app.test_client()
    login_as(citizen, make_user(territory, "citoyen@example.org"))
    token = csrf_token(citizen, "/")
    assert citizen.get("/admin/reports/categories").status_code == 403
    assert citizen.post(f"/admin/reports/categories/{category.id}/deactivate",
                        data={"csrf_token": token}).status_code == 403
    # An agent of the town service is no admin either.
    agent = make_user(territory, "agent@voirie.test")
    from tests.factories import make_member

    make_member(agent, roads)
    as_agent = app.test_client()
    login_as(as_agent, agent, acting_actor=roads)
    assert as_agent.get(f"/admin/reports/categories/{category.id}").status_code == 403

    other = make_territory("station", "Station", hosts=("station.localhost",))
    their_admin = make_user(other, "admin@station.test", is_admin=True)
    theirs = app.test_client()
    login_as(theirs, their_admin, base_url="http://station.localhost")
    assert theirs.get("/admin/reports/categories", base_url="http://station.localhost").status_code == 200
    assert theirs.get(f"/admin/reports/categories/{category.id}", base_url="http://station.localhost").status_code == 404
    db.session.expire_all()
    assert db.session.get(ReportCategory, category.id).active is True


@pytest.mark.parametrize("value", ["", "\x00", "-1", "9" * 30, "1e309", "NaN", "x" * 5000, "\u202egnp"])
def test_odd_values_are_refused_on_their_field(admin, territory, value):
    for name in ("name", "description", "service_code", "service_actor_id", "expected_days"):
        response = _add(admin, **{name: value})
        assert response.status_code in (303, 422), (name, value, response.status_code)
    assert all(len(c.name) <= 120 and 1 <= c.expected_days <= 365 for c in _categories(territory))
