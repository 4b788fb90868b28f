"""Only an administrator of THIS territory enters the administration."""

import pytest

from tests.factories import (
    login_as,
    make_actor,
    make_hashtag,
    make_neighbourhood,
    make_publication,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token

ADMIN_PAGES = [
    ("get", "/admin"),
    ("get", "/admin/settings"),
    ("post", "/admin/settings"),
    ("get", "/admin/neighbourhoods"),
    ("post", "/admin/neighbourhoods"),
    ("get", "/admin/neighbourhoods/{hood}"),
    ("post", "/admin/neighbourhoods/{hood}/delete"),
    ("get", "/admin/boundary"),
    ("post", "/admin/boundary"),
    ("get", "/admin/hashtags"),
    ("post", "/admin/hashtags"),
    ("post", "/admin/hashtags/{tag}/deactivate"),
    ("get", "/admin/actors"),
    ("post", "/admin/actors/{actor}/verify"),
    ("get", "/admin/moderation"),
    ("post", "/admin/publications/{publication}/unpublish"),
    ("post", "/admin/publications/{publication}/restore"),
    ("get", "/admin/legal"),
    ("get", "/admin/legal/terms"),
    ("post", "/admin/legal/terms/fr"),
    ("post", "/admin/legal/terms/fr/reset"),
]


@pytest.fixture
def objects(territory):
    actor = make_actor(territory, "Boulangerie du Port", status="pending")
    return {
        "hood": make_neighbourhood(territory, "Le Port").id,
        "tag": make_hashtag(territory, "bio").id,
        "actor": actor.id,
        "publication": make_publication(make_actor(territory, "Cinéma Eden"), "Ciné-plein-air").id,
    }


def _call(client, method, path, objects, csrf=None):
    url = path.format(**objects)
    data = {"csrf_token": csrf} if csrf else {}
    return getattr(client, method)(url, data=data)


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_anonymous_visitor_is_sent_to_log_in(client, territory, objects, method, path):
    if method == "post":
        # A POST without a session has no CSRF token either: refused before anything runs.
        response = _call(client, method, path, objects)
        assert response.status_code in (400, 302)
        return
    response = _call(client, method, path, objects)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_citizen_who_is_not_admin_is_forbidden(client, territory, objects, method, path):
    citizen = make_user(territory, email="citoyen@example.org")
    login_as(client, citizen)
    csrf = csrf_token(client, "/")
    assert _call(client, method, path, objects, csrf).status_code == 403


@pytest.mark.parametrize(("method", "path"), ADMIN_PAGES)
def test_admin_of_another_territory_gets_nothing_here(app, client, territory, objects, method, path):
    from tests.admin.conftest import login_on

    other = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    other_admin = make_user(other, email="admin@montgenevre.example", is_admin=True)
    login_as(client, other_admin)
    # Their session belongs to the other territory: here they are nobody (anonymous).
    csrf = csrf_token(client, "/")
    response = _call(client, method, path, objects, csrf)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
    # ...and logged in on their own host, this territory's objects do not exist for them.
    if "{" in path:
        station = "http://station.localhost"
        own_client = app.test_client()  # a separate cookie jar: the test client leaks "localhost" cookies
        login_on(own_client, other_admin, station)
        data = {"csrf_token": csrf_token(own_client, "/admin", base_url=station)}
        own = getattr(own_client, method)(path.format(**objects), base_url=station, data=data)
        assert own.status_code == 404


@pytest.mark.parametrize(("method", "path"), [p for p in ADMIN_PAGES if p[0] == "get"])
def test_admin_sees_every_admin_page(admin_client, objects, method, path):
    response = _call(admin_client, method, path, objects)
    assert response.status_code == 200
    assert "<h1" in response.get_data(as_text=True)


def test_overview_shows_small_counts_as_fewer_than_eleven(admin_client, territory):
    for n in range(3):
        make_user(territory, email=f"p{n}@example.org")
    html = admin_client.get("/admin").get_data(as_text=True)
    assert "fewer than 11" in html or "moins de 11" in html
    assert "p0@example.org" not in html
