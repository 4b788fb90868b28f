import pytest

from app.actors.models import Actor, Membership
from app.actors.services import reject_actor, verify_actor
from app.extensions import db
from tests.actors.conftest import post
from tests.factories import login_as, make_actor, make_member, make_territory, make_user


def test_citizen_creates_an_actor_that_stays_pending_and_becomes_its_owner(client, outbox):
    territory = make_territory()
    make_user(territory, email="mairie@laciotat.example", is_admin=True)
    citizen = make_user(territory)
    login_as(client, citizen)
    form = client.get("/actors/new")
    assert form.status_code == 200
    response = post(
        client,
        "/actors/new",
        {"name": "Les Amis du Port", "kind": "association", "summary": "Balades"},
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/manage")
    actor = db.session.query(Actor).filter_by(name="Les Amis du Port").one()
    assert actor.status == "pending" and actor.slug == "les-amis-du-port"
    assert (
        db.session.query(Membership).filter_by(actor_id=actor.id, user_id=citizen.id).one().role
        == "owner"
    )
    assert "Pending verification" in client.get("/manage").get_data(as_text=True)
    assert client.get("/actors/les-amis-du-port").status_code == 200  # its members see it
    assert "/actors/les-amis-du-port" not in client.get("/actors").get_data(as_text=True)
    assert [m["To"] for m in outbox] == ["mairie@laciotat.example"]


def test_an_invalid_actor_form_comes_back_with_errors(client):
    territory = make_territory()
    login_as(client, make_user(territory))
    response = post(
        client, "/actors/new", {"name": "", "kind": "spaceship", "website": "ftp://x.example"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="name-error"' in html and 'id="kind-error"' in html and 'id="website-error"' in html


def test_slugs_stay_unique_and_never_shadow_routes(client):
    territory = make_territory()
    make_actor(territory, "Fromagerie")
    login_as(client, make_user(territory))
    post(client, "/actors/new", {"name": "Fromagerie", "kind": "merchant"})
    post(client, "/actors/new", {"name": "New", "kind": "merchant"})
    slugs = {a.slug for a in db.session.query(Actor)}
    assert {"fromagerie", "fromagerie-2", "new-2"} <= slugs


def test_creating_an_actor_needs_a_log_in(client):
    make_territory()
    assert client.get("/actors/new").status_code == 302


def test_admin_verification_makes_the_actor_public_and_tells_its_owners(client, outbox):
    territory = make_territory()
    actor = make_actor(territory, "Les Amis du Port", status="pending")
    owner = make_user(territory, email="owner@example.org")
    editor = make_user(territory, email="editor@example.org")
    make_member(owner, actor)
    make_member(editor, actor, role="editor")
    admin = make_user(territory, is_admin=True)
    with client.application.test_request_context("/"):
        from flask import g

        g.territory = territory
        verify_actor(actor, admin)
    assert actor.status == "verified" and actor.verified_at is not None
    assert [m["To"] for m in outbox] == ["owner@example.org"]
    assert "/actors/les-amis-du-port" in outbox[0].get_content()
    assert client.get("/actors/les-amis-du-port").status_code == 200


def test_admin_rejection_hides_the_actor_and_tells_why(client, outbox):
    territory = make_territory()
    actor = make_actor(territory, "Faux Commerce", status="pending")
    make_member(make_user(territory, email="owner@example.org"), actor)
    reject_actor(actor, make_user(territory, is_admin=True), reason="Adresse introuvable")
    assert actor.status == "rejected"
    assert "Adresse introuvable" in outbox[0].get_content()
    assert client.get("/actors/faux-commerce").status_code == 404


def test_only_an_admin_of_the_same_territory_can_verify(client):
    territory = make_territory()
    actor = make_actor(territory, "Les Amis du Port", status="pending")
    with pytest.raises(PermissionError):
        verify_actor(actor, make_user(territory))
    other = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    with pytest.raises(PermissionError):
        verify_actor(actor, make_user(other, is_admin=True))
    assert actor.status == "pending"
