"""What every page pays: the territory comes from the per-process cache, the session, its user
and whether they belong to any actor come in one query, and the role switcher asks for the
memberships only of people who have some."""


from sqlalchemy import event

from app.accounts import sessions
from app.extensions import db
from tests.factories import login_as, make_actor, make_member, make_territory, make_user


def _statements(client, path="/actors"):  # type: ignore[no-untyped-def]
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return statements, response.get_data(as_text=True)


def test_a_citizen_without_memberships_costs_one_query_for_session_and_user(client):
    territory = make_territory()
    person = make_user(territory, display_name="Léa")
    login_as(client, person)
    sessions.forget_kept_sessions()
    client.get("/actors")
    sessions.forget_kept_sessions()  # (on SQLite the session is kept: tests/accounts/test_kept_sessions.py)

    statements, html = _statements(client)

    assert "Léa" in html
    assert sum("auth_session" in s for s in statements) == 1
    assert not any("territory_host" in s for s in statements)
    assert not any("FROM membership" in s and "auth_session" not in s for s in statements)


def test_a_member_sees_their_actors_in_the_switcher_even_when_added_meanwhile(client):
    territory = make_territory()
    person = make_user(territory)
    login_as(client, person)
    _statements(client)  # loaded as someone without memberships
    shop = make_actor(territory, "Epicerie Verte")
    make_member(person, shop)

    statements, html = _statements(client)

    assert any("FROM membership" in s and "auth_session" not in s for s in statements)
    assert f'value="{shop.id}"' in html and "Epicerie Verte" in html


def test_a_session_of_one_territory_does_not_log_in_at_another_despite_the_host_cache(client):
    town = make_territory()
    resort = make_territory(slug="station", name="Montgenèvre", hosts=("station.localhost",))
    person = make_user(town, display_name="Léa")
    login_as(client, person)
    assert "Léa" in client.get("/actors").get_data(as_text=True)
    for _ in range(2):  # the second time from the cache
        html = client.get("/actors", base_url="http://station.localhost").get_data(as_text=True)
        assert "Montgenèvre" in html and "Léa" not in html
    assert resort.id != town.id


def test_the_unread_count_comes_with_the_session_and_is_asked_again_after_an_inbox_write(client):
    from app.delivery.models import InboxItem

    territory = make_territory()
    person = make_user(territory, display_name="Léa")
    shop = make_actor(territory, "Epicerie Verte")
    login_as(client, person)

    def add_item(title: str) -> None:
        db.session.add(InboxItem(territory_id=territory.id, user_id=person.id, actor_id=shop.id,
                                 title=title, body="", url="/"))
        db.session.commit()

    add_item("Fresh bread")
    statements, html = _statements(client)
    assert '<span class="unread-count">1' in html
    assert not any("inbox_item" in s and "auth_session" not in s for s in statements)

    add_item("Market tonight")
    statements, html = _statements(client)
    assert '<span class="unread-count">2' in html
    # Opening one writes the inbox during the request: the badge it sends back is asked again
    # (tests/notifications/test_inbox.py checks that swap).


def test_a_publication_page_and_an_actor_page_kept_cost_a_citizen_few_queries(client):
    from tests.factories import make_publication

    territory = make_territory()
    person = make_user(territory)
    shop = make_actor(territory, "Epicerie Verte")
    publication = make_publication(shop, "Fresh bread")
    login_as(client, person)
    for path in (f"/p/{publication.id}", f"/actors/{shop.slug}"):
        _statements(client, path)  # drawn and kept (an actor's follower count released)
        _statements(client, path)  # (and the release read back)
        statements, html = _statements(client, path)
        assert "Epicerie Verte" in html
        # the session and its user; the publication or the actor; for the actor, whether the
        # person follows and mutes it (and the town, when its cache was just emptied). No membership asked of someone who belongs to no actor,
        # no hashtags for a page kept.
        own = [s for s in statements if "auth_session" not in s]
        assert not any("FROM membership" in s for s in own)
        assert not any("hashtag" in s for s in own), (path, [s[:70] for s in own])
        assert len(statements) <= (3 if path.startswith("/p/") else 5), [s[:60] for s in statements]


def test_near_me_kept_reads_live_location_with_the_session_and_no_hashtag(client):
    territory = make_territory()
    login_as(client, make_user(territory))
    _statements(client, "/near")
    statements, _html = _statements(client, "/near")
    own = [s for s in statements if "auth_session" not in s]
    assert not any("FROM consent" in s for s in own)
    assert not any("FROM hashtag" in s for s in own)


def test_a_kept_publication_or_actor_shows_a_change_at_once(client):
    """The publication and the actor of their pages are kept per process (app.models_common
    KeptRows) only while the feed data is unchanged: an edit, or hiding one, counts at once."""
    from tests.factories import make_publication

    territory = make_territory()
    shop = make_actor(territory, "Epicerie Verte")
    publication = make_publication(shop, "Fresh bread")
    login_as(client, make_user(territory))
    for _attempt in range(2):  # kept for a minute at most: again if one ended meanwhile
        html = _statements(client, f"/p/{publication.id}")[1]
        assert "Fresh bread" in html and "Epicerie Verte" in html
        _statements(client, f"/actors/{shop.slug}")
        page = _statements(client, f"/p/{publication.id}")[0]
        actor_page = _statements(client, f"/actors/{shop.slug}")[0]
        if not any("FROM publication" in s or "FROM actor" in s for s in page + actor_page):
            break
    assert not any("FROM publication" in s or "FROM actor" in s for s in page)  # kept, with its actor
    assert not any("FROM actor " in s for s in actor_page)  # kept

    publication.title = "Sourdough bread"
    shop.name = "Epicerie Bleue"
    db.session.commit()
    html = _statements(client, f"/p/{publication.id}")[1]
    assert "Sourdough bread" in html and "Epicerie Bleue" in html
    assert "Epicerie Bleue" in _statements(client, f"/actors/{shop.slug}")[1]

    publication.status = "archived"
    db.session.commit()
    assert client.get(f"/p/{publication.id}").status_code == 404


def test_whom_a_person_follows_or_mutes_is_kept_yet_a_change_counts_at_once(client):
    """On SQLite the actors a person follows and mutes are kept per process between their
    requests (app.accounts.sessions.kept_for_person); a follow or a mute, through the app or
    any other write, counts at the next page."""
    from app.notifications.models import Mute
    from tests.factories import make_follow

    territory = make_territory()
    person = make_user(territory)
    shop = make_actor(territory, "Epicerie Verte")
    path = f"/actors/{shop.slug}"
    login_as(client, person)
    for _attempt in range(2):  # kept for a minute at most: again if one ended meanwhile
        html = _statements(client, path)[1]
        assert "Follow Epicerie Verte" in html and "Mute messages from Epicerie Verte" in html
        statements = _statements(client, path)[0]
        if not any("FROM follow" in s or "FROM mute" in s for s in statements):
            break
    if db.engine.dialect.name == "sqlite":
        assert not any("FROM follow" in s or "FROM mute" in s for s in statements)

    db.session.add(Mute(user_id=person.id, actor_id=shop.id))
    db.session.commit()
    html = _statements(client, path)[1]
    assert "Receive messages from Epicerie Verte again" in html and "Follow Epicerie Verte" in html
    make_follow(person, shop)
    assert "Following Epicerie Verte" in _statements(client, path)[1]
