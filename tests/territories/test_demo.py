"""``flask demo load``: two realistic territories, idempotent, with the four demo accounts."""

import json

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import func, select

from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.actors.models import ACTOR_KINDS, Actor, Follow, Membership
from app.demo.data import DEMO_PASSWORD
from app.extensions import db
from app.publications.models import Publication
from app.territories.models import Hashtag, Neighbourhood, Territory
from app.territories.services import check_area, is_sensitive_hashtag

ACCOUNTS = ("citoyen", "commercant", "president", "admin")


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return result.output


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_loads_twice_without_duplicating(runner, demo):
    counts = [_count(m) for m in (Territory, Actor, Publication, User, Follow, Hashtag)]
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert [_count(m) for m in (Territory, Actor, Publication, User, Follow, Hashtag)] == counts
    reset = runner.invoke(args=["demo", "load", "--reset"])
    assert reset.exit_code == 0, reset.output
    db.session.expire_all()
    assert [_count(m) for m in (Territory, Actor, Publication, User, Follow, Hashtag)] == counts


@pytest.mark.parametrize("slug", ["laciotat", "montgenevre"])
def test_each_demo_territory_is_complete(demo, slug):
    territory = db.session.scalar(select(Territory).where(Territory.slug == slug))
    tid = territory.id
    assert _count(Actor, Actor.territory_id == tid, Actor.status == "verified") >= 30
    assert _count(Actor, Actor.territory_id == tid, Actor.status == "pending") == 2
    kinds = set(db.session.scalars(select(Actor.kind).where(Actor.territory_id == tid)))
    assert kinds == set(ACTOR_KINDS)
    assert 75 <= _count(Publication, Publication.territory_id == tid) <= 90
    assert _count(User, User.territory_id == tid) >= 200
    tags = list(db.session.scalars(select(Hashtag.tag).where(Hashtag.territory_id == tid)))
    assert len(tags) >= 40 and not any(is_sensitive_hashtag(t) for t in tags)

    boundary = shape(territory.boundary)
    hoods = {h.id: h for h in db.session.scalars(select(Neighbourhood).where(Neighbourhood.territory_id == tid))}
    assert len(hoods) >= 5
    for hood in hoods.values():
        assert check_area(hood.geojson, within=territory).ok, hood.name
    areas = [shape(json.loads(h.geojson)) for h in hoods.values()]
    assert all(a.intersection(b).area < 1e-12 for i, a in enumerate(areas) for b in areas[i + 1:])
    for actor in db.session.scalars(select(Actor).where(Actor.territory_id == tid)):
        assert shape(json.loads(hoods[actor.neighbourhood_id].geojson)).contains(Point(actor.lon, actor.lat))
        assert boundary.contains(Point(actor.lon, actor.lat))
        assert actor.opening_hours is not None and actor.description_md


@pytest.mark.parametrize("slug", ["laciotat", "montgenevre"])
def test_demo_accounts_exist_in_each_territory_with_the_shared_password(demo, slug):
    tid = db.session.scalar(select(Territory.id).where(Territory.slug == slug))
    people = {u.email.split("@")[0]: u for u in db.session.scalars(
        select(User).where(User.territory_id == tid, User.email.like("%@demo.territory")))}
    assert set(people) == set(ACCOUNTS)
    for user in people.values():
        assert user.email_verified and verify_password(user.password_hash, DEMO_PASSWORD)
    assert people["admin"].is_admin and not people["citoyen"].is_admin
    assert {h.tag for h in people["citoyen"].hashtags} == {"bio", "theatre", "marche"}
    assert people["citoyen"].onboarded_at is not None
    assert _count(Follow, Follow.user_id == people["citoyen"].id) == 3
    assert _count(Follow, Follow.user_id == people["commercant"].id) >= 1
    shop = db.session.scalar(select(Actor).join(Membership).where(Membership.user_id == people["commercant"].id))
    club = db.session.scalar(select(Actor).join(Membership).where(Membership.user_id == people["president"].id))
    assert shop.kind == "merchant" and shop.status == "verified"
    assert club.kind in ("association", "sports_club")


def test_the_organic_shop_offer_tagged_bio_is_the_newest_publication(demo):
    territory = db.session.scalar(select(Territory).where(Territory.slug == "laciotat"))
    newest = db.session.scalar(
        select(Publication).where(Publication.territory_id == territory.id)
        .order_by(Publication.published_at.desc()).limit(1))
    assert newest.actor.name == "Primeur Bio du Port" and newest.kind == "offer"
    assert "bio" in {h.tag for h in newest.hashtags} and newest.is_visible
    from app.models_common import utcnow

    assert newest.valid_from <= utcnow() <= newest.valid_until


def test_each_demo_host_reaches_its_territory(demo, client):
    assert "La Ciotat" in client.get("/").get_data(as_text=True)
    assert "Montgenèvre" in client.get("/", base_url="http://station.localhost").get_data(as_text=True)
