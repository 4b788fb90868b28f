from app.accounts.models import AuthSession
from app.extensions import db
from tests.actors.conftest import post
from tests.factories import login_as, make_actor, make_member, make_territory, make_user


def _merchant(client):
    territory = make_territory()
    shop = make_actor(territory, "Fromagerie")
    person = make_user(territory, display_name="Camille")
    make_member(person, shop, role="editor")
    login_as(client, person)
    return territory, shop, person


def test_switching_role_changes_the_navigation_without_a_new_log_in(client):
    _territory, shop, _person = _merchant(client)
    home = client.get("/").get_data(as_text=True)
    assert "/manage/publications/new" not in home
    assert f'name="actor_id" value="{shop.id}"' in home  # a role of the header's role sheet
    response = post(client, "/role", {"actor_id": str(shop.id)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/manage")
    dashboard = client.get("/manage")
    assert dashboard.status_code == 200
    html = dashboard.get_data(as_text=True)
    assert 'href="/manage/publications/new"' in html and "Publish" in html
    assert "Fromagerie" in html
    back = post(client, "/role", {"actor_id": ""})
    assert back.status_code == 303 and back.headers["Location"].endswith("/")
    assert "/manage/publications/new" not in client.get("/").get_data(as_text=True)
    assert client.get("/manage").status_code == 403


def test_forging_an_actor_id_in_the_role_switch_is_refused(client):
    territory, _shop, _person = _merchant(client)
    other = make_actor(territory, "Boulangerie")
    assert post(client, "/role", {"actor_id": str(other.id)}).status_code == 403
    assert client.get("/manage/page").status_code == 403


def test_editor_of_one_actor_cannot_edit_another_actors_page(client):
    territory, shop, _person = _merchant(client)
    other = make_actor(territory, "Boulangerie", summary="Pain au levain")
    post(client, "/role", {"actor_id": str(shop.id)})
    # whatever is posted, the edit page is the acting actor's own: the other actor is untouched
    form = client.get("/manage/page").get_data(as_text=True)
    assert "Fromagerie" in form and "Boulangerie" not in form
    post(client, "/role", {"actor_id": str(other.id)})  # forged: refused
    post(client, "/manage/page", {"name": "Piraté", "kind": "merchant"})
    db.session.expire_all()
    assert db.session.get(type(other), other.id).name == "Boulangerie"


def test_a_role_in_another_territory_cannot_be_taken(client):
    _territory, _shop, person = _merchant(client)
    station = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    ski = make_actor(station, "Ecole de Ski")
    make_member(person, ski)  # impossible in practice, but must not leak across territories
    assert post(client, "/role", {"actor_id": str(ski.id)}).status_code == 403


def test_removing_a_membership_removes_the_role_immediately(client):
    _territory, shop, person = _merchant(client)
    post(client, "/role", {"actor_id": str(shop.id)})
    assert client.get("/manage/page").status_code == 200
    from app.actors.models import Membership

    db.session.query(Membership).filter_by(user_id=person.id).delete()
    db.session.commit()
    assert client.get("/manage/page").status_code == 403
    assert client.get("/manage").status_code == 403
    assert "/manage/publications/new" not in client.get("/").get_data(as_text=True)


def test_role_switch_is_stored_on_the_server_side_session(client):
    _territory, shop, person = _merchant(client)
    post(client, "/role", {"actor_id": str(shop.id)})
    auth = db.session.query(AuthSession).filter_by(user_id=person.id).one()
    db.session.refresh(auth)
    assert auth.acting_actor_id == shop.id


def test_actor_tools_need_a_log_in(client):
    make_territory()
    assert client.get("/manage").status_code == 401
    assert client.get("/manage/members").status_code == 401


def test_dashboard_shows_counts_and_the_pending_notice(client):
    territory = make_territory()
    actor = make_actor(territory, "Nouvelle Asso", kind="association", status="pending")
    owner = make_user(territory)
    make_member(owner, actor)
    login_as(client, owner, acting_actor=actor)
    html = client.get("/manage").get_data(as_text=True)
    assert "Pending verification" in html
    assert "fewer than 11</span> followers" in html
