"""The pages: an actor adds, fetches, pauses and deletes its feeds; the town adds one for an
actor; errors in the person's language; CSRF; another actor's or town's feed is not found."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.imports import services
from app.imports.models import FeedSubscription
from app.publications.models import Publication
from tests.factories import login_as, make_actor, make_member, make_territory, make_user
from tests.imports.feeds import calendar
from tests.support.csrf import csrf_token

EVENT = "UID:e1@x\nSUMMARY:Bric-a-brac\nDTSTART:20310301T080000Z"


def _owner(territory=None):
    territory = territory or make_territory()
    user = make_user(territory, language="en")
    actor = make_actor(territory, "The bakery")
    make_member(user, actor, "owner")
    return territory, user, actor


def test_an_actor_adds_a_feed_and_sees_what_it_imported(app, client, feeds):
    _territory, user, actor = _owner()
    login_as(client, user, acting_actor=actor)
    url = feeds.put("/a.ics", calendar(EVENT))
    token = csrf_token(client, "/manage/feeds")
    response = client.post("/manage/feeds", data={"csrf_token": token, "url": url, "kind": "auto", "hashtags": ""},
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The feed is added: 1 publication imported." in page
    assert url in page and "1 new, 0 updated, 0 withdrawn" in page
    [publication] = db.session.scalars(select(Publication)).all()
    assert publication.actor_id == actor.id and publication.title == "Bric-a-brac"


def test_a_refused_address_is_explained_in_the_persons_language(app, client):
    _territory, user, actor = _owner()
    user.language = "fr"
    db.session.commit()
    login_as(client, user, acting_actor=actor)
    token = csrf_token(client, "/manage/feeds")
    response = client.post("/manage/feeds", data={"csrf_token": token, "url": "http://192.168.1.10/agenda.ics",
                                                  "kind": "auto"}, headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "private or internal network" in page or "réseau privé" in page
    assert db.session.scalar(select(FeedSubscription)) is None


def test_a_feed_that_is_not_one_shows_the_error_on_the_page(app, client, feeds):
    _territory, user, actor = _owner()
    login_as(client, user, acting_actor=actor)
    url = feeds.put("/page.html", "<html><body>Hello</body></html>", "text/html")
    token = csrf_token(client, "/manage/feeds")
    page = client.post("/manage/feeds", data={"csrf_token": token, "url": url, "kind": "auto"},
                       follow_redirects=True).get_data(as_text=True)
    assert "This address does not give an iCalendar, OpenAgenda, RSS or Atom feed." in page
    assert "failed" in page


def test_forms_without_the_csrf_token_are_refused(app, client, feeds):
    _territory, user, actor = _owner()
    login_as(client, user, acting_actor=actor)
    url = feeds.put("/a.ics", calendar(EVENT))
    subscription = services.subscribe(actor, url)
    assert client.post("/manage/feeds", data={"url": url, "kind": "auto"}).status_code in (400, 422)
    for action in ("fetch", "active", "delete"):
        assert client.post(f"/manage/feeds/{subscription.id}/{action}", data={"active": "0", "imported": "withdraw"}
                           ).status_code == 400
    assert db.session.scalar(select(FeedSubscription)).active is True
    assert db.session.scalar(select(Publication)) is None


def test_fetch_now_pause_and_delete_withdrawing_the_imports(app, client, feeds):
    _territory, user, actor = _owner()
    login_as(client, user, acting_actor=actor)
    subscription = services.subscribe(actor, feeds.put("/a.ics", calendar(EVENT)))
    token = csrf_token(client, "/manage/feeds")
    fragment = client.post(f"/manage/feeds/{subscription.id}/fetch", data={"csrf_token": token},
                           headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "1 new" in fragment.get_data(as_text=True)
    paused = client.post(f"/manage/feeds/{subscription.id}/active", data={"csrf_token": token, "active": "0"},
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "paused" in paused and "Resume" in paused
    assert db.session.get(FeedSubscription, subscription.id).active is False
    confirm = client.get(f"/manage/feeds/{subscription.id}/delete").get_data(as_text=True)
    assert "Publications imported from it: 1." in confirm and "Withdraw the publications" in confirm
    done = client.post(f"/manage/feeds/{subscription.id}/delete", data={"csrf_token": token, "imported": "withdraw"})
    assert done.status_code == 303
    assert db.session.get(FeedSubscription, subscription.id) is None
    assert db.session.scalar(select(Publication)).status == "archived"


def test_deleting_a_feed_can_keep_what_it_imported(app, client, feeds):
    _territory, user, actor = _owner()
    login_as(client, user, acting_actor=actor)
    subscription = services.subscribe(actor, feeds.put("/a.ics", calendar(EVENT)))
    services.fetch(subscription)
    token = csrf_token(client, "/manage/feeds")
    client.post(f"/manage/feeds/{subscription.id}/delete", data={"csrf_token": token, "imported": "keep"})
    assert db.session.scalar(select(FeedSubscription)) is None
    assert db.session.scalar(select(Publication)).status == "published"


def test_the_town_adds_a_feed_for_one_of_its_actors(app, client, feeds):
    territory, _user, actor = _owner()
    admin = make_user(territory, "admin@town.test", is_admin=True, language="en")
    login_as(client, admin)
    token = csrf_token(client, "/admin/feeds")
    url = feeds.put("/a.ics", calendar(EVENT))
    response = client.post("/admin/feeds", data={"csrf_token": token, "url": url, "kind": "ical",
                                                 "actor_id": actor.id}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "The bakery" in page and url in page
    [publication] = db.session.scalars(select(Publication)).all()
    assert publication.actor_id == actor.id
    subscription = db.session.scalar(select(FeedSubscription))
    # The town manages it too (no acting actor needed); its list keeps naming the actor.
    assert client.post(f"/manage/feeds/{subscription.id}/fetch", data={"csrf_token": token}).status_code == 303
    row = client.post(f"/manage/feeds/{subscription.id}/active", headers={"HX-Request": "true"},
                      data={"csrf_token": token, "active": "0", "next": "/admin/feeds"}).get_data(as_text=True)
    assert "The bakery" in row and "paused" in row


def test_the_town_cannot_publish_as_another_towns_actor(app, client, feeds):
    territory, _user, _actor = _owner()
    other = make_territory("other", "Other", hosts=("other.localhost",))
    stranger = make_actor(other, "Stranger")
    admin = make_user(territory, "admin@town.test", is_admin=True, language="en")
    login_as(client, admin)
    token = csrf_token(client, "/admin/feeds")
    response = client.post("/admin/feeds", data={"csrf_token": token, "url": feeds.put("/a.ics", calendar(EVENT)),
                                                 "kind": "auto", "actor_id": stranger.id})
    assert response.status_code == 422 and db.session.scalar(select(FeedSubscription)) is None


def test_another_actors_feed_is_not_found(app, client, feeds):
    territory, user, actor = _owner()
    neighbour = make_actor(territory, "The florist")
    theirs = services.subscribe(neighbour, feeds.put("/a.ics", calendar(EVENT)))
    login_as(client, user, acting_actor=actor)
    token = csrf_token(client, "/manage/feeds")
    assert client.get(f"/manage/feeds/{theirs.id}/delete").status_code == 404
    assert client.post(f"/manage/feeds/{theirs.id}/active", data={"csrf_token": token, "active": "0"}).status_code == 404
    assert theirs.url not in client.get("/manage/feeds").get_data(as_text=True)
    assert client.get("/admin/feeds").status_code == 403
