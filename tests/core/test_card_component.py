"""One card component (templates/macros/card.html) for every list shown to people: a
publication looks the same in "For you" and "Everything", and the agenda, the directory, an
actor's page, Near me and the inbox list their items as the same cards. Thumbnails carry their
width and height (their room is kept while they load) and only the first loads at once."""

from __future__ import annotations

import re
from datetime import timedelta

from app.delivery.models import InboxItem
from app.extensions import db
from app.media.models import Media
from app.models_common import utcnow
from tests.factories import (
    login_as,
    make_actor,
    make_follow,
    make_hashtag,
    make_publication,
    make_territory,
    make_user,
)

CARD = re.compile(r'<article class="card[ "].*?</article>', re.S)
ALWAYS_OPEN = {day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _image(territory, width: int = 640, height: int = 360) -> Media:  # type: ignore[no-untyped-def]
    media = Media(territory_id=territory.id, content_type="image/webp", data=b"RIFF0000WEBPVP8 ",
                  width=width, height=height)
    db.session.add(media)
    db.session.commit()
    return media


def cards(html: str) -> list[str]:
    return CARD.findall(html)


def card_linking(html: str, href: str) -> str:
    found = [card for card in cards(html) if f'href="{href}"' in card]
    assert len(found) == 1, (href, found)
    return found[0]


def assert_is_the_card_component(card: str, title: str, href: str) -> None:
    """The component's parts, in its order: (thumbnail), kicker, title link, meta."""
    assert re.search(
        rf'<div class="card-body">\s*(<p class="card-kicker">.*?</p>\s*)?'
        rf'<h([234]) class="card-title[^"]*"><a href="{re.escape(href)}"[^>]*>(<bdi>)?{re.escape(title)}(</bdi>)?</a>.*?</h\2>',
        card, re.S,
    ), card


def test_for_you_and_everything_show_a_publication_with_the_same_card(client):
    territory = make_territory(timezone="Europe/Paris")
    market = make_hashtag(territory, "marche")
    shop = make_actor(territory, "Epicerie Verte")
    person = make_user(territory, hashtags=[market])
    make_follow(person, shop)
    offer = make_publication(shop, "Panier du marché", kind="offer", hashtags=[market],
                             summary="Des légumes du coin.", image_media_id=_image(territory).id,
                             valid_until=utcnow() + timedelta(days=3))
    login_as(client, person)

    for_you = card_linking(client.get("/").get_data(as_text=True), f"/p/{offer.id}")
    everything = card_linking(client.get("/all").get_data(as_text=True), f"/p/{offer.id}")

    assert for_you == everything
    assert_is_the_card_component(for_you, "Panier du marché", f"/p/{offer.id}")
    assert '<span class="pub-kind pub-kind-offer">Offer</span>' in for_you
    assert "</span> <bdi>Epicerie Verte</bdi></p>" in for_you
    assert re.search(r'<p class="card-meta">Valid until [^<]+</p>', for_you)
    assert '<p class="card-summary">Des légumes du coin.</p>' in for_you
    assert '<p class="card-tags"><span class="tag">' in for_you
    assert re.search(r'<img class="card-thumb" src="/media/[^"]+" alt="" width="640" height="360" fetchpriority="high">', for_you)


def test_only_the_first_thumbnail_of_a_page_loads_at_once_and_all_keep_their_room(client):
    territory = make_territory()
    shop = make_actor(territory, "Boulangerie")
    for number in range(3):
        make_publication(shop, f"Pain {number}", image_media_id=_image(territory, 800 + number, 600).id,
                         published_at=utcnow() - timedelta(hours=number))
    html = client.get("/all").get_data(as_text=True)
    thumbs = re.findall(r'<img class="card-thumb"[^>]*>', html)
    assert len(thumbs) == 3
    assert [re.search(r'width="(\d+)" height="600"', tag).group(1) for tag in thumbs] == ["800", "801", "802"]  # type: ignore[union-attr]
    assert 'fetchpriority="high"' in thumbs[0] and "loading" not in thumbs[0]
    assert all('loading="lazy"' in tag and "fetchpriority" not in tag for tag in thumbs[1:])


def test_every_list_shown_to_people_lists_cards(client):
    territory = make_territory(timezone="Europe/Paris")
    fete = make_hashtag(territory, "fete")
    shop = make_actor(territory, "Glacier du Port", lat=territory.center_lat, lon=territory.center_lon,
                      logo_media_id=_image(territory, 256, 256).id, summary="Glaces artisanales.")
    shop.opening_hours = ALWAYS_OPEN
    db.session.commit()
    now = utcnow()
    event = make_publication(shop, "Bal du port", kind="event", hashtags=[fete], starts_at=now + timedelta(minutes=30),
                             ends_at=now + timedelta(hours=3), lat=territory.center_lat, lon=territory.center_lon)
    person = make_user(territory)
    db.session.add(InboxItem(user_id=person.id, territory_id=territory.id, title="Bal ce soir", actor_id=shop.id,
                             created_at=now))
    db.session.commit()
    item_id = db.session.query(InboxItem.id).scalar()
    login_as(client, person)

    pages = {
        "/agenda": (f"/p/{event.id}", "Bal du port"),
        "/actors": ("/actors/" + shop.slug, "Glacier du Port"),
        "/actors/" + shop.slug: (f"/p/{event.id}", "Bal du port"),
        f"/near?lat={territory.center_lat}&lon={territory.center_lon}": (f"/p/{event.id}", "Bal du port"),
        "/me/inbox": (f"/me/inbox/{item_id}", "Bal ce soir"),
    }
    for path, (href, title) in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        card = card_linking(response.get_data(as_text=True), href)
        assert_is_the_card_component(card, title, href)

    directory_card = card_linking(client.get("/actors").get_data(as_text=True), "/actors/" + shop.slug)
    assert '<p class="card-summary">Glaces artisanales.</p>' in directory_card
    assert re.search(r'<img class="card-thumb card-logo" src="/media/[^"]+" alt="" width="256" height="256"', directory_card)
    agenda_card = card_linking(client.get("/agenda").get_data(as_text=True), f"/p/{event.id}")
    assert f'<a class="tag" href="/agenda?tag={fete.tag}">' in agenda_card
    near = client.get(f"/near?lat={territory.center_lat}&lon={territory.center_lon}").get_data(as_text=True)
    near_card = card_linking(near, f"/p/{event.id}")
    assert 'data-lat="' in near_card and 'class="near-distance"' in near_card


def test_a_publications_and_an_actors_own_images_keep_their_room(client):
    territory = make_territory()
    shop = make_actor(territory, "Fromagerie", photo_media_id=_image(territory, 1600, 900).id, photo_alt="Le comptoir")
    publication = make_publication(shop, "Tomme de saison", image_media_id=_image(territory, 1200, 800).id,
                                   image_alt="Une tomme")
    page = client.get(f"/p/{publication.id}").get_data(as_text=True)
    assert re.search(r'<img class="pub-image" src="/media/[^"]+" alt="Une tomme" width="1200" height="800"', page)
    actor_page = client.get(f"/actors/{shop.slug}").get_data(as_text=True)
    assert re.search(r'<img class="actor-photo" src="/media/[^"]+" alt="Le comptoir" width="1600" height="900"', actor_page)
