from app.extensions import db
from tests.factories import make_actor, make_hashtag, make_neighbourhood, make_territory


def _town():
    territory = make_territory()
    bio = make_hashtag(territory, "bio")
    theatre = make_hashtag(territory, "theatre")
    port = make_neighbourhood(territory, "Le Port")
    centre = make_neighbourhood(territory, "Centre")
    epicerie = make_actor(
        territory,
        "Epicerie Verte",
        kind="merchant",
        summary="Fruits et légumes de saison",
        neighbourhood_id=port.id,
    )
    epicerie.hashtags = [bio]
    theatre_actor = make_actor(
        territory,
        "Theatre du Golfe",
        kind="culture",
        summary="Spectacles vivants",
        neighbourhood_id=centre.id,
    )
    theatre_actor.hashtags = [theatre]
    make_actor(territory, "Mairie", kind="town_service", summary="Services municipaux")
    make_actor(territory, "Boutique en attente", kind="merchant", status="pending")
    db.session.commit()
    return territory


def _names(html):
    return {
        name
        for name in ("Epicerie Verte", "Theatre du Golfe", "Mairie", "Boutique en attente")
        if name in html
    }


def test_directory_lists_verified_actors_only(client):
    _town()
    html = client.get("/actors").get_data(as_text=True)
    assert _names(html) == {"Epicerie Verte", "Theatre du Golfe", "Mairie"}


def test_directory_searches_name_and_summary(client):
    _town()
    assert _names(client.get("/actors?q=golfe").get_data(as_text=True)) == {"Theatre du Golfe"}
    assert _names(client.get("/actors?q=LÉGUMES").get_data(as_text=True)) <= {"Epicerie Verte"}
    assert _names(client.get("/actors?q=saison").get_data(as_text=True)) == {"Epicerie Verte"}
    assert _names(client.get("/actors?q=100%25").get_data(as_text=True)) == set()


def test_directory_filters_by_kind_hashtag_and_neighbourhood(client):
    _town()
    assert _names(client.get("/actors?kind=culture").get_data(as_text=True)) == {"Theatre du Golfe"}
    assert _names(client.get("/actors?hashtag=bio").get_data(as_text=True)) == {"Epicerie Verte"}
    assert _names(client.get("/actors?neighbourhood=le-port").get_data(as_text=True)) == {
        "Epicerie Verte"
    }
    assert (
        _names(client.get("/actors?kind=merchant&hashtag=theatre").get_data(as_text=True)) == set()
    )


def test_directory_with_htmx_returns_only_the_results_region(client):
    _town()
    response = client.get("/actors?kind=merchant", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="directory-results"')
    assert "<html" not in html
    assert _names(html) == {"Epicerie Verte"}
    assert "HX-Request" in response.headers["Vary"]


def test_directory_form_works_without_javascript_and_updates_as_you_type(client):
    _town()
    html = client.get("/actors").get_data(as_text=True)
    assert 'method="get" action="/actors"' in html
    assert 'hx-trigger="input changed delay:300ms, change, submit"' in html
    assert 'hx-push-url="true"' in html


def test_a_boosted_navigation_gets_the_whole_page(client):
    _town()
    html = client.get("/actors", headers={"HX-Request": "true", "HX-Boosted": "true"}).get_data(
        as_text=True
    )
    assert "<html" in html


def test_directory_paginates_with_a_real_show_more_link(client):
    territory = make_territory()
    for i in range(25):
        make_actor(territory, f"Commerce {i:02d}", kind="merchant")
    first = client.get("/actors?kind=merchant").get_data(as_text=True)
    assert first.count('class="card actor-card"') == 20
    assert 'href="/actors?page=2&amp;kind=merchant"' in first
    second = client.get("/actors?page=2&kind=merchant", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert second.count('class="card actor-card"') == 5
    assert "Commerce 24" in second and "Commerce 00" not in second
    assert 'id="directory-more"' in second and "page=3" not in second


def test_directory_shows_only_this_territorys_actors(client):
    _town()
    other = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    make_actor(other, "Ecole de Ski")
    assert "Ecole de Ski" not in client.get("/actors").get_data(as_text=True)
