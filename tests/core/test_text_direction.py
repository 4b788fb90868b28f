"""Characters that reorder text (U+202E and its kin) are refused in names and titles, with a
message in the person's language and nothing saved; names, titles and hashtags are isolated where
they are shown, so a name written right to left cannot reorder the text around it. Text on the
town's colours reads at 4.5:1 whatever the colour (app.colours)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.actors.models import Actor
from app.colours import WHITE, contrast, hex_to_rgb, text_colour_on
from app.extensions import db
from app.forms import BIDI_CONTROLS
from app.publications.models import Publication
from tests.actors.conftest import post
from tests.factories import (
    login_as,
    make_actor,
    make_member,
    make_publication,
    make_territory,
    make_user,
)

RLO_NAME = "Mairie de La Ciotat \u202eetrelA"


@pytest.fixture
def town(app):
    territory = make_territory("laciotat", "La Ciotat", hosts=("localhost",))
    owner = make_user(territory)
    actor = make_actor(territory, "Fromagerie", status="verified")
    make_member(owner, actor, "owner")
    return territory, owner, actor


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_a_new_actors_name_with_a_reordering_character_is_refused(client, town, control):
    territory, owner, _ = town
    login_as(client, owner)
    response = post(client, "/actors/new", {"name": f"Mairie{control}Alerte", "kind": "association"})
    assert response.status_code == 422
    assert "direction of the text" in response.get_data(as_text=True)
    assert db.session.query(Actor).filter(Actor.name.contains("Alerte")).count() == 0


def test_the_refusal_speaks_the_persons_language_and_the_page_keeps_its_name(client, town):
    territory, owner, actor = town
    login_as(client, owner, acting_actor=actor)
    response = post(client, "/manage/page", {"name": RLO_NAME, "kind": "merchant"},
                    headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    assert "sens du texte" in response.get_data(as_text=True)
    db.session.expire_all()
    saved = db.session.get(Actor, actor.id)
    assert saved.name == "Fromagerie" and not saved.pending_name


def test_a_publication_title_with_a_reordering_character_is_refused(client, town):
    territory, owner, actor = town
    login_as(client, owner, acting_actor=actor)
    response = post(client, "/manage/publications/new?kind=news",
                    {"title": "Soldes \u2067-50 %", "action": "draft"})
    assert response.status_code == 422
    assert db.session.query(Publication).count() == 0


def test_names_titles_and_hashtags_are_isolated_where_they_are_shown(client, town):
    """A name saved before the rule (or by the demo loader) is still isolated when shown."""
    territory, owner, actor = town
    actor.name = RLO_NAME
    db.session.commit()
    publication = make_publication(actor, "Fromage \u202efo\u202c du jour", kind="news")
    listing = client.get("/all").get_data(as_text=True)
    assert f"<bdi>{RLO_NAME}</bdi>" in listing
    page = client.get(f"/p/{publication.id}").get_data(as_text=True)
    assert f"<bdi>{RLO_NAME}</bdi>" in page
    directory = client.get("/actors").get_data(as_text=True)
    assert f'">{RLO_NAME}</a></h2>' in directory  # a heading: isolated by the stylesheet
    stylesheet = client.get("/styles.css").get_data(as_text=True)
    assert "bdi, .tag, .row-title, h1, h2, h3 { unicode-bidi: isolate; }" in stylesheet


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)))
def test_text_on_any_colour_reads_at_4_5_to_1(rgb):
    assert contrast(text_colour_on(rgb), rgb) >= 4.5


def test_contrast_matches_wcag_reference_values():
    assert contrast(WHITE, (0, 0, 0)) == pytest.approx(21)
    assert contrast(WHITE, hex_to_rgb("#e4572e")) == pytest.approx(3.68, abs=0.01)  # the audit's figure
    assert hex_to_rgb("#08c") == (0, 136, 204) and hex_to_rgb("red;}") == hex_to_rgb("#0b5fa5")
