"""The town invites its shops to answer: a message in the inbox of the members of every shop that
has not answered, not twice in a week, with CSRF; the town learns how many shops, never who."""

from __future__ import annotations

from sqlalchemy import select

from app.audit.services_shops import INVITATION_KIND, INVITATION_URL
from app.delivery.models import InboxItem
from app.extensions import db
from tests.audit.shops import answered_shops
from tests.factories import login_as, make_actor, make_member, make_territory, make_user
from tests.support.csrf import csrf_token

PATH = "/admin/audit/shops"


def test_the_town_invites_the_shops_that_have_not_answered(client):
    territory = make_territory()
    admin = make_user(territory, is_admin=True)
    quiet = make_actor(territory, "Quiet shop")
    owner, editor = make_user(territory, language="fr"), make_user(territory)
    make_member(owner, quiet), make_member(editor, quiet, role="editor")
    done = answered_shops(territory, 1)[0]
    done_owner = make_user(territory)
    make_member(done_owner, done)
    make_member(make_user(territory), make_actor(territory, "Club", kind="sports_club"))
    login_as(client, admin)

    token = csrf_token(client, PATH)
    assert client.post(f"{PATH}/invite", data={}).status_code == 400  # no CSRF token
    response = client.post(f"{PATH}/invite", data={"csrf_token": token}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "1 shop is invited to answer." in html
    assert owner.email not in html and editor.email not in html
    items = list(db.session.scalars(select(InboxItem).where(InboxItem.kind == INVITATION_KIND)))
    assert sorted(i.user_id for i in items) == sorted([owner.id, editor.id])
    assert all(i.url == INVITATION_URL and "Quiet shop" in i.title for i in items)

    # Not twice within the week.
    client.post(f"{PATH}/invite", data={"csrf_token": token})
    assert db.session.query(InboxItem).filter(InboxItem.kind == INVITATION_KIND).count() == 2


def test_only_the_towns_admins_invite(client):
    territory = make_territory()
    shop = make_actor(territory, "Quiet shop")
    make_member(make_user(territory), shop)
    login_as(client, make_user(territory))
    token = csrf_token(client, "/")
    assert client.post(f"{PATH}/invite", data={"csrf_token": token}).status_code == 403
    assert db.session.query(InboxItem).count() == 0


def test_the_member_reads_the_invitation_in_the_inbox(client, app):
    territory = make_territory()
    admin = make_user(territory, is_admin=True)
    shop = make_actor(territory, "Quiet shop")
    owner = make_user(territory)
    make_member(owner, shop)
    login_as(client, admin)
    client.post(f"{PATH}/invite", data={"csrf_token": csrf_token(client, PATH)})
    reader = app.test_client()
    login_as(reader, owner)
    html = reader.get("/me/inbox").get_data(as_text=True)
    # Written in the member's language (the test town speaks French); opened, it leads to the questionnaire.
    assert "Quiet shop" in html
    opened = reader.get("/me/inbox/" + html.split('href="/me/inbox/')[1].split('"')[0]).get_data(as_text=True)
    assert INVITATION_URL in opened
