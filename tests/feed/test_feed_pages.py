"""The feed pages as a person uses them: "For you", "Everything", load more, the home page."""

from datetime import timedelta

from app.extensions import db
from app.models_common import utcnow
from tests.factories import (
    login_as,
    make_actor,
    make_follow,
    make_hashtag,
    make_neighbourhood,
    make_publication,
    make_territory,
    make_user,
)
from tests.feed.conftest import titles_in_order
from tests.support.changes import announce_from_another_process
from tests.support.statements import statements_sent


def test_follower_with_bio_sees_the_shops_bio_offer_above_newer_unrelated_news(client, territory):
    bio = make_hashtag(territory, "bio")
    shop = make_actor(territory, "Epicerie Verte")
    town = make_actor(territory, "Mairie", kind="town_service")
    person = make_user(territory, hashtags=[bio])
    make_follow(person, shop)
    make_publication(
        shop,
        "Panier bio -20 %",
        kind="offer",
        hashtags=[bio],
        published_at=utcnow() - timedelta(days=2),
    )
    make_publication(town, "Travaux rue de la Paix", published_at=utcnow() - timedelta(minutes=5))
    login_as(client, person)

    html = client.get("/").get_data(as_text=True)

    assert titles_in_order(html, ["Panier bio -20 %", "Travaux rue de la Paix"]) == [
        "Panier bio -20 %",
        "Travaux rue de la Paix",
    ]


def test_unfollowed_and_unrelated_content_still_appears_lower(client, territory):
    bio = make_hashtag(territory, "bio")
    theatre = make_hashtag(territory, "theatre")
    shop = make_actor(territory, "Epicerie Verte")
    club = make_actor(territory, "Club de voile", kind="sports_club")
    person = make_user(territory, hashtags=[bio])
    make_follow(person, shop)
    make_publication(club, "Regate du dimanche", kind="event", hashtags=[theatre])
    make_publication(
        shop, "Arrivage de fraises", hashtags=[bio], published_at=utcnow() - timedelta(days=3)
    )
    login_as(client, person)

    html = client.get("/").get_data(as_text=True)

    assert titles_in_order(html, ["Arrivage de fraises", "Regate du dimanche"]) == [
        "Arrivage de fraises",
        "Regate du dimanche",
    ]


def test_neighbourhood_news_comes_before_news_of_elsewhere(client, territory):
    port = make_neighbourhood(territory, "Port")
    hills = make_neighbourhood(territory, "Collines")
    near = make_actor(territory, "Boulangerie du port", neighbourhood_id=port.id)
    far = make_actor(territory, "Ferme des collines", neighbourhood_id=hills.id)
    person = make_user(territory, neighbourhood_id=port.id)
    now = utcnow()
    make_publication(far, "Nouvelles des collines", published_at=now - timedelta(hours=1))
    make_publication(near, "Nouvelles du port", published_at=now - timedelta(hours=2))
    login_as(client, person)

    html = client.get("/").get_data(as_text=True)

    assert (
        titles_in_order(html, ["Nouvelles du port", "Nouvelles des collines"])[0]
        == "Nouvelles du port"
    )


def test_expired_offers_and_past_events_are_not_in_for_you(client, territory):
    bio = make_hashtag(territory, "bio")
    shop = make_actor(territory, "Epicerie Verte")
    person = make_user(territory, hashtags=[bio])
    make_follow(person, shop)
    now = utcnow()
    make_publication(
        shop,
        "Offre terminee",
        kind="offer",
        hashtags=[bio],
        valid_from=now - timedelta(days=9),
        valid_until=now - timedelta(hours=1),
    )
    make_publication(
        shop,
        "Marche passe",
        kind="event",
        hashtags=[bio],
        starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2, hours=-3),
    )
    make_publication(shop, "Offre en cours", kind="offer", hashtags=[bio])
    login_as(client, person)

    html = client.get("/").get_data(as_text=True)

    assert "Offre en cours" in html
    assert "Offre terminee" not in html
    assert "Marche passe" not in html


def test_drafts_moderated_and_pending_actor_content_never_appear(client, territory):
    bio = make_hashtag(territory, "bio")
    shop = make_actor(territory, "Epicerie Verte")
    pending = make_actor(territory, "Boutique en attente", status="pending")
    person = make_user(territory, hashtags=[bio])
    make_follow(person, shop)
    make_follow(person, pending)
    make_publication(shop, "Brouillon secret", status="draft", hashtags=[bio])
    make_publication(
        shop, "Archive ancienne", status="archived", hashtags=[bio], published_at=utcnow()
    )
    make_publication(shop, "Retire par la mairie", hashtags=[bio], moderated_at=utcnow())
    make_publication(pending, "Annonce non verifiee", hashtags=[bio])
    make_publication(pending, "Evenement non verifie", kind="event", hashtags=[bio])
    make_publication(shop, "Annonce visible", hashtags=[bio])
    hidden = [
        "Brouillon secret",
        "Archive ancienne",
        "Retire par la mairie",
        "Annonce non verifiee",
        "Evenement non verifie",
    ]

    anonymous_pages = [client.get(url).get_data(as_text=True) for url in ("/", "/all", "/agenda")]
    login_as(client, person)
    pages = anonymous_pages + [
        client.get(url).get_data(as_text=True)
        for url in ("/", "/all", "/all?kind=event", "/agenda")
    ]

    for html in pages[:2] + pages[3:5]:
        assert "Annonce visible" in html
    for html in pages:
        for title in hidden:
            assert title not in html


def test_territory_b_publications_never_appear_in_territory_a(client, territory):
    other = make_territory("montgenevre", "Montgenevre", hosts=("station.localhost",))
    bio_a = make_hashtag(territory, "bio")
    bio_b = make_hashtag(other, "bio")
    shop_a = make_actor(territory, "Epicerie A")
    shop_b = make_actor(other, "Epicerie B")
    person = make_user(territory, hashtags=[bio_a])
    make_follow(person, shop_a)
    make_publication(shop_a, "Offre de La Ciotat", kind="offer", hashtags=[bio_a])
    make_publication(shop_b, "Offre de la station", kind="offer", hashtags=[bio_b])
    make_publication(shop_b, "Concert a la station", kind="event", hashtags=[bio_b])

    anonymous = [
        client.get(url).get_data(as_text=True)
        for url in ("/", "/all", "/agenda", "/agenda?tag=bio")
    ]
    login_as(client, person)
    logged_in = [client.get(url).get_data(as_text=True) for url in ("/", "/all", "/agenda")]

    for html in anonymous + logged_in:
        assert "Offre de la station" not in html
        assert "Concert a la station" not in html
    assert "Offre de La Ciotat" in logged_in[0]
    station = client.get("/all", base_url="http://station.localhost").get_data(as_text=True)
    assert "Offre de la station" in station and "Offre de La Ciotat" not in station


def test_anonymous_home_shows_the_public_feed_and_an_invitation_to_join(client, territory):
    shop = make_actor(territory, "Epicerie Verte")
    make_publication(shop, "Ouverture le dimanche")

    response = client.get("/")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "Ouverture le dimanche" in html
    assert 'class="card join-invitation"' in html
    assert 'href="/register"' in html and 'href="/login"' in html


def test_logged_in_home_has_no_invitation_to_join(client, territory):
    login_as(client, make_user(territory))
    html = client.get("/").get_data(as_text=True)
    assert "join-invitation" not in html


def _many_news(territory, count):
    shop = make_actor(territory, "Journal local")
    now = utcnow()
    for number in range(count):
        make_publication(
            shop, f"Breve numero {number:02d}", published_at=now - timedelta(minutes=number)
        )


def test_load_more_works_as_a_plain_link(app, client, territory):
    app.config["FEED_PAGE_SIZE"] = 3
    _many_news(territory, 7)
    login_as(client, make_user(territory))

    first = client.get("/").get_data(as_text=True)
    assert "Breve numero 00" in first and "Breve numero 03" not in first
    assert 'href="/?page=2"' in first

    second = client.get("/?page=2")
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and "<html" in html  # a whole page without JavaScript
    assert "Breve numero 03" in html and "Breve numero 00" not in html
    assert 'href="/?page=3"' in html
    third = client.get("/?page=3").get_data(as_text=True)
    assert "Breve numero 06" in third and "?page=4" not in third


def test_load_more_with_htmx_returns_only_the_next_items(app, client, territory):
    app.config["FEED_PAGE_SIZE"] = 3
    _many_news(territory, 5)

    response = client.get("/?page=2", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in html and "site-header" not in html
    assert html.strip().startswith("<li")
    assert "Breve numero 03" in html and "Breve numero 04" in html
    assert "Breve numero 00" not in html
    assert "load-more" not in html  # nothing after the last page


def test_load_more_element_targets_itself_for_htmx(app, client, territory):
    app.config["FEED_PAGE_SIZE"] = 2
    _many_news(territory, 3)
    html = client.get("/").get_data(as_text=True)
    assert 'hx-get="/?page=2"' in html
    assert 'hx-target="closest li"' in html and 'hx-swap="outerHTML"' in html


def test_boosted_navigation_gets_the_whole_page(client, territory):
    _many_news(territory, 1)
    response = client.get("/all", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


def test_everything_is_chronological_and_filters_by_kind(client, territory):
    shop = make_actor(territory, "Epicerie Verte")
    now = utcnow()
    make_publication(shop, "Plus ancienne", published_at=now - timedelta(days=3))
    make_publication(shop, "Offre du jour", kind="offer", published_at=now - timedelta(days=2))
    make_publication(shop, "Toute derniere", published_at=now - timedelta(hours=1))
    make_publication(shop, "Fete au port", kind="event", published_at=now - timedelta(days=1))

    html = client.get("/all").get_data(as_text=True)
    assert titles_in_order(
        html, ["Plus ancienne", "Offre du jour", "Toute derniere", "Fete au port"]
    ) == [
        "Toute derniere",
        "Fete au port",
        "Offre du jour",
        "Plus ancienne",
    ]
    offers = client.get("/all?kind=offer").get_data(as_text=True)
    assert (
        "Offre du jour" in offers
        and "Toute derniere" not in offers
        and "Fete au port" not in offers
    )
    assert client.get("/all?kind=nonsense").status_code == 200


def test_everything_load_more_keeps_the_kind_filter(app, client, territory):
    app.config["FEED_PAGE_SIZE"] = 1
    shop = make_actor(territory, "Epicerie Verte")
    make_publication(shop, "Premiere offre", kind="offer")
    make_publication(
        shop, "Seconde offre", kind="offer", published_at=utcnow() - timedelta(hours=1)
    )
    html = client.get("/all?kind=offer").get_data(as_text=True)
    assert "kind=offer" in html.split('class="load-more"')[1]


def test_health_page_is_trivial(client, territory):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"


def test_for_you_does_not_query_per_card(app, client, territory):
    """The page's cost does not grow with the number of cards (no N+1), whether the shared
    look-ups and cards are cached (right after a visit) or not (right after a change)."""
    from sqlalchemy import event

    from app.feed import cards, lookups, services

    tags = [make_hashtag(territory, f"tag{n}") for n in range(3)]
    person = make_user(territory, hashtags=tags)
    actors = [make_actor(territory, f"Acteur {n}") for n in range(6)]
    for number, actor in enumerate(actors):
        make_follow(person, actor) if number % 2 else None
        make_publication(actor, f"Annonce {number}", hashtags=tags[: number % 3 + 1])
    login_as(client, person)
    client.get("/")

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731

    def count_queries(cold: bool) -> tuple[int, str]:
        if cold:
            lookups.clear()
            cards.cache.clear()
            services.rankings.clear()
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            response = client.get("/")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    cold_few, _html = count_queries(cold=True)
    warm_few, _html = count_queries(cold=False)
    for number in range(6, 20):
        make_publication(actors[number % 6], f"Annonce {number}", hashtags=tags[: number % 3 + 1])
    cold_many, html = count_queries(cold=True)
    assert "Annonce 19" in html
    warm_many, html = count_queries(cold=False)
    assert "Annonce 19" in html
    assert cold_many <= cold_few + 1
    assert warm_many <= warm_few + 1
    assert warm_many <= 4


def test_a_persons_ranking_is_kept_for_the_next_page_but_a_follow_counts_at_once(app, client, territory):
    """The ranking is kept per person (app.feed.services.rankings) for the minute at most: coming
    back or scrolling does not rank again, but following an actor or picking a hashtag (the
    "interests" group of app.changes, here or in another process) ranks anew at the next page."""
    from app.feed import services

    bakery = make_actor(territory, "Boulangerie")
    garage = make_actor(territory, "Garage")
    make_publication(bakery, "Pain au levain", published_at=utcnow() - timedelta(hours=30))
    make_publication(garage, "Vidange offerte", published_at=utcnow() - timedelta(minutes=5))
    person = make_user(territory)
    other = make_user(territory)
    login_as(client, person)
    titles = ["Pain au levain", "Vidange offerte"]
    services.rankings.clear()

    first = client.get("/").get_data(as_text=True)
    with statements_sent(db.engine) as statements:
        again = client.get("/").get_data(as_text=True)
    assert titles_in_order(first, titles) == titles_in_order(again, titles) == ["Vidange offerte", "Pain au levain"]
    assert not [s for s in statements if "user_hashtag" in s]  # the person's interests not read again
    assert len(services.rankings) == 1

    make_follow(other, bakery)  # somebody else's follow: still ranks anew (one group for all)
    make_follow(person, bakery)
    followed = client.get("/").get_data(as_text=True)
    assert titles_in_order(followed, titles) == ["Pain au levain", "Vidange offerte"]

    # A change announced by another process of the instance (its stamp file) ranks anew too.
    services.rankings.clear()
    client.get("/")
    announce_from_another_process("interests", db.engine)
    client.get("/")
    assert len(services.rankings) == 2  # ranked anew under the new version


def test_a_ranking_is_kept_a_minute_from_when_it_was_ranked(app, client, territory):
    from sqlalchemy import event

    from app.feed import services

    bakery = make_actor(territory, "Boulangerie")
    make_publication(bakery, "Pain au levain")
    login_as(client, make_user(territory))
    services.rankings.clear()
    client.get("/")
    (key,) = list(services.rankings._pieces)

    def ranks_anew() -> bool:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert "Pain au levain" in client.get("/").get_data(as_text=True)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return any("user_hashtag" in s for s in statements)  # the person's interests read

    ranked_at, ranked, profile = services.rankings._pieces[key]
    services.rankings.put(key, (ranked_at - timedelta(seconds=services.RANKING_SECONDS - 5), ranked, profile))
    assert not ranks_anew()  # 55 seconds old: kept
    services.rankings.put(key, (ranked_at - timedelta(seconds=services.RANKING_SECONDS), ranked, profile))
    assert ranks_anew()  # a minute old: ranked again
    assert services.rankings._pieces[key][0] > ranked_at
