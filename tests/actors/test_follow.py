import re

from app.actors.models import Follow
from app.extensions import db
from tests.actors.conftest import post
from tests.factories import login_as, make_actor, make_follow, make_territory, make_user


def _setup(client):
    territory = make_territory()
    actor = make_actor(territory, "Fromagerie")
    for _ in range(11):  # eleven others already follow: the count is shown exactly from 11 up
        make_follow(make_user(territory), actor)
    citizen = make_user(territory)
    login_as(client, citizen)
    return actor, citizen


def _count_shown(html: str, actor) -> str:  # type: ignore[no-untyped-def]
    """The follower count as the page shows it (a release: once a day, never exact)."""
    return re.search(rf'id="follower-count-{actor.id}"[^>]*>([^<]*)<', html).group(1)


def test_follow_with_htmx_returns_the_button_and_an_out_of_band_follower_count(client):
    actor, citizen = _setup(client)
    before = _count_shown(client.get("/actors/fromagerie").get_data(as_text=True), actor)
    response = post(client, "/actors/fromagerie/follow", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="follow-form"' in html
    assert 'action="/actors/fromagerie/unfollow"' in html
    assert f'id="follower-count-{actor.id}"' in html and 'hx-swap-oob="true"' in html
    # The count is released once a day: one follow does not move it by one, which would tell
    # the actor who just followed.
    assert _count_shown(html, actor) == before and "follower" in before
    assert "<html" not in html
    assert db.session.get(Follow, (citizen.id, actor.id)) is not None


def test_unfollow_with_htmx_updates_the_count_in_place(client):
    actor, citizen = _setup(client)
    make_follow(citizen, actor)
    before = _count_shown(client.get("/actors/fromagerie").get_data(as_text=True), actor)
    html = post(client, "/actors/fromagerie/unfollow", htmx=True).get_data(as_text=True)
    assert 'action="/actors/fromagerie/follow"' in html
    assert _count_shown(html, actor) == before  # released once a day, not moved by one
    db.session.expire_all()
    assert db.session.get(Follow, (citizen.id, actor.id)) is None


def test_follow_without_javascript_redirects_back_to_the_page(client):
    actor, citizen = _setup(client)
    response = post(client, "/actors/fromagerie/follow", {"next": "/actors/fromagerie"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/actors/fromagerie")
    assert db.session.get(Follow, (citizen.id, actor.id)) is not None
    page = client.get("/actors/fromagerie").get_data(as_text=True)
    assert 'action="/actors/fromagerie/unfollow"' in page


def test_follow_never_redirects_off_site(client):
    _setup(client)
    response = post(client, "/actors/fromagerie/follow", {"next": "//evil.example/"})
    assert response.headers["Location"].endswith("/actors/fromagerie")


def test_following_twice_counts_once(client):
    actor, citizen = _setup(client)
    post(client, "/actors/fromagerie/follow", htmx=True)
    html = post(client, "/actors/fromagerie/follow", htmx=True).get_data(as_text=True)
    assert 'action="/actors/fromagerie/unfollow"' in html
    assert db.session.query(Follow).filter_by(actor_id=actor.id, user_id=citizen.id).count() == 1


def test_follow_needs_the_csrf_token(client):
    _setup(client)
    assert client.post("/actors/fromagerie/follow").status_code == 400


def test_anonymous_visitor_cannot_follow(client):
    territory = make_territory()
    make_actor(territory, "Fromagerie")
    token_page = client.get("/actors/fromagerie").get_data(as_text=True)
    assert "hx-post" not in token_page
    response = post(client, "/actors/fromagerie/follow")
    assert response.status_code in (302, 401)
    assert db.session.query(Follow).count() == 0


def test_a_pending_actor_cannot_be_followed(client):
    territory = make_territory()
    make_actor(territory, "Secret", status="pending")
    login_as(client, make_user(territory))
    assert post(client, "/actors/secret/follow").status_code == 404


def test_a_count_under_the_anonymity_floor_is_not_shown_exactly(client):
    territory = make_territory()
    actor = make_actor(territory, "Fromagerie")
    for _ in range(9):
        make_follow(make_user(territory), actor)
    login_as(client, make_user(territory))
    html = post(client, "/actors/fromagerie/follow", htmx=True).get_data(as_text=True)
    assert "Fewer than 11 followers" in html or "Moins de 11" in html
    assert ">10 followers" not in html and ">11 followers" not in html
