"""A media is as visible as the place that shows it: a published publication's image and a
verified actor's pictures are anyone's; a draft's image, or an actor's before the town verifies
it, only its members' (and, for the actor, the town's admins'); a media shown nowhere is nobody's.
Its URL names it by a random token: ids cannot be counted to find drafts."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.media.models import Media
from app.models_common import utcnow
from tests.factories import (
    login_as,
    make_actor,
    make_member,
    make_publication,
    make_territory,
    make_user,
)
from tests.support.statements import statements_sent


def _media(territory: Any) -> Media:
    media = Media(territory_id=territory.id, content_type="image/webp", data=b"RIFF0000WEBPVP8 ", width=1, height=1)
    db.session.add(media)
    db.session.commit()
    return media


@pytest.fixture
def town(app: Any) -> Any:
    territory = make_territory()
    bakery = make_actor(territory, "Boulangerie du Port")
    baker = make_user(territory, "baker@port.test")
    make_member(baker, bakery)
    florist = make_actor(territory, "Fleurs du Quai")
    other_member = make_user(territory, "florist@quai.test")
    make_member(other_member, florist)
    return {
        "territory": territory,
        "bakery": bakery,
        "baker": baker,
        "citizen": make_user(territory, "citizen@port.test"),
        "other_member": (other_member, florist),
        "admin": make_user(territory, "admin@port.test", is_admin=True),
    }


def _status(app: Any, url: str, who: Any, town: Any) -> int:
    client = app.test_client()
    if who == "baker":
        login_as(client, town["baker"], acting_actor=town["bakery"])
    elif who == "other_member":
        login_as(client, town["other_member"][0], acting_actor=town["other_member"][1])
    elif who != "visitor":
        login_as(client, town[who])
    return client.get(url).status_code


def test_a_published_publications_image_is_anyones(app, town):
    image = _media(town["territory"])
    make_publication(town["bakery"], "Croissants", image_media_id=image.id)
    for who in ("visitor", "citizen", "other_member", "baker"):
        assert _status(app, f"/media/{image.token}", who, town) == 200, who


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_an_unpublished_publications_image_is_only_its_actors_members(app, town, status):
    image = _media(town["territory"])
    make_publication(town["bakery"], "Not yet", status=status, image_media_id=image.id)
    assert _status(app, f"/media/{image.token}", "baker", town) == 200
    for who in ("visitor", "citizen", "other_member", "admin"):
        assert _status(app, f"/media/{image.token}", who, town) == 404, who


def test_a_hidden_publications_image_follows_it(app, town):
    """Moderated by the town, or of an actor the town has not verified: as hidden as its page."""
    moderated, pending_image = _media(town["territory"]), _media(town["territory"])
    make_publication(town["bakery"], "Moderated", image_media_id=moderated.id, moderated_at=utcnow())
    pending = make_actor(town["territory"], "Nouveau Café", status="pending")
    make_publication(pending, "Opening", image_media_id=pending_image.id)
    assert _status(app, f"/media/{moderated.token}", "baker", town) == 200
    for media in (moderated, pending_image):
        assert _status(app, f"/media/{media.token}", "visitor", town) == 404


def test_an_actors_pictures_follow_the_actor(app, town):
    logo, photo = _media(town["territory"]), _media(town["territory"])
    pending = make_actor(town["territory"], "Nouveau Café", status="pending", logo_media_id=logo.id,
                         photo_media_id=photo.id)
    owner = make_user(town["territory"], "owner@cafe.test")
    make_member(owner, pending)
    town["owner"] = owner
    for media in (logo, photo):
        url = f"/media/{media.token}"
        assert _status(app, url, "owner", town) == 200
        assert _status(app, url, "admin", town) == 200  # the town verifies it: it sees its page
        for who in ("visitor", "citizen", "baker"):
            assert _status(app, url, who, town) == 404, who
    pending.status = "verified"
    db.session.commit()
    assert _status(app, f"/media/{logo.token}", "visitor", town) == 200


def test_the_territory_logo_is_anyones(app, town):
    logo = _media(town["territory"])
    town["territory"].logo_media_id = logo.id
    db.session.commit()
    assert _status(app, f"/media/{logo.token}", "visitor", town) == 200


def test_a_media_shown_nowhere_is_nobodys(app, town):
    orphan = _media(town["territory"])
    for who in ("visitor", "baker", "admin"):
        assert _status(app, f"/media/{orphan.token}", who, town) == 404


def test_media_urls_name_a_random_token_not_the_id(client: FlaskClient, town):
    images = [_media(town["territory"]) for _ in range(3)]
    for number, image in enumerate(images):
        make_publication(town["bakery"], f"News {number}", image_media_id=image.id)
    html = client.get("/all").get_data(as_text=True)
    for image in images:
        assert len(image.token) >= 22  # at least 128 random bits, URL-safe
        assert f'src="/media/{image.token}"' in html
        assert client.get(f"/media/{image.id}").status_code == 404
    assert len({image.token for image in images}) == 3


def test_a_page_of_images_asks_their_tokens_once(client: FlaskClient, town):
    for number in range(5):
        make_publication(town["bakery"], f"News {number}", image_media_id=_media(town["territory"]).id)
    with statements_sent(db.engine) as statements:
        html = client.get("/all").get_data(as_text=True)
    assert html.count('src="/media/') == 5
    assert sum("FROM media" in s for s in statements) == 1
