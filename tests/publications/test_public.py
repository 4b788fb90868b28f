"""The public page of a publication, the shared card and list fragments, and who sees what."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g, render_template

from app.extensions import db
from app.publications import services
from app.publications.models import Publication
from app.publications.permissions import can_edit
from tests.factories import login_as, make_actor, make_publication, make_territory, make_user

EN = {"Accept-Language": "en"}


def test_published_publication_has_a_public_page(client, town):
    publication = make_publication(
        town.actor, "Pain au levain", summary="Tous les samedis", body_md="Du **vrai** pain",
        hashtags=[town.bio],
    )
    response = client.get(f"/p/{publication.id}", headers=EN)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Pain au levain</h1>" in page
    assert "Tous les samedis" in page and "<strong>vrai</strong>" in page and "#bio" in page
    assert "><bdi>Boulangerie du Port</bdi></a>" in page
    assert 'class="pub-kind pub-kind-news">News<' in page
    assert "Draft:" not in page


def test_body_markdown_is_sanitised(client, town):
    publication = make_publication(
        town.actor, "Piège", body_md='<script>alert(1)</script> [lien](javascript:alert(1)) <img src=x onerror=alert(1)>'
    )
    page = client.get(f"/p/{publication.id}").get_data(as_text=True)
    body = page.split('class="pub-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and 'href="javascript' not in body and "<img" not in body


def test_draft_is_not_public(client, town):
    publication = make_publication(town.actor, "Secret", status="draft")
    assert client.get(f"/p/{publication.id}").status_code == 404
    login_as(client, town.citizen)
    assert client.get(f"/p/{publication.id}").status_code == 404


def test_draft_is_shown_to_the_actors_members_with_a_notice(client, town):
    publication = make_publication(town.actor, "Secret", status="draft")
    login_as(client, town.editor)  # even while acting as themselves
    response = client.get(f"/p/{publication.id}")
    assert response.status_code == 200
    assert "Draft: only your actor's members see this page." in response.get_data(as_text=True)


def test_moderated_publication_is_not_public_until_restored(client, town):
    publication = make_publication(town.actor, "Annonce")
    services.unpublish(publication, "Hors sujet")
    assert client.get(f"/p/{publication.id}").status_code == 404
    assert publication not in _visible()
    services.restore(publication)
    assert client.get(f"/p/{publication.id}").status_code == 200
    assert publication in _visible()


def test_archived_publication_is_in_no_public_list_nor_page(client, town):
    archived = make_publication(town.actor, "Ancienne", status="archived")
    live = make_publication(town.actor, "Actuelle")
    assert client.get(f"/p/{archived.id}").status_code == 404
    assert _visible() == [live]
    assert services.published_for_actor(town.actor) == [live]


def test_publication_of_an_unverified_actor_is_not_public(client, town):
    pending = make_actor(town.territory, "Nouvelle Boutique", status="pending")
    publication = make_publication(pending, "Ouverture")
    assert client.get(f"/p/{publication.id}").status_code == 404
    assert _visible() == []


def test_another_territorys_published_publication_is_not_found_here(client, town):
    station = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    theirs = make_publication(make_actor(station, "Ecole de ski"), "Descente aux flambeaux")
    assert client.get(f"/p/{theirs.id}").status_code == 404
    assert client.get(f"/p/{theirs.id}", base_url="http://station.localhost").status_code == 200


def test_event_dates_are_shown_in_the_territorys_time_zone(client, town):
    publication = make_publication(
        town.actor, "Fête", kind="event", place_name="Port",
        starts_at=datetime(2030, 7, 14, 18, 30, tzinfo=UTC), ends_at=datetime(2030, 7, 14, 21, 0, tzinfo=UTC),
    )
    page = client.get(f"/p/{publication.id}", headers=EN).get_data(as_text=True)
    assert "Sunday, July 14, 2030, 8:30\u202fPM – 11:00\u202fPM" in page
    town.territory.timezone = "Asia/Tokyo"
    db.session.commit()
    page = client.get(f"/p/{publication.id}", headers=EN).get_data(as_text=True)
    assert "Monday, July 15, 2030, 3:30\u202fAM – 6:00\u202fAM" in page


def test_event_over_several_days_shows_both_dates(client, town):
    publication = make_publication(
        town.actor, "Festival", kind="event", place_name="Port",
        starts_at=datetime(2030, 7, 14, 8, 0, tzinfo=UTC), ends_at=datetime(2030, 7, 16, 20, 0, tzinfo=UTC),
    )
    page = client.get(f"/p/{publication.id}", headers=EN).get_data(as_text=True)
    assert "From Sunday, July 14, 2030 at 10:00\u202fAM to Tuesday, July 16, 2030 at 10:00\u202fPM" in page


def test_dates_follow_the_visitors_language(client, town):
    publication = make_publication(
        town.actor, "Fête", kind="event", place_name="Port",
        starts_at=datetime(2030, 7, 14, 18, 30, tzinfo=UTC), ends_at=datetime(2030, 7, 14, 21, 0, tzinfo=UTC),
    )
    page = client.get(f"/p/{publication.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "dimanche 14 juillet 2030" in page and "20:30" in page


def test_card_and_list_fragments_show_what_the_feed_needs(app, town):
    event = make_publication(
        town.actor, "Fête", kind="event", summary="Au port", hashtags=[town.theatre],
        starts_at=datetime(2030, 7, 14, 18, 30, tzinfo=UTC), ends_at=datetime(2030, 7, 14, 21, 0, tzinfo=UTC),
    )
    offer = make_publication(town.actor, "Soldes", kind="offer", valid_until=datetime(2030, 1, 31, 17, 0, tzinfo=UTC))
    news = make_publication(town.actor, "Info", published_at=datetime(2030, 2, 1, 9, 0, tzinfo=UTC))
    with app.test_request_context("/", headers=EN):
        g.territory = town.territory
        html = render_template("publications/_list.html", publications=[event, offer, news])
        empty = render_template("publications/_list.html", publications=[])
        under_section = render_template("publications/_card.html", publication=news, card_heading="h3")
    assert html.count('<article class="card pub-card') == 3 and '<ul class="cards' in html
    assert f'href="/p/{event.id}">Fête</a></h2>' in html
    assert "Sunday, July 14, 2030, 8:30\u202fPM – 11:00\u202fPM" in html and "#theatre" in html and "Au port" in html
    assert "Valid until Thursday, January 31, 2030 at 6:00\u202fPM" in html
    assert "Published on February 1, 2030" in html
    assert "Boulangerie du Port" in html
    assert "<ul" not in empty and "Nothing published here yet." in empty
    assert "</h3>" in under_section


def test_visible_publications_query_is_scoped_to_the_territory(app, town):
    station = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    make_publication(make_actor(station, "Ecole de ski"), "Descente")
    ours = make_publication(town.actor, "Pain")
    with app.test_request_context("/"):
        g.territory = town.territory
        assert _visible() == [ours]
    assert list(db.session.scalars(services.visible_publications_query(station)))[0].title == "Descente"


def test_publishing_dates_the_publication_only_the_first_time(app, town):
    publication = make_publication(town.actor, "Pain", status="draft")
    services.set_status(publication, "published")
    first = publication.published_at
    assert first is not None
    services.set_status(publication, "archived")
    services.set_status(publication, "published")
    assert publication.published_at == first


def test_only_members_of_the_publications_actor_can_edit_it(app, town):
    publication = make_publication(town.actor, "Pain")
    assert can_edit(town.editor, publication)
    assert not can_edit(town.other_editor, publication)
    assert not can_edit(town.citizen, publication)
    station = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    assert not can_edit(make_user(station), publication)


def _visible() -> list[Publication]:
    from app.territories.models import Territory

    territory = g.get("territory") or db.session.query(Territory).filter_by(slug="laciotat").one()
    query = services.visible_publications_query(territory).order_by(Publication.id)
    return list(db.session.scalars(query))
