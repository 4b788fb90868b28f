"""The hashtag catalogue, verifying actors and unpublishing content."""

import pytest
from sqlalchemy import select

from app.actors.models import Actor
from app.extensions import db
from app.publications.models import Publication
from app.territories.models import Hashtag
from tests.factories import make_actor, make_hashtag, make_publication

HTMX = {"HX-Request": "true"}


def test_admin_adds_a_hashtag_normalised(admin_client, territory):
    response = admin_client.post("/admin/hashtags", data={"tag": "#Vide-Grenier", "csrf_token": admin_client.csrf})
    assert response.status_code == 303
    assert db.session.scalar(select(Hashtag.tag).where(Hashtag.territory_id == territory.id)) == "videgrenier"


@pytest.mark.parametrize("tag", ["#religion", "Eglise", "#politique", "#santé", "#election2026", "#culte", "#LGBT"])
def test_sensitive_hashtags_are_refused_with_an_explanation(admin_client, territory, tag):
    response = admin_client.post("/admin/hashtags", data={"tag": tag, "csrf_token": admin_client.csrf})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = html.split('id="tag-error"', 1)[1].split("</p>", 1)[0]
    assert "GDPR" in error or "RGPD" in error
    assert db.session.scalar(select(Hashtag)) is None


def test_duplicate_hashtag_is_refused(admin_client, territory):
    make_hashtag(territory, "bio")
    response = admin_client.post("/admin/hashtags", data={"tag": "#BIO", "csrf_token": admin_client.csrf})
    assert response.status_code == 422


def test_admin_deactivates_and_reactivates_a_hashtag_in_place(admin_client, territory):
    hashtag = make_hashtag(territory, "braderie")
    response = admin_client.post(f"/admin/hashtags/{hashtag.id}/deactivate", data={"csrf_token": admin_client.csrf},
                                 headers=HTMX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith("<li") and "<html" not in html
    db.session.expire_all()
    assert db.session.get(Hashtag, hashtag.id).active is False
    response = admin_client.post(f"/admin/hashtags/{hashtag.id}/reactivate", data={"csrf_token": admin_client.csrf})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Hashtag, hashtag.id).active is True


def test_verifying_a_pending_actor_makes_it_public(app, admin_client, territory):
    actor = make_actor(territory, "Primeur Bio du Port", status="pending", summary="Fruits et légumes bio")
    assert not actor.is_verified
    listing = admin_client.get("/admin/actors").get_data(as_text=True)
    assert "Primeur Bio du Port" in listing
    visitor = app.test_client()
    assert visitor.get(f"/actors/{actor.slug}").status_code == 404
    response = admin_client.post(f"/admin/actors/{actor.id}/verify", data={"csrf_token": admin_client.csrf},
                                 headers=HTMX)
    assert response.status_code == 200
    db.session.expire_all()
    actor = db.session.get(Actor, actor.id)
    assert actor.status == "verified" and actor.verified_at is not None
    page = visitor.get(f"/actors/{actor.slug}")
    assert page.status_code == 200 and "Primeur Bio du Port" in page.get_data(as_text=True)
    # Its publications are now visible to the public (the model's rule the public pages use).
    publication = make_publication(actor, "Paniers de saison", kind="offer")
    assert publication.is_visible
    # No longer among the actors to verify (the page lists it with the kinds of the verified).
    assert f'id="actor-{actor.id}"' not in admin_client.get("/admin/actors").get_data(as_text=True)


def test_rejecting_a_pending_actor(admin_client, territory):
    actor = make_actor(territory, "Faux commerce", status="pending")
    response = admin_client.post(f"/admin/actors/{actor.id}/reject", data={"csrf_token": admin_client.csrf})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Actor, actor.id).status == "rejected"


def test_unpublishing_hides_a_publication_until_restored(app, admin_client, territory):
    actor = make_actor(territory, "Cinéma Eden")
    publication = make_publication(actor, "Soirée douteuse", kind="event")
    assert publication.is_visible
    visitor = app.test_client()
    assert visitor.get(f"/p/{publication.id}").status_code == 200
    assert "Soirée douteuse" in admin_client.get("/admin/moderation").get_data(as_text=True)
    response = admin_client.post(f"/admin/publications/{publication.id}/unpublish",
                                 data={f"p{publication.id}-reason": "Contenu trompeur", "csrf_token": admin_client.csrf},
                                 headers=HTMX)
    assert response.status_code == 200
    assert "Contenu trompeur" in response.get_data(as_text=True)
    db.session.expire_all()
    publication = db.session.get(Publication, publication.id)
    assert publication.moderated_at is not None and publication.moderation_reason == "Contenu trompeur"
    assert not publication.is_visible
    assert visitor.get(f"/p/{publication.id}").status_code == 404
    response = admin_client.post(f"/admin/publications/{publication.id}/restore", data={"csrf_token": admin_client.csrf})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).is_visible
    assert visitor.get(f"/p/{publication.id}").status_code == 200


def test_unpublishing_needs_a_reason(admin_client, territory):
    publication = make_publication(make_actor(territory, "Club de voile"), "Régate")
    response = admin_client.post(f"/admin/publications/{publication.id}/unpublish",
                                 data={f"p{publication.id}-reason": "  ", "csrf_token": admin_client.csrf})
    assert response.status_code == 422
    assert f'id="p{publication.id}-reason-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).moderated_at is None
