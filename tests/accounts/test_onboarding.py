from sqlalchemy import select

from app.accounts.models import Consent, User
from app.actors.models import Follow
from app.extensions import db
from app.profiles import services
from tests.accounts.conftest import post_form
from tests.factories import (
    login_as,
    make_actor,
    make_follow,
    make_hashtag,
    make_neighbourhood,
    make_territory,
    make_user,
)


def fresh(user):
    return db.session.get(User, user.id)


def test_onboarding_stores_hashtags_follows_neighbourhood_population_type_and_the_consent(
    client, territory
):
    bio, theatre = make_hashtag(territory, "bio"), make_hashtag(territory, "theatre")
    make_hashtag(territory, "braderie")
    hood = make_neighbourhood(territory, "Le Port")
    shop = make_actor(territory, "Épicerie Verte")
    shop.hashtags = [bio]
    db.session.commit()
    user = make_user(territory)
    login_as(client, user)

    page = client.get("/welcome").get_data(as_text=True)
    assert "#bio" in page and "#theatre" in page and "Why we ask" in page
    response = post_form(
        client, "/welcome", {"hashtags": [str(bio.id), str(theatre.id)], "action": "next"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/welcome/follow")

    page = client.get("/welcome/follow").get_data(as_text=True)
    assert "Épicerie Verte" in page
    response = post_form(client, "/welcome/follow", {"actors": [str(shop.id)], "action": "next"})
    assert response.headers["Location"].endswith("/welcome/about")

    page = client.get("/welcome/about").get_data(as_text=True)
    assert "Seasonal worker" in page and "Le Port" in page
    response = post_form(
        client,
        "/welcome/about",
        {"neighbourhood": str(hood.id), "population_type": "seasonal_local", "action": "next"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"

    user = fresh(user)
    assert {h.tag for h in user.hashtags} == {"bio", "theatre"}
    assert user.neighbourhood_id == hood.id
    assert user.population_type == "seasonal_local"
    assert user.onboarded_at is not None
    assert db.session.scalar(select(Follow.actor_id).where(Follow.user_id == user.id)) == shop.id
    consents = db.session.scalars(select(Consent).where(Consent.user_id == user.id)).all()
    assert [c.purpose for c in consents] == ["profile_targeting"]  # recorded once
    assert consents[0].withdrawn_at is None


def test_skipping_all_of_onboarding_records_nothing_but_marks_it_done(client, territory):
    make_hashtag(territory, "bio")
    user = make_user(territory)
    login_as(client, user)
    response = post_form(client, "/welcome", {"action": "skip_all"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    user = fresh(user)
    assert user.onboarded_at is not None and user.hashtags == []
    assert db.session.scalar(select(Consent)) is None


def test_each_step_can_be_skipped(client, territory):
    bio = make_hashtag(territory, "bio")
    user = make_user(territory)
    login_as(client, user)
    response = post_form(client, "/welcome", {"hashtags": [str(bio.id)], "action": "skip"})
    assert response.headers["Location"].endswith("/welcome/follow")
    assert fresh(user).hashtags == []
    post_form(client, "/welcome/follow", {"action": "skip"})
    response = post_form(client, "/welcome/about", {"action": "skip"})
    assert response.headers["Location"] == "/"
    assert fresh(user).onboarded_at is not None


def test_a_hashtag_of_another_territory_cannot_be_picked(client, territory):
    other = make_territory("b", "Montgenèvre", hosts=("b.localhost",))
    foreign = make_hashtag(other, "ski")
    user = make_user(territory)
    login_as(client, user)
    response = post_form(client, "/welcome", {"hashtags": [str(foreign.id)], "action": "next"})
    assert response.status_code == 422
    assert fresh(user).hashtags == []


def test_suggested_actors_match_the_chosen_hashtags_else_are_the_most_followed(app, territory):
    bio = make_hashtag(territory, "bio")
    popular = make_actor(territory, "Mairie", kind="town_service")
    organic = make_actor(territory, "Marché bio")
    organic.hashtags = [bio]
    make_actor(territory, "Pending shop", status="pending").hashtags = [bio]
    db.session.commit()
    for _ in range(3):
        make_follow(make_user(territory), popular)
    person = make_user(territory)
    assert services.suggested_actors(person)[0].id == popular.id
    services.set_hashtags(person, [bio.id])
    assert [a.name for a in services.suggested_actors(person)] == ["Marché bio"]


def test_onboarding_needs_a_logged_in_person(client, territory):
    response = client.get("/welcome")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
