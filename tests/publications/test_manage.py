"""The acting actor's publication tools: create, edit, publish, archive; and who may not."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image

from app.extensions import db
from app.media.models import Media
from app.publications.models import Publication
from tests.factories import (
    login_as,
    make_actor,
    make_hashtag,
    make_member,
    make_publication,
    make_territory,
    make_user,
)
from tests.support.csrf import csrf_token


def _png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 20)).save(data, format="PNG")
    data.seek(0)
    return data


def _post_new(client, kind: str, **fields):  # type: ignore[no-untyped-def]
    token = csrf_token(client, f"/manage/publications/new?kind={kind}")
    data = {"csrf_token": token, "summary": "", "body_md": "", "hashtags": "", **fields}
    return client.post(f"/manage/publications/new?kind={kind}", data=data)


def _only_publication() -> Publication:
    publications = db.session.query(Publication).all()
    assert len(publications) == 1
    return publications[0]


# --- writing ------------------------------------------------------------------------------------

def test_editor_saves_news_as_draft(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_new(
        client, "news", title="Pain au levain", summary="Tous les samedis", body_md="**Bon**",
        hashtags="#bio", action="save",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/manage/publications")
    publication = _only_publication()
    assert (publication.kind, publication.status, publication.title) == ("news", "draft", "Pain au levain")
    assert publication.actor_id == town.actor.id and publication.created_by_id == town.editor.id
    assert [h.tag for h in publication.hashtags] == ["bio"]
    assert publication.published_at is None


def test_editor_publishes_event_typed_in_local_time_and_stored_in_utc(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_new(
        client, "event", title="Fête du pain", starts_at="2030-07-14T20:30",
        ends_at="2030-07-14T23:00", place_name="Quai Ganteaume", lat="43.1748", lon="5.6047",
        hashtags="bio Theatre", action="publish",
    )
    assert response.status_code == 303
    publication = _only_publication()
    assert publication.status == "published" and publication.published_at is not None
    assert publication.starts_at == datetime(2030, 7, 14, 18, 30, tzinfo=UTC)
    assert publication.ends_at == datetime(2030, 7, 14, 21, 0, tzinfo=UTC)
    assert (publication.lat, publication.lon) == (43.1748, 5.6047)
    assert sorted(h.tag for h in publication.hashtags) == ["bio", "theatre"]


def test_edit_form_shows_stored_times_in_local_time_and_saves_changes(client, town):
    publication = make_publication(
        town.actor, "Concert", kind="event", status="draft", place_name="Eden",
        starts_at=datetime(2030, 1, 10, 19, 0, tzinfo=UTC), ends_at=datetime(2030, 1, 10, 21, 0, tzinfo=UTC),
        hashtags=[town.theatre],
    )
    login_as(client, town.editor, acting_actor=town.actor)
    page = client.get(f"/manage/publications/{publication.id}/edit").get_data(as_text=True)
    assert 'value="2030-01-10T20:00"' in page  # winter: UTC+1
    assert 'value="#theatre"' in page
    token = csrf_token(client, f"/manage/publications/{publication.id}/edit")
    response = client.post(
        f"/manage/publications/{publication.id}/edit",
        data={"csrf_token": token, "title": "Concert au Eden", "summary": "", "body_md": "",
              "hashtags": "#bio", "starts_at": "2030-01-10T20:00", "ends_at": "2030-01-10T23:00",
              "place_name": "Eden", "lat": "", "lon": "", "action": "save"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    publication = db.session.get(Publication, publication.id)
    assert publication.title == "Concert au Eden" and publication.status == "draft"
    assert publication.ends_at == datetime(2030, 1, 10, 22, 0, tzinfo=UTC)
    assert [h.tag for h in publication.hashtags] == ["bio"]


def test_new_without_kind_offers_the_three_kinds(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    page = client.get("/manage/publications/new").get_data(as_text=True)
    for kind in ("news", "event", "offer"):
        assert f"/manage/publications/new?kind={kind}" in page


def test_offer_with_an_image_stores_it(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_new(
        client, "offer", title="-20 % sur les croissants", valid_from="2030-03-01T08:00",
        valid_until="2030-03-08T19:00", place_name="", lat="", lon="",
        image=(_png(), "croissant.png"), action="publish",
    )
    assert response.status_code == 303
    publication = _only_publication()
    assert publication.image_media_id is not None
    assert publication.valid_until == datetime(2030, 3, 8, 18, 0, tzinfo=UTC)
    image = db.session.get(Media, publication.image_media_id)
    assert client.get(f"/media/{image.token}").status_code == 200


def test_the_image_description_is_read_to_people_who_cannot_see_it(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    _post_new(
        client, "news", title="Le nouveau four", image=(_png(), "four.png"),
        image_alt="  Le boulanger devant son four à bois  ", action="publish",
    )
    publication = _only_publication()
    assert publication.image_alt == "Le boulanger devant son four à bois"

    page = client.get(f"/p/{publication.id}").get_data(as_text=True)
    assert 'class="pub-image"' in page and 'alt="Le boulanger devant son four à bois"' in page
    edit = client.get(f"/manage/publications/{publication.id}/edit").get_data(as_text=True)
    assert 'value="Le boulanger devant son four à bois"' in edit  # kept when editing

    too_long = _post_new(client, "news", title="Autre", image_alt="x" * 251)
    assert too_long.status_code == 422
    assert 'id="image_alt-error">At most 250 characters.' in too_long.get_data(as_text=True)


# --- bad input ----------------------------------------------------------------------------------

def test_event_ending_before_it_starts_is_refused_next_to_the_field(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_new(
        client, "event", title="Régate", starts_at="2030-07-14T20:30", ends_at="2030-07-14T18:00",
        place_name="Port", lat="", lon="",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="field-error" id="ends_at-error">The end must be after the start.</p>' in page
    assert 'value="Régate"' in page and 'value="2030-07-14T18:00"' in page and 'value="Port"' in page
    assert db.session.query(Publication).count() == 0


def test_offer_with_inverted_validity_window_is_refused(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_new(
        client, "offer", title="Soldes", valid_from="2030-03-08T08:00", valid_until="2030-03-01T08:00",
        place_name="", lat="", lon="",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="valid_until-error">The end of validity must be after its start.' in page
    assert 'value="Soldes"' in page and 'value="2030-03-08T08:00"' in page


def test_unknown_or_inactive_hashtag_is_refused_with_a_clear_message(client, town):
    retired = make_hashtag(town.territory, "braderie")
    retired.active = False
    db.session.commit()
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_new(client, "news", title="Info", hashtags="#bio #nimporte #braderie")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="hashtags-error">#nimporte, #braderie are not in the town&#39;s hashtag catalogue.' in page
    assert 'value="#bio #nimporte #braderie"' in page
    assert db.session.query(Publication).count() == 0


def test_hashtag_of_another_territory_is_unknown_here(client, town):
    elsewhere = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    make_hashtag(elsewhere, "ski")
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_new(client, "news", title="Info", hashtags="#ski")
    assert response.status_code == 422
    assert "#ski is not in the town&#39;s hashtag catalogue." in response.get_data(as_text=True)


def test_too_long_title_is_refused_keeping_what_was_typed(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    title = "T" * 161
    response = _post_new(client, "news", title=title, summary="Un résumé")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="title-error">At most 160 characters.' in page
    assert f'value="{title}"' in page and "Un résumé" in page


def test_missing_event_dates_and_half_coordinates_are_refused(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_new(client, "event", title="Régate", starts_at="", ends_at="nope", place_name="", lat="43.1", lon="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="starts_at-error">Please give a date and time.' in page
    assert 'id="ends_at-error">Please give a valid date and time.' in page
    assert 'id="place_name-error">' in page
    assert 'id="lon-error">Give both latitude and longitude, or neither.' in page


def test_a_file_that_is_not_an_image_is_refused_next_to_the_field(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = _post_new(client, "news", title="Photo", image=(io.BytesIO(b"not an image"), "x.png"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="image-error">This file is not an image we can read.' in page
    assert 'value="Photo"' in page
    assert db.session.query(Publication).count() == 0


def test_form_without_csrf_token_is_refused(client, town):
    login_as(client, town.editor, acting_actor=town.actor)
    response = client.post("/manage/publications/new?kind=news", data={"title": "x"})
    assert response.status_code == 400


# --- status changes -----------------------------------------------------------------------------

def test_htmx_status_change_returns_the_row_fragment(client, town):
    publication = make_publication(town.actor, "Brioche", status="draft")
    login_as(client, town.editor, acting_actor=town.actor)
    token = csrf_token(client, "/manage/publications")
    response = client.post(
        f"/manage/publications/{publication.id}/status",
        data={"status": "published"},
        headers={"HX-Request": "true", "X-CSRFToken": token},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert html.lstrip().startswith(f'<li class="pub-row card" id="publication-row-{publication.id}">')
    assert "<html" not in html and "Brioche" in html
    assert 'name="status" value="archived"' in html and 'name="status" value="published"' not in html
    db.session.expire_all()
    publication = db.session.get(Publication, publication.id)
    assert publication.status == "published" and publication.published_at is not None


def test_status_change_without_javascript_redirects_back_to_the_list(client, town):
    publication = make_publication(town.actor, "Brioche", status="published")
    first_published = publication.published_at
    login_as(client, town.editor, acting_actor=town.actor)
    token = csrf_token(client, "/manage/publications")
    url = f"/manage/publications/{publication.id}/status"
    response = client.post(url, data={"csrf_token": token, "status": "archived", "next": "/manage/publications?status=published"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/manage/publications?status=published")
    response = client.post(url, data={"csrf_token": token, "status": "published", "next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/manage/publications")
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).published_at == first_published


def test_unknown_status_is_a_bad_request(client, town):
    publication = make_publication(town.actor, "Brioche", status="draft")
    login_as(client, town.editor, acting_actor=town.actor)
    token = csrf_token(client, "/manage/publications")
    response = client.post(f"/manage/publications/{publication.id}/status", data={"csrf_token": token, "status": "deleted"})
    assert response.status_code == 400


def test_manage_list_filters_by_status_and_hides_archived_by_default(client, town):
    make_publication(town.actor, "Brouillon du jour", status="draft")
    make_publication(town.actor, "Annonce publiée", status="published")
    make_publication(town.actor, "Vieille annonce", status="archived")
    make_publication(town.other_actor, "Régate du club", status="published")
    login_as(client, town.editor, acting_actor=town.actor)
    current = client.get("/manage/publications").get_data(as_text=True)
    assert "Brouillon du jour" in current and "Annonce publiée" in current
    assert "Vieille annonce" not in current and "Régate du club" not in current
    drafts = client.get("/manage/publications?status=draft").get_data(as_text=True)
    assert "Brouillon du jour" in drafts and "Annonce publiée" not in drafts
    archived = client.get("/manage/publications?status=archived").get_data(as_text=True)
    assert "Vieille annonce" in archived and "Brouillon du jour" not in archived


def test_moderated_publication_tells_its_actor_why(client, town):
    from app.publications.services import unpublish

    publication = make_publication(town.actor, "Annonce", status="published")
    unpublish(publication, "Contenu trompeur")
    login_as(client, town.editor, acting_actor=town.actor)
    page = client.get("/manage/publications").get_data(as_text=True)
    assert "Unpublished by the town." in page and "Contenu trompeur" in page


# --- who may not --------------------------------------------------------------------------------

def test_editor_of_one_actor_cannot_view_edit_or_publish_another_actors_publication(client, town):
    theirs = make_publication(town.other_actor, "Régate", status="draft")
    login_as(client, town.editor, acting_actor=town.actor)
    token = csrf_token(client, "/manage/publications")
    assert client.get(f"/manage/publications/{theirs.id}/edit").status_code == 404
    edit = client.post(f"/manage/publications/{theirs.id}/edit", data={"csrf_token": token, "title": "Pirate"})
    assert edit.status_code == 404
    status = client.post(f"/manage/publications/{theirs.id}/status", data={"csrf_token": token, "status": "published"})
    assert status.status_code == 404
    assert client.get(f"/p/{theirs.id}").status_code == 404  # a draft of someone else
    db.session.expire_all()
    theirs = db.session.get(Publication, theirs.id)
    assert (theirs.title, theirs.status) == ("Régate", "draft")


def test_member_of_both_actors_only_edits_as_the_actor_they_act_for(client, town):
    make_member(town.editor, town.other_actor, role="editor")
    theirs = make_publication(town.other_actor, "Régate", status="draft")
    login_as(client, town.editor, acting_actor=town.actor)
    assert client.get(f"/manage/publications/{theirs.id}/edit").status_code == 404
    login_as(client, town.editor, acting_actor=town.other_actor)
    assert client.get(f"/manage/publications/{theirs.id}/edit").status_code == 200


def test_another_territorys_publication_is_not_found_from_here_or_there(client, town):
    station = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    station_actor = make_actor(station, "Ecole de ski")
    station_editor = make_user(station, language="en")
    make_member(station_editor, station_actor)
    theirs = make_publication(station_actor, "Descente aux flambeaux", status="draft")
    login_as(client, town.editor, acting_actor=town.actor)
    token = csrf_token(client, "/manage/publications")
    assert client.get(f"/manage/publications/{theirs.id}/edit").status_code == 404
    response = client.post(f"/manage/publications/{theirs.id}/status", data={"csrf_token": token, "status": "published"})
    assert response.status_code == 404
    assert client.get(f"/p/{theirs.id}").status_code == 404
    # Through the other territory's host, this session logs nobody in.
    there = "http://station.localhost"
    assert client.get(f"/manage/publications/{theirs.id}/edit", base_url=there).status_code == 401
    assert client.get("/manage/publications", base_url=there).status_code == 401
    db.session.expire_all()
    assert db.session.get(Publication, theirs.id).status == "draft"


def test_citizen_without_membership_is_forbidden_the_tools(client, town):
    publication = make_publication(town.actor, "Annonce", status="draft")
    login_as(client, town.citizen)
    assert client.get("/manage/publications").status_code == 403
    assert client.get("/manage/publications/new?kind=news").status_code == 403
    assert client.get(f"/manage/publications/{publication.id}/edit").status_code == 403


def test_member_not_acting_as_the_actor_is_forbidden_the_tools(client, town):
    login_as(client, town.editor)
    assert client.get("/manage/publications").status_code == 403


def test_visitor_must_log_in_for_the_tools(client, town):
    assert client.get("/manage/publications").status_code == 401
    assert client.get("/manage/publications/new").status_code == 401
