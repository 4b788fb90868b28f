import io

import pytest

from app.actors.models import Actor
from app.extensions import db
from app.media.models import Media
from tests.actors.conftest import png_bytes
from tests.factories import (
    login_as,
    make_actor,
    make_hashtag,
    make_member,
    make_neighbourhood,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token


@pytest.fixture
def editor(client):
    territory = make_territory()
    actor = make_actor(territory, "Fromagerie")
    person = make_user(territory)
    make_member(person, actor, role="editor")
    login_as(client, person, acting_actor=actor)
    return territory, actor


def _form(client, **overrides):
    data = {
        "csrf_token": csrf_token(client, "/manage/page"),
        "name": "Fromagerie du Port",
        "kind": "merchant",
        "summary": "Fromages affinés",
        "description": "Ouvert **tous les jours**.",
        "address": "1 quai Ganteaume",
        "lat": "43.1748",
        "lon": "5.6046",
        "phone": "04 42 11 22 33",
        "email": "bonjour@fromagerie.example",
        "website": "https://fromagerie.example",
        "hours-mon-open1": "09:00",
        "hours-mon-close1": "12:30",
        "hours-mon-open2": "15:00",
        "hours-mon-close2": "19:00",
        "hours-fri-open1": "22:00",
        "hours-fri-close1": "02:00",
    }
    data.update(overrides)
    return data


def test_editor_saves_every_field_of_the_page(client, editor):
    territory, actor = editor
    bio = make_hashtag(territory, "bio")
    port = make_neighbourhood(territory, "Le Port")
    data = _form(client, hashtags=[str(bio.id)], neighbourhood=str(port.id))
    response = client.post("/manage/page", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    actor = db.session.get(Actor, actor.id)
    # The actor is verified: its new name waits for the town (test_kinds_and_changes.py).
    assert actor.name == "Fromagerie" and actor.slug == "fromagerie"
    assert actor.pending_name == "Fromagerie du Port"
    assert actor.lat == pytest.approx(43.1748) and actor.lon == pytest.approx(5.6046)
    assert actor.neighbourhood_id == port.id
    assert [h.tag for h in actor.hashtags] == ["bio"]
    assert actor.opening_hours == {
        "mon": [["09:00", "12:30"], ["15:00", "19:00"]],
        "fri": [["22:00", "02:00"]],
    }
    assert actor.website == "https://fromagerie.example"
    page = client.get("/manage/page").get_data(as_text=True)
    assert 'value="15:00"' in page


def test_invalid_values_come_back_next_to_their_fields_keeping_what_was_typed(client, editor):
    _territory, actor = editor
    data = _form(
        client,
        lat="123",
        website="javascript:alert(1)",
        **{"hours-tue-open1": "25:00", "hours-wed-open1": "09:00"},
    )
    response = client.post("/manage/page", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="lat-error"' in html
    assert 'id="website-error"' in html and "http://" in html
    assert 'id="hours-tue-open1-error"' in html
    assert 'id="hours-wed-close1-error"' in html
    assert 'value="Fromagerie du Port"' in html and 'value="1 quai Ganteaume"' in html
    db.session.expire_all()
    assert db.session.get(Actor, actor.id).name == "Fromagerie"


def test_a_hashtag_outside_the_catalogue_is_refused(client, editor):
    territory, _actor = editor
    other = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    foreign = make_hashtag(other, "ski")
    response = client.post("/manage/page", data=_form(client, hashtags=[str(foreign.id)]))
    assert response.status_code == 422


def test_logo_and_photo_uploads_are_stored_re_encoded(client, editor):
    _territory, actor = editor
    data = _form(client)
    data["logo"] = (io.BytesIO(png_bytes()), "logo.png")
    data["photo"] = (io.BytesIO(png_bytes((800, 400))), "photo.png")
    response = client.post("/manage/page", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    db.session.expire_all()
    actor = db.session.get(Actor, actor.id)
    assert db.session.get(Media, actor.logo_media_id).content_type == "image/webp"
    assert actor.photo_media_id
    html = client.get("/actors/fromagerie").get_data(as_text=True)
    logo, photo = db.session.get(Media, actor.logo_media_id), db.session.get(Media, actor.photo_media_id)
    assert f"/media/{logo.token}" in html and f"/media/{photo.token}" in html


def test_the_photo_description_is_read_to_people_who_cannot_see_it(client, editor):
    _territory, actor = editor
    data = _form(client, photo_alt=" The counter and its cheeses ")
    data["photo"] = (io.BytesIO(png_bytes((800, 400))), "photo.png")
    assert client.post("/manage/page", data=data, content_type="multipart/form-data").status_code == 303

    db.session.expire_all()
    assert db.session.get(Actor, actor.id).photo_alt == "The counter and its cheeses"
    html = client.get("/actors/fromagerie").get_data(as_text=True)
    assert 'class="actor-photo"' in html and 'alt="The counter and its cheeses"' in html
    assert 'value="The counter and its cheeses"' in client.get("/manage/page").get_data(as_text=True)


def test_a_non_image_upload_is_refused_next_to_its_field(client, editor):
    _territory, actor = editor
    data = _form(client)
    data["logo"] = (io.BytesIO(b"%PDF-1.4 not an image"), "logo.png")
    response = client.post("/manage/page", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="logo-error"' in html and "not an image" in html
    assert 'value="Fromagerie du Port"' in html
    db.session.expire_all()
    assert db.session.get(Actor, actor.id).name == "Fromagerie"
    assert db.session.query(Media).count() == 0


def test_a_too_large_image_is_refused_next_to_its_field(client, editor, app):
    app.config["MAX_IMAGE_BYTES"] = 2000
    data = _form(client)
    data["photo"] = (io.BytesIO(png_bytes((400, 400)) + b"\0" * 3000), "big.png")
    response = client.post("/manage/page", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="photo-error"' in html and "too large" in html


def test_the_edit_page_needs_to_act_as_the_actor(client):
    territory = make_territory()
    actor = make_actor(territory, "Fromagerie")
    person = make_user(territory)
    make_member(person, actor)
    login_as(client, person)  # logged in as "me"
    assert client.get("/manage/page").status_code == 403
