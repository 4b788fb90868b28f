from sqlalchemy import select

from app.accounts.models import Consent, User
from app.actors.models import Follow
from app.extensions import db
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


def test_profile_shows_and_saves_the_persons_choices(client, territory):
    bio = make_hashtag(territory, "bio")
    hood = make_neighbourhood(territory, "Centre")
    user = make_user(territory, email="lea@example.org")
    login_as(client, user)
    page = client.get("/me").get_data(as_text=True)
    assert "lea@example.org" in page and "/me/password" in page

    response = post_form(
        client,
        "/me",
        {
            "display_name": "Léa M.",
            "language": "en",
            "hashtags": [str(bio.id)],
            "neighbourhood": str(hood.id),
            "population_type": "resident",
            "personalise": "y",
        },
    )
    assert response.status_code == 303
    user = db.session.get(User, user.id)
    assert (user.display_name, user.language, user.neighbourhood_id, user.population_type) == (
        "Léa M.",
        "en",
        hood.id,
        "resident",
    )
    assert [h.tag for h in user.hashtags] == ["bio"]
    consent = db.session.scalar(select(Consent).where(Consent.purpose == "profile_targeting"))
    assert consent.withdrawn_at is None
    assert '<html lang="en"' in client.get("/me").get_data(as_text=True)


def test_withdrawing_the_personalisation_consent_keeps_the_record_with_its_date(client, territory):
    user = make_user(territory)
    consent = Consent(user_id=user.id, purpose="profile_targeting")
    terms = Consent(user_id=user.id, purpose="terms")
    db.session.add_all([consent, terms])
    db.session.commit()
    login_as(client, user)
    page = client.get("/me").get_data(as_text=True)
    assert "Personalisation with your interests" in page
    assert f"/me/consents/{terms.id}/withdraw" not in page
    response = post_form(client, f"/me/consents/{consent.id}/withdraw")
    assert response.status_code == 303
    assert db.session.get(Consent, consent.id).withdrawn_at is not None
    assert "withdrawn on" in client.get("/me").get_data(as_text=True)
    # the terms cannot be withdrawn here
    post_form(client, f"/me/consents/{terms.id}/withdraw")
    assert db.session.get(Consent, terms.id).withdrawn_at is None


def test_nobody_can_withdraw_another_persons_consent(client, territory):
    other = make_user(territory)
    consent = Consent(user_id=other.id, purpose="profile_targeting")
    db.session.add(consent)
    db.session.commit()
    login_as(client, make_user(territory))
    assert post_form(client, f"/me/consents/{consent.id}/withdraw").status_code == 404
    assert db.session.get(Consent, consent.id).withdrawn_at is None


def test_unfollowing_an_actor_of_another_territory_is_not_found(client, territory):
    foreign = make_actor(make_territory("b", "Montgenèvre", hosts=("b.localhost",)), "Ski shop")
    login_as(client, make_user(territory))
    assert post_form(client, f"/me/follows/{foreign.id}/unfollow").status_code == 404


def test_unticking_personalisation_in_the_profile_withdraws_the_consent(client, territory):
    user = make_user(territory)
    db.session.add(Consent(user_id=user.id, purpose="profile_targeting"))
    db.session.commit()
    login_as(client, user)
    post_form(
        client,
        "/me",
        {"display_name": "", "language": "", "neighbourhood": "", "population_type": ""},
    )
    assert db.session.scalar(select(Consent)).withdrawn_at is not None


def test_unfollowing_from_the_profile_in_place(client, territory):
    user = make_user(territory)
    shop = make_actor(territory, "Boulangerie du Port")
    make_follow(user, shop)
    login_as(client, user)
    assert "Boulangerie du Port" in client.get("/me").get_data(as_text=True)
    response = post_form(client, f"/me/follows/{shop.id}/unfollow", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="follows"')
    assert "Boulangerie du Port" not in fragment
    assert db.session.scalar(select(Follow)) is None


def test_unfollowing_without_javascript_redirects_to_the_profile(client, territory):
    user = make_user(territory)
    shop = make_actor(territory)
    make_follow(user, shop)
    login_as(client, user)
    response = post_form(client, f"/me/follows/{shop.id}/unfollow")
    assert response.status_code == 303 and response.headers["Location"].endswith("/me#follows")
