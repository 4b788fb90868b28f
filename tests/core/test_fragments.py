"""The pieces kept per process (app.fragments): the shell, Near me, an actor's and a publication's
page. They are shared by everybody with the same town, language and flags, so nothing about one
person may end up in another's page, and a change (a town renamed, a new publication, an actor
edited) shows at the next request."""

from __future__ import annotations

import re

from sqlalchemy import delete, event

from app import fragments
from app.extensions import db
from app.releases.models import CountRelease
from tests.factories import (
    login_as,
    make_actor,
    make_citizen,
    make_follow,
    make_member,
    make_publication,
    make_territory,
    make_user,
)

HARBOUR = (43.1760, 5.6080)
ALWAYS_OPEN = {day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _csrf(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_the_shell_is_kept_but_each_person_gets_their_own_name_token_and_links(app):
    territory = make_territory()
    alice = make_user(territory, display_name="Alice Martin", is_admin=True)
    bob = make_user(territory, display_name="Bob Durand")
    fragments.cache.clear()
    first, second = app.test_client(), app.test_client()
    login_as(first, alice)
    login_as(second, bob)

    alice_page = first.get("/actors").get_data(as_text=True)
    kept = len(fragments.cache)
    bob_page = second.get("/actors").get_data(as_text=True)

    assert kept > 0  # the pieces were rendered once...
    assert len(fragments.cache) >= kept  # ...and Bob's page used them (or its own flags' pieces)
    assert "Alice Martin" in alice_page and "Alice Martin" not in bob_page
    assert "Bob Durand" in bob_page and "Bob Durand" not in alice_page
    assert _csrf(alice_page) != _csrf(bob_page)
    # The administrator's link is in her navigation only.
    assert "/admin" in alice_page and 'href="/admin"' not in bob_page
    # The same shell otherwise: the brand, the footer's links.
    for page in (alice_page, bob_page):
        assert '<a class="brand" href="/">' in page
        assert "footer-legal" in page


def test_a_town_renamed_or_recoloured_shows_at_the_next_request(client):
    territory = make_territory(name="La Ciotat")
    assert "La Ciotat" in client.get("/").get_data(as_text=True)

    territory.name = "Ciotat-sur-Mer"
    territory.primary_color = "#123456"
    db.session.commit()
    html = client.get("/").get_data(as_text=True)

    assert "Ciotat-sur-Mer" in html and "La Ciotat" not in html
    assert '<meta name="theme-color" content="#123456">' in html


def test_the_language_is_part_of_the_key(client):
    make_territory()
    french = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Aller au contenu" in french or 'lang="fr"' in french
    assert 'lang="en"' in english and "Skip to content" in english


def test_acting_for_an_actor_has_its_own_navigation(client):
    territory = make_territory()
    person = make_user(territory)
    shop = make_actor(territory, "Boulangerie")
    make_member(person, shop)
    login_as(client, person)
    as_citizen = client.get("/actors").get_data(as_text=True)
    login_as(client, person, acting_actor=shop)
    as_shop = client.get("/actors").get_data(as_text=True)
    assert 'href="/me/inbox"' in as_citizen and 'href="/me/inbox"' not in as_shop
    assert 'href="/manage"' in as_shop
    assert "Dashboard" not in as_citizen


def test_near_me_shows_a_new_publication_at_once(client):
    territory = make_territory()
    shop = make_actor(territory, "Glacier du Port", lat=HARBOUR[0], lon=HARBOUR[1])
    path = f"/near?lat={HARBOUR[0]}&lon={HARBOUR[1]}"
    assert "Two scoops" not in client.get(path).get_data(as_text=True)
    make_publication(shop, "Two scoops for one", kind="offer")
    html = client.get(path).get_data(as_text=True)
    assert "Two scoops for one" in html
    # An htmx request gets the same list alone.
    fragment = client.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Two scoops for one" in fragment and "<html" not in fragment


def test_near_me_keeps_the_persons_own_options_apart(app):
    territory = make_territory()
    make_actor(territory, "Glacier du Port", lat=HARBOUR[0], lon=HARBOUR[1])
    visitor, citizen = app.test_client(), app.test_client()
    login_as(citizen, make_user(territory))
    anonymous_html = visitor.get("/near").get_data(as_text=True)
    citizen_html = citizen.get("/near").get_data(as_text=True)
    assert 'href="/near/location"' in citizen_html  # "use my position": for a logged-in person
    assert 'href="/near/location"' not in anonymous_html


def test_an_actor_page_is_kept_but_the_follow_button_and_count_are_each_persons(app):
    territory = make_territory()
    shop = make_actor(territory, "Boulangerie Martin", summary="Pain au levain")
    follower, other = make_citizen(territory), make_citizen(territory)
    make_follow(follower, shop)
    first, second = app.test_client(), app.test_client()
    login_as(first, follower)
    login_as(second, other)
    path = f"/actors/{shop.slug}"

    following = first.get(path).get_data(as_text=True)
    not_following = second.get(path).get_data(as_text=True)
    assert "is-following" in following and "is-following" not in not_following
    assert "Pain au levain" in following and "Pain au levain" in not_following

    shop.summary = "Pain au levain et viennoiseries"
    shop.opening_hours = ALWAYS_OPEN
    db.session.commit()
    html = second.get(path).get_data(as_text=True)
    assert "Pain au levain et viennoiseries" in html
    assert "actor-hours" in html and "badge-open" in html


def test_a_publication_page_is_kept_but_only_its_editors_see_edit(app):
    territory = make_territory()
    shop = make_actor(territory, "Boulangerie Martin")
    baker, reader = make_user(territory), make_citizen(territory)
    make_member(baker, shop)
    publication = make_publication(shop, "Fresh bread", body_md="Out of the oven at 7.")
    editor, visitor = app.test_client(), app.test_client()
    login_as(editor, baker)
    login_as(visitor, reader)
    path = f"/p/{publication.id}"

    assert f'href="/manage/publications/{publication.id}/edit"' in editor.get(path).get_data(as_text=True)
    seen = visitor.get(path).get_data(as_text=True)
    assert "Out of the oven at 7." in seen and f"/manage/publications/{publication.id}/edit" not in seen

    publication.body_md = "Out of the oven at 6."
    db.session.commit()
    assert "Out of the oven at 6." in visitor.get(path).get_data(as_text=True)


def test_a_released_answer_is_read_once_then_again_when_the_releases_change(client):
    territory = make_territory()
    shop = make_actor(territory, "Boulangerie Martin")
    path = f"/actors/{shop.slug}"
    client.get(path)  # the day's answer is released and stored
    client.get(path)  # and read back

    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        client.get(path)
        assert not any("count_release" in s for s in statements)  # kept in the process
        db.session.execute(delete(CountRelease))
        db.session.commit()
        statements.clear()
        client.get(path)
        assert any("count_release" in s for s in statements)  # released (and stored) again
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


# --- the page shell's skeleton (app.fragments.page_shell) ---------------------------------------

_SAVED_COPY = re.compile(r'<p id="saved-copy".*?</p>', re.S)


_SIGNED = re.compile(r'(name="csrf_token" value="|name="csrf-token" content=")([^".]+)\.[^"]*"')


def _unsigned(page: str) -> str:
    """The page with its CSRF tokens' signature and time left out: they are signed anew at each
    request, and the second may turn between two requests of a test."""
    return _SIGNED.sub(r'\1\2"', page)


def _page(client, path: str = "/actors") -> str:
    # The saved copy's time is to the minute (it is in the key): a minute may turn between two
    # requests of a test, which is not what is compared here.
    return _SAVED_COPY.sub("", client.get(path).get_data(as_text=True))


def _people_with_the_same_flags(territory):
    """Two citizens whose shell shows the same (logged in, no administrator, members of an
    actor, acting as themselves) but with everything of their own different: name, roles,
    unread count, live location."""
    from app.accounts.models import Consent
    from app.delivery.models import InboxItem
    from app.places.live import LIVE_LOCATION

    alice = make_citizen(territory, display_name="Alice <Martin>")
    bob = make_citizen(territory, display_name="Bob Durand")
    make_member(alice, make_actor(territory, name="Boulangerie d'Alice"))
    make_member(bob, make_actor(territory, name="Club de Bob"), role="editor")
    db.session.add_all(
        [InboxItem(user_id=alice.id, territory_id=territory.id, title=f"Hello {n}") for n in range(3)]
    )
    db.session.add(Consent(user_id=bob.id, purpose=LIVE_LOCATION))
    db.session.commit()
    return alice, bob


def _logged_in_clients(app):
    """Alice's and Bob's browsers (see ``_people_with_the_same_flags``)."""
    alice, bob = _people_with_the_same_flags(make_territory())
    first, second = app.test_client(), app.test_client()
    login_as(first, alice)
    login_as(second, bob)
    return first, second


def test_a_page_from_the_kept_skeleton_is_the_page_drawn_anew(app):
    first, second = _logged_in_clients(app)

    for path in ("/actors", "/", "/all", "/me/inbox"):
        fragments.shells.clear()
        fragments.cache.clear()
        bob_anew = _page(second, path)  # Bob's page, its shell rendered for him
        fragments.shells.clear()
        fragments.cache.clear()
        _page(first, path)  # the shell rendered for Alice, then kept...
        kept = len(fragments.shells)
        bob_kept = _page(second, path)  # ...and filled for Bob

        assert kept == 1 and len(fragments.shells) == 1  # one skeleton served both
        assert _unsigned(bob_kept) == _unsigned(bob_anew), path


def test_each_person_gets_their_own_holes_in_a_shared_skeleton(app):
    first, second = _logged_in_clients(app)
    fragments.shells.clear()

    alice_page, bob_page = _page(first, "/all"), _page(second, "/all")

    assert len(fragments.shells) == 1
    assert "Alice &lt;Martin&gt;" in alice_page and "Alice" not in bob_page  # escaped, her own
    assert "Bob Durand" in bob_page and "Bob Durand" not in alice_page
    assert "Boulangerie d&#39;Alice" in alice_page and "Club de Bob" not in alice_page
    assert "Club de Bob" in bob_page and "Boulangerie" not in bob_page
    assert 'class="unread-count">3<' in alice_page and "unread-count" not in bob_page
    assert 'data-live-location="off"' in alice_page and 'data-live-location="on"' in bob_page
    assert _csrf(alice_page) != _csrf(bob_page)
    for page in (alice_page, bob_page):  # every form of the shell carries the page's own token
        token = _csrf(page)
        assert page.count(f'name="csrf_token" value="{token}"') == 3
        assert "\x00" not in page  # no mark left unfilled


def test_the_shell_says_where_the_page_is_and_what_was_flashed(app):
    territory = make_territory()
    alice = make_citizen(territory)
    client = app.test_client()
    login_as(client, alice)
    fragments.shells.clear()

    actors = _page(client, "/actors?page=1")
    everything = _page(client, "/all?kind=event")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Saved <for real>.")]
    flashed = _page(client, "/all?kind=event")
    after = _page(client, "/all?kind=event")

    assert 'name="next" value="/actors?page=1"' in actors
    assert 'name="next" value="/all?kind=event"' in everything
    assert '<p class="flash flash-success" role="status">Saved &lt;for real&gt;.</p>' in flashed
    assert "Saved" not in after  # shown once
    region = re.compile(r'(<div id="flash"[^>]*>).*?(</div>)', re.S)
    assert _unsigned(region.sub(r"\1\2", flashed)) == _unsigned(region.sub(r"\1\2", after))  # the rest is the same


def test_flags_of_the_shell_have_skeletons_of_their_own(app):
    territory = make_territory()
    admin = make_user(territory, display_name="Admin", is_admin=True)
    member = make_citizen(territory)
    shop = make_actor(territory, name="La Boutique")
    make_member(member, shop)
    alone = make_citizen(territory)
    fragments.shells.clear()

    anonymous = _page(app.test_client())
    pages = {}
    for name, user, acting in (("admin", admin, None), ("acting", member, shop), ("alone", alone, None)):
        client = app.test_client()
        login_as(client, user, acting_actor=acting)
        pages[name] = _page(client)

    assert len(fragments.shells) == 4
    assert 'href="/admin"' in pages["admin"] and 'href="/admin"' not in pages["alone"]
    assert 'class="acting"' in pages["acting"] and "La Boutique" in pages["acting"]
    assert 'class="role-list-more"' in pages["alone"]  # no role: the offer to create a page
    assert 'class="role-list-more"' not in pages["acting"]
    assert "role-sheet" not in anonymous and 'href="/login"' in anonymous
