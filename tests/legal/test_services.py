"""Which text a visitor reads: the town's in their language, else in the town's default language,
else French; the app's defaults, filled with the town's name, while the town wrote none."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.legal import services
from app.legal.models import LegalText
from app.territories.models import Territory
from tests.factories import make_territory

SITE = {"site": "https://laciotat.example", "privacy_centre": "https://laciotat.example/me/privacy"}


@pytest.mark.parametrize("kind", services.KINDS)
@pytest.mark.parametrize("language", ["fr", "nl", "en"])
def test_every_page_has_a_default_in_the_three_languages_with_the_towns_name(app, kind, language):
    territory = make_territory(name="La Ciotat")
    page = services.legal_page(territory, kind, language, **SITE)
    assert page is not None
    assert page.language == language and not page.written_by_town and page.version == 0
    assert "La Ciotat" in page.html
    assert "{town}" not in page.source and "{site}" not in page.source
    assert "{" not in page.source, "every placeholder of the default text is filled"


def test_privacy_notice_promises_that_actors_never_learn_who_receives_and_links_the_privacy_centre(app):
    page = services.legal_page(make_territory(), services.PRIVACY, "en", **SITE)
    assert "Actors never learn who receives their messages" in page.html
    assert 'href="https://laciotat.example/me/privacy"' in page.html


def test_accessibility_statement_follows_the_rgaa_model(app):
    page = services.legal_page(make_territory(), services.ACCESSIBILITY, "fr", **SITE)
    for part in ("partiellement conforme", "RGAA", "EN 301 549", "WCAG 2.1", "axe-core",
                 "Défenseur des droits", "Médiateur", "Vlaamse Ombudsdienst", "5 décembre 2026"):
        assert part in page.source.replace("\u00a0", " "), part
    english = services.legal_page(make_territory("b", "B", hosts=("b.localhost",)),
                                  services.ACCESSIBILITY, "en", **SITE)
    assert "partially conformant" in english.source and "December 5, 2026" in english.source


def test_a_town_name_cannot_inject_markup_into_the_text(app):
    territory = make_territory(name="<script>alert(1)</script> *Town*")
    page = services.legal_page(territory, services.NOTICE, "en", **SITE)
    assert "<script>" not in page.html
    assert "&lt;script&gt;" in page.html and "*Town*" in page.html


def test_the_towns_text_prevails_and_falls_back_to_its_default_language_then_french(app):
    territory = make_territory(default_language="nl", enabled_languages_csv="fr,nl,en")
    services.save_text(territory, services.TERMS, "nl", "Onze voorwaarden van {town}.")
    services.save_text(territory, services.TERMS, "fr", "Nos conditions.")
    english = services.legal_page(territory, services.TERMS, "en", **SITE)
    assert english.language == "nl" and english.written_by_town
    assert "Onze voorwaarden van La Ciotat." in english.html
    assert services.legal_page(territory, services.TERMS, "fr", **SITE).language == "fr"
    territory.default_language = "en"
    db.session.commit()
    assert services.legal_page(territory, services.TERMS, "en", **SITE).language == "fr"


def test_a_town_text_in_another_language_only_is_still_shown(app):
    territory = make_territory()
    services.save_text(territory, services.NOTICE, "nl", "Alleen in het Nederlands.")
    page = services.legal_page(territory, services.NOTICE, "en", **SITE)
    assert page.language == "nl" and "Alleen in het Nederlands." in page.html


def test_saving_bumps_the_pages_version_across_languages_and_reset_counts_too(app):
    territory = make_territory()
    assert services.page_version(territory, services.TERMS) == 0
    services.save_text(territory, services.TERMS, "fr", "Un.")
    services.save_text(territory, services.TERMS, "en", "Two.")
    assert services.page_version(territory, services.TERMS) == 2
    assert services.page_version(territory, services.PRIVACY) == 0
    assert services.reset_text(territory, services.TERMS, "en")
    assert not services.reset_text(territory, services.TERMS, "en")  # already the default
    assert services.page_version(territory, services.TERMS) == 3
    row = db.session.scalar(select(LegalText).where(LegalText.language == "en"))
    assert row.body is None and row.version == 3


def test_versions_are_per_territory(app):
    ours = make_territory()
    theirs = make_territory("station", "Montgenèvre", hosts=("station.localhost",))
    services.save_text(ours, services.TERMS, "fr", "Les nôtres.")
    assert services.page_version(theirs, services.TERMS) == 0
    page = services.legal_page(db.session.get(Territory, theirs.id), services.TERMS, "fr", **SITE)
    assert not page.written_by_town and "Montgenèvre" in page.html


def test_empty_and_too_long_texts_are_refused(app):
    territory = make_territory()
    assert services.text_problem("   \n ")
    assert services.text_problem("a" * (services.MAX_LENGTH + 1))
    assert services.text_problem("a" * services.MAX_LENGTH) is None
    with pytest.raises(ValueError):
        services.save_text(territory, services.TERMS, "fr", "  ")
    assert services.page_version(territory, services.TERMS) == 0
