"""Hardening 1: the kinds that carry powers (town service, tourism office) are the town's to give,
and a verified actor's new name or kind waits for the town, its verified ones staying public."""

from __future__ import annotations

import pytest

from app.actors.models import Actor
from app.actors.services import KindError, create_actor
from app.extensions import db
from tests.actors.conftest import post
from tests.factories import login_as, make_actor, make_member, make_territory, make_user
from tests.support.csrf import csrf_token


@pytest.fixture
def shop(client, outbox):
    territory = make_territory()
    actor = make_actor(territory, "Boulangerie du Port", kind="merchant")
    owner = make_user(territory)
    make_member(owner, actor, role="owner")
    admin = make_user(territory, is_admin=True)
    login_as(client, owner, acting_actor=actor)
    return territory, actor, owner, admin


def _texts_to(outbox, address):
    return [m.get_content() for m in outbox if m["To"] == address]


def _page_form(client, **overrides):
    data = {
        "csrf_token": csrf_token(client, "/manage/page"),
        "name": "Boulangerie du Port",
        "kind": "merchant",
        "summary": "",
    }
    data.update(overrides)
    return data


def test_a_verified_shop_cannot_turn_itself_into_a_town_service(client, shop):
    territory, actor, _owner, _admin = shop
    response = client.post(
        "/manage/page", data=_page_form(client, kind="town_service", name="Mairie de La Ciotat — Alerte")
    )
    assert response.status_code == 422
    db.session.refresh(actor)
    assert (actor.kind, actor.name, actor.status) == ("merchant", "Boulangerie du Port", "verified")
    assert actor.pending_kind is None and actor.pending_name is None
    # The campaign form does not offer civic alerts.
    form = client.get("/manage/campaigns/new").get_data(as_text=True)
    assert 'name="is_alert"' not in form
    # The page's form offers neither power kind.
    page_form = client.get("/manage/page").get_data(as_text=True)
    assert 'value="town_service"' not in page_form and 'value="tourism_office"' not in page_form


@pytest.mark.parametrize("kind", ["town_service", "tourism_office"])
def test_a_citizen_cannot_create_an_actor_of_a_powered_kind(client, kind):
    territory = make_territory()
    person = make_user(territory)
    login_as(client, person)
    response = post(client, "/actors/new", {"name": "Office", "kind": kind})
    assert response.status_code == 422
    assert db.session.query(Actor).count() == 0
    with pytest.raises(KindError):
        create_actor(territory, person, name="Office", kind=kind)


def test_a_verified_actors_new_name_waits_for_the_town(client, shop, outbox):
    territory, actor, _owner, admin = shop
    response = client.post(
        "/manage/page", data=_page_form(client, name="Mairie — Alerte", kind="association")
    )
    assert response.status_code == 303
    db.session.refresh(actor)
    # The old verified name and kind stay public; the page is still verified.
    assert (actor.name, actor.kind, actor.status) == ("Boulangerie du Port", "merchant", "verified")
    assert (actor.pending_name, actor.pending_kind) == ("Mairie — Alerte", "association")
    public = client.get(f"/actors/{actor.slug}").get_data(as_text=True)
    assert "Boulangerie du Port" in public and "Mairie — Alerte" not in public
    edit = client.get("/manage/page").get_data(as_text=True)
    assert 'id="pending-change"' in edit and "Mairie — Alerte" in edit
    # The town is told, and sees what changed.
    to_admin = _texts_to(outbox, admin.email)
    assert to_admin and "Mairie — Alerte" in to_admin[-1]
    login_as(client, admin)
    page = client.get("/admin/actors").get_data(as_text=True)
    assert f'id="change-{actor.id}"' in page
    assert "Boulangerie du Port" in page and "Mairie — Alerte" in page


def test_the_town_accepts_or_refuses_a_change(client, shop, outbox):
    territory, actor, owner, admin = shop
    client.post("/manage/page", data=_page_form(client, name="Boulangerie Marius"))
    login_as(client, admin)
    response = post(client, f"/admin/actors/{actor.id}/change/accept", {"kind": "merchant"})
    assert response.status_code == 303
    db.session.refresh(actor)
    assert actor.name == "Boulangerie Marius" and not actor.has_pending_change
    assert any("Boulangerie Marius" in text for text in _texts_to(outbox, owner.email))

    login_as(client, owner, acting_actor=actor)
    client.post("/manage/page", data=_page_form(client, name="Mairie", kind="culture"))
    login_as(client, admin)
    post(client, f"/admin/actors/{actor.id}/change/refuse")
    db.session.refresh(actor)
    assert (actor.name, actor.kind) == ("Boulangerie Marius", "merchant")
    assert not actor.has_pending_change


def test_only_the_town_gives_a_powered_kind(client, shop):
    territory, actor, owner, admin = shop
    # The owner cannot (the admin route is the town's).
    response = post(client, f"/admin/actors/{actor.id}/kind", {"kind": "town_service"})
    assert response.status_code in (403, 404)
    db.session.refresh(actor)
    assert actor.kind == "merchant"
    login_as(client, admin)
    assert post(client, f"/admin/actors/{actor.id}/kind", {"kind": "no_such_kind"}).status_code == 400
    assert post(client, f"/admin/actors/{actor.id}/kind", {"kind": "town_service"}).status_code == 303
    db.session.refresh(actor)
    assert actor.kind == "town_service"
    # The town service keeps its kind when its members save the page.
    login_as(client, owner, acting_actor=actor)
    response = client.post("/manage/page", data=_page_form(client, kind="town_service"))
    assert response.status_code == 303
    db.session.refresh(actor)
    assert actor.kind == "town_service" and not actor.has_pending_change


def test_the_town_verifies_a_new_actor_with_the_kind_it_gives(client):
    territory = make_territory()
    person = make_user(territory)
    admin = make_user(territory, is_admin=True)
    login_as(client, person)
    post(client, "/actors/new", {"name": "Mairie de Ceyreste", "kind": "association"})
    actor = db.session.query(Actor).one()
    login_as(client, admin)
    post(client, f"/admin/actors/{actor.id}/verify", {"kind": "town_service"})
    db.session.refresh(actor)
    assert (actor.status, actor.kind) == ("verified", "town_service")


def test_an_admin_of_another_territory_cannot_give_a_kind(client, shop):
    _territory, actor, _owner, _admin = shop
    other = make_territory(slug="ceyreste", name="Ceyreste", hosts=("ceyreste.test",))
    stranger = make_user(other, is_admin=True)
    login_as(client, stranger, base_url="http://ceyreste.test")
    assert client.get("/admin/actors", base_url="http://ceyreste.test").status_code == 200
    response = post(
        client, f"/admin/actors/{actor.id}/kind", {"kind": "town_service"},
        base_url="http://ceyreste.test",
    )
    assert response.status_code in (403, 404)
    db.session.refresh(actor)
    assert actor.kind == "merchant"
