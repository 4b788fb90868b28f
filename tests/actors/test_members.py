import re
from datetime import timedelta

from app.actors.models import Invitation, Membership
from app.extensions import db
from tests.actors.conftest import post
from tests.factories import login_as, make_actor, make_member, make_territory, make_user


def _shop(client):
    territory = make_territory()
    shop = make_actor(territory, "Fromagerie")
    owner = make_user(territory, display_name="Camille", email="camille@example.org")
    make_member(owner, shop, role="owner")
    login_as(client, owner, acting_actor=shop)
    return territory, shop, owner


def _invitation_link(message):
    match = re.search(r"http://localhost(/invitations/[\w-]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def test_invitation_flow_end_to_end(app, client, outbox):
    territory, shop, _owner = _shop(client)
    response = post(
        client, "/manage/members/invite", {"email": "dominique@example.org", "role": "editor"}
    )
    assert response.status_code == 303
    assert "dominique@example.org" in client.get("/manage/members").get_data(as_text=True)
    [message] = outbox
    assert message["To"] == "dominique@example.org"
    link = _invitation_link(message)

    # the invited person logs in with an account of another e-mail and accepts
    newcomer = make_user(territory, display_name="Dominique", email="dom.perso@example.org")
    invited = app.test_client()
    login_as(invited, newcomer)
    page = invited.get(link).get_data(as_text=True)
    assert "Camille invites you to join Fromagerie" in page
    assert "sent to dominique@example.org" in page
    accepted = post(invited, link)
    assert accepted.status_code == 303 and accepted.headers["Location"].endswith("/manage")
    assert (
        db.session.query(Membership).filter_by(actor_id=shop.id, user_id=newcomer.id).one().role
        == "editor"
    )
    dashboard = invited.get("/manage").get_data(as_text=True)
    assert "Fromagerie" in dashboard and 'href="/manage/publications/new"' in dashboard

    # single use
    again = invited.get(link)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)


def test_an_expired_invitation_says_so(client, outbox):
    _territory, _shop_actor, _owner = _shop(client)
    post(client, "/manage/members/invite", {"email": "late@example.org", "role": "editor"})
    invitation = db.session.query(Invitation).one()
    invitation.expires_at = invitation.created_at - timedelta(seconds=1)
    db.session.commit()
    response = client.get(_invitation_link(outbox[0]))
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)


def test_an_unknown_invitation_token_is_a_clear_404(client):
    make_territory()
    response = client.get("/invitations/not-a-real-token")
    assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)


def test_an_invitation_is_not_valid_through_another_territorys_host(client, outbox):
    _shop(client)
    make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    post(client, "/manage/members/invite", {"email": "x@example.org", "role": "editor"})
    link = _invitation_link(outbox[0])
    assert client.get(link, base_url="http://station.localhost").status_code == 404


def test_an_anonymous_visitor_is_asked_to_log_in_to_accept(app, client, outbox):
    _shop(client)
    post(client, "/manage/members/invite", {"email": "x@example.org", "role": "editor"})
    html = app.test_client().get(_invitation_link(outbox[0])).get_data(as_text=True)
    assert "/login?next=/invitations/" in html


def test_an_invalid_invitation_form_shows_the_error_next_to_the_field(client, outbox):
    _shop(client)
    response = post(client, "/manage/members/invite", {"email": "not-an-email", "role": "editor"})
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert outbox == []


def test_owner_changes_a_role_and_removes_a_member(client):
    territory, shop, _owner = _shop(client)
    editor = make_user(territory, display_name="Sam")
    membership = make_member(editor, shop, role="editor")
    page = client.get("/manage/members").get_data(as_text=True)
    assert "Sam" in page
    assert (
        post(
            client,
            f"/manage/members/{membership.id}/role",
            {f"member-{membership.id}-role": "owner"},
        ).status_code
        == 303
    )
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).role == "owner"
    assert post(client, f"/manage/members/{membership.id}/remove").status_code == 303
    db.session.expire_all()
    assert db.session.get(Membership, membership.id) is None


def test_the_last_owner_cannot_be_removed_or_demoted(client):
    _territory, shop, owner = _shop(client)
    membership = db.session.query(Membership).filter_by(user_id=owner.id).one()
    response = post(client, f"/manage/members/{membership.id}/remove", follow_redirects=True)
    assert "last owner" in response.get_data(as_text=True)
    post(
        client, f"/manage/members/{membership.id}/role", {f"member-{membership.id}-role": "editor"}
    )
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).role == "owner"


def test_editors_see_the_members_but_cannot_manage_them(client):
    territory = make_territory()
    shop = make_actor(territory, "Fromagerie")
    owner_membership = make_member(make_user(territory, display_name="Camille"), shop, role="owner")
    editor = make_user(territory)
    make_member(editor, shop, role="editor")
    login_as(client, editor, acting_actor=shop)
    page = client.get("/manage/members")
    assert page.status_code == 200 and "Camille" in page.get_data(as_text=True)
    assert "/manage/members/invite" not in page.get_data(as_text=True)
    assert post(client, "/manage/members/invite", {"email": "x@example.org"}).status_code == 403
    assert post(client, f"/manage/members/{owner_membership.id}/remove").status_code == 403


def test_an_owner_cannot_touch_another_actors_members(client):
    territory, _shop_actor, _owner = _shop(client)
    other = make_actor(territory, "Boulangerie")
    foreign = make_member(make_user(territory), other, role="editor")
    assert post(client, f"/manage/members/{foreign.id}/remove").status_code == 404
    assert db.session.get(Membership, foreign.id) is not None


def test_a_removed_member_loses_the_role_at_the_next_request(app, client):
    territory, shop, _owner = _shop(client)
    editor = make_user(territory)
    membership = make_member(editor, shop, role="editor")
    editor_client = app.test_client()
    login_as(editor_client, editor, acting_actor=shop)
    assert editor_client.get("/manage/page").status_code == 200
    post(client, f"/manage/members/{membership.id}/remove")
    assert editor_client.get("/manage/page").status_code == 403
    assert "/manage/publications/new" not in editor_client.get("/").get_data(as_text=True)
