from tests.factories import (
    login_as,
    make_actor,
    make_follow,
    make_hashtag,
    make_member,
    make_publication,
    make_territory,
    make_user,
)


def test_public_page_shows_the_actors_presentation(client):
    territory = make_territory()
    bio = make_hashtag(territory, "bio")
    actor = make_actor(
        territory,
        "Epicerie Verte",
        kind="merchant",
        summary="Produits locaux et bio",
        description_md="# Bienvenue\n\nNous vendons **du bio**.<script>alert(1)</script>",
        address="3 rue des Poilus",
        lat=43.1748,
        lon=5.6046,
        phone="04 42 00 00 00",
        email="contact@epicerie.example",
        website="https://epicerie.example",
    )
    actor.hashtags = [bio]
    from app.extensions import db

    db.session.commit()
    make_follow(make_user(territory), actor)
    html = client.get("/actors/epicerie-verte").get_data(as_text=True)
    assert "<h1>Epicerie Verte</h1>" in html
    assert "Merchant" in html or "Commerçant" in html
    assert "<strong>du bio</strong>" in html
    assert "<script>alert" not in html
    assert 'href="geo:43.1748,5.6046"' in html
    assert "openstreetmap.org/?mlat=43.1748" in html
    assert 'href="tel:0442000000"' in html
    assert 'href="mailto:contact@epicerie.example"' in html
    assert 'href="/actors?hashtag=bio"' in html
    assert 'id="follower-count-' in html and "Fewer than 11 followers" in html


def test_page_lists_recent_published_publications_only(client):
    territory = make_territory()
    actor = make_actor(territory, "Cinema Eden")
    make_publication(actor, "Ciné-club jeudi")
    make_publication(actor, "Brouillon secret", status="draft")
    response = client.get("/actors/cinema-eden")
    assert response.status_code == 200
    # the list template belongs to the publications domain; the page must render with or without it
    html = response.get_data(as_text=True)
    assert "Brouillon secret" not in html


def test_anonymous_visitor_gets_a_log_in_to_follow_link(client):
    territory = make_territory()
    make_actor(territory, "Club Nautique")
    html = client.get("/actors/club-nautique").get_data(as_text=True)
    assert "/login?next=" in html
    assert "hx-post" not in html


def test_pending_actor_is_not_public(client):
    territory = make_territory()
    make_actor(territory, "Nouvelle Boutique", status="pending")
    assert client.get("/actors/nouvelle-boutique").status_code == 404
    login_as(client, make_user(territory))
    assert client.get("/actors/nouvelle-boutique").status_code == 404


def test_pending_actor_is_visible_to_its_members_with_a_notice(client):
    territory = make_territory()
    actor = make_actor(territory, "Nouvelle Boutique", status="pending")
    owner = make_user(territory)
    make_member(owner, actor)
    login_as(client, owner)
    response = client.get("/actors/nouvelle-boutique")
    assert response.status_code == 200
    assert "actor-pending" in response.get_data(as_text=True)


def test_pending_actor_is_visible_to_territory_admins(client):
    territory = make_territory()
    make_actor(territory, "Nouvelle Boutique", status="pending")
    login_as(client, make_user(territory, is_admin=True))
    assert client.get("/actors/nouvelle-boutique").status_code == 200


def test_actor_of_another_territory_is_not_found_through_this_host(client):
    make_territory("laciotat", "La Ciotat", hosts=("localhost",))
    station = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    make_actor(station, "Ecole de Ski")
    assert client.get("/actors/ecole-de-ski").status_code == 404
    assert (
        client.get("/actors/ecole-de-ski", base_url="http://station.localhost").status_code == 200
    )


def test_open_now_badge_is_shown_with_the_hours(client):
    territory = make_territory()
    actor = make_actor(territory, "Pharmacie de Garde")
    actor.opening_hours = {
        day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    from app.extensions import db

    db.session.commit()
    html = client.get("/actors/pharmacie-de-garde").get_data(as_text=True)
    assert "badge-open" in html
