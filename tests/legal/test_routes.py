"""The legal pages as visitors, registering people and the town's admin meet them."""

import pytest
from sqlalchemy import select

from app.accounts.models import Consent, User
from app.extensions import db
from app.legal import services
from app.legal.models import LegalText
from app.models_common import utcnow
from app.privacy.services import SECTIONS
from tests.accounts.conftest import post_form
from tests.factories import login_as, make_territory, make_user
from tests.support.csrf import csrf_token

PATHS = {"terms": "/legal/terms", "privacy": "/legal/privacy", "notice": "/legal/notice",
         "accessibility": "/legal/accessibility"}


@pytest.mark.parametrize("kind", services.KINDS)
def test_each_legal_page_is_public_in_the_visitors_language(client, territory, kind):
    english = client.get(PATHS[kind])
    assert english.status_code == 200
    html = english.get_data(as_text=True)
    assert f"<h1>{services.TITLES[kind]}</h1>" in html and "La Ciotat" in html
    french = client.get(PATHS[kind], headers={"Accept-Language": "fr"}).get_data(as_text=True)
    dutch = client.get(PATHS[kind], headers={"Accept-Language": "nl"}).get_data(as_text=True)
    here = {"site": "http://localhost", "privacy_centre": "http://localhost/me/privacy"}
    for language, html in (("fr", french), ("nl", dutch), ("en", english.get_data(as_text=True))):
        assert f'<html lang="{language}"' in html
        assert str(services.legal_page(territory, kind, language, **here).html) in html


def test_an_unknown_legal_page_is_404(client, territory):
    assert client.get("/legal/cookies").status_code == 404


def test_accessibility_statement_names_its_status_and_recourse(client, territory):
    html = client.get("/legal/accessibility").get_data(as_text=True)
    assert "partially conformant" in html and "Défenseur des droits" in html
    assert "http://localhost" in html  # the site it applies to


def test_every_page_links_the_four_legal_pages_in_its_footer(client, territory):
    html = client.get("/login").get_data(as_text=True)
    footer = html[html.index('<footer'):]
    for path in PATHS.values():
        assert f'href="{path}"' in footer
    assert "Accessibility: partially conformant" in footer


def test_registration_links_the_terms_and_the_privacy_notice_from_the_checkbox(client, territory):
    html = client.get("/register").get_data(as_text=True)
    label = html[html.index('<label class="checkbox-label" for="accept_terms"'):]
    label = label[:label.index("</label>")]
    assert 'href="/legal/terms"' in label and 'href="/legal/privacy"' in label
    assert 'type="checkbox"' in label


def test_registering_records_the_version_of_the_terms_accepted(client, territory):
    services.save_text(territory, services.TERMS, "en", "Our terms, first version.")
    services.save_text(territory, services.TERMS, "en", "Our terms, second version.")
    response = post_form(client, "/register", {"email": "lea@example.org", "password": "sea spray and pine",
                                               "accept_terms": "y"})
    assert response.status_code == 303
    user = db.session.scalar(select(User).where(User.email == "lea@example.org"))
    consent = db.session.scalar(select(Consent).where(Consent.user_id == user.id))
    assert consent.purpose == "terms" and consent.version == 2


def test_a_page_the_town_wrote_in_another_language_says_so_and_marks_its_language(client, territory):
    services.save_text(territory, services.NOTICE, "fr", "Éditeur : la commune.")
    html = client.get("/legal/notice").get_data(as_text=True)
    assert 'lang="fr"' in html and "Éditeur : la commune." in html
    assert "does not exist in your language" in html
    assert "Version 1" in html


# --- the town's editor ----------------------------------------------------------------------


def test_admin_lists_the_four_pages_and_opens_an_editor_per_language(admin_client, territory):
    listing = admin_client.get("/admin/legal").get_data(as_text=True)
    for kind in services.KINDS:
        assert f'href="/admin/legal/{kind}"' in listing
    editor = admin_client.get("/admin/legal/privacy").get_data(as_text=True)
    for language in territory.enabled_languages:
        assert f'action="/admin/legal/privacy/{language}"' in editor
        assert f'id="{language}-body"' in editor
    assert "{town}" in editor  # the default text, placeholders kept to edit


def test_admin_previews_without_saving(admin_client, territory):
    response = admin_client.post("/admin/legal/terms/en", data={
        "en-body": "## Our rules\n\nBe kind in {town}.", "action": "preview", "csrf_token": admin_client.csrf})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h2>Our rules</h2>" in html and "Be kind in La Ciotat." in html
    assert "Be kind in {town}." in html  # still in the textarea
    assert services.page_version(territory, services.TERMS) == 0


def test_admin_saves_a_new_version_shown_to_visitors(admin_client, territory):
    response = admin_client.post("/admin/legal/terms/en", data={
        "en-body": "Our own terms for {town}.", "action": "save", "csrf_token": admin_client.csrf})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/legal/terms#legal-en")
    assert services.page_version(territory, services.TERMS) == 1
    page = admin_client.get("/legal/terms").get_data(as_text=True)
    assert "Our own terms for La Ciotat." in page and "Version 1" in page


def test_the_towns_html_is_not_kept(admin_client, territory):
    admin_client.post("/admin/legal/notice/en", data={
        "en-body": 'Hello <script>alert(1)</script> <a href="javascript:x" onclick="y">z</a>',
        "action": "save", "csrf_token": admin_client.csrf})
    html = admin_client.get("/legal/notice").get_data(as_text=True)
    text = html[html.index('<div class="legal-text"'):html.index('<nav class="legal-others"')]
    assert "<script>" not in text and "<a " not in text  # no tag of the town's: all text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text  # shown as text, harmless


@pytest.mark.parametrize(("body", "message"), [("   ", "cannot be empty"),
                                               ("x" * (services.MAX_LENGTH + 1), "too long")])
def test_bad_text_is_refused_with_a_clear_error_and_kept(admin_client, territory, body, message):
    response = admin_client.post("/admin/legal/privacy/en", data={
        "en-body": body, "action": "save", "csrf_token": admin_client.csrf})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'id="en-body-error"' in html and 'aria-invalid="true"' in html
    if body.strip():
        assert body in html  # nothing lost
    assert db.session.scalar(select(LegalText)) is None


def test_saving_without_the_csrf_token_is_refused(admin_client, territory):
    response = admin_client.post("/admin/legal/terms/en", data={"en-body": "Sneaky.", "action": "save"})
    assert response.status_code == 400
    assert services.page_version(territory, services.TERMS) == 0


def test_reset_to_default_shows_the_default_again_as_a_new_version(admin_client, territory):
    services.save_text(territory, services.TERMS, "en", "Our own terms.")
    editor = admin_client.get("/admin/legal/terms").get_data(as_text=True)
    assert 'action="/admin/legal/terms/en/reset"' in editor
    response = admin_client.post("/admin/legal/terms/en/reset", data={"csrf_token": admin_client.csrf})
    assert response.status_code == 303
    assert services.page_version(territory, services.TERMS) == 2
    page = admin_client.get("/legal/terms").get_data(as_text=True)
    assert "Our own terms." not in page and "These terms govern the use" in page


def test_unknown_page_or_language_is_404_for_the_admin(admin_client, territory):
    assert admin_client.get("/admin/legal/cookies").status_code == 404
    data = {"de-body": "Hallo", "action": "save", "csrf_token": admin_client.csrf}
    assert admin_client.post("/admin/legal/terms/de", data=data).status_code == 404


def test_only_the_towns_admin_edits_and_another_towns_admin_changes_nothing_here(app, client, territory):
    citizen = make_user(territory, email="citoyen@example.org")
    login_as(client, citizen)
    csrf = csrf_token(client, "/")
    assert client.get("/admin/legal").status_code == 403
    assert client.post("/admin/legal/terms/fr", data={"fr-body": "x", "csrf_token": csrf}).status_code == 403

    station = "http://station.localhost"
    other = make_territory("montgenevre", "Montgenèvre", hosts=("station.localhost",))
    other_admin = make_user(other, email="admin@montgenevre.example", is_admin=True)
    own_client = app.test_client()
    login_as(own_client, other_admin, base_url=station)
    own_csrf = csrf_token(own_client, "/admin/legal", base_url=station)
    # Their session does not log them in here...
    here = own_client.post("/admin/legal/terms/fr", data={"fr-body": "Pris !", "action": "save",
                                                            "csrf_token": own_csrf})
    assert here.status_code in (302, 400, 403)
    # ...and what they save on their own host is their territory's page only.
    saved = own_client.post("/admin/legal/terms/fr", base_url=station,
                            data={"fr-body": "Les conditions de la station.", "action": "save",
                                  "csrf_token": own_csrf})
    assert saved.status_code == 303
    assert services.page_version(territory, services.TERMS) == 0
    assert services.page_version(other, services.TERMS) == 1
    assert "Les conditions de la station." not in client.get(
        "/legal/terms", headers={"Accept-Language": "fr"}).get_data(as_text=True)


def test_the_privacy_centre_and_the_export_show_the_version_of_the_terms_accepted(client, territory):
    services.save_text(territory, services.TERMS, "en", "Our terms.")
    post_form(client, "/register", {"email": "lea@example.org", "password": "sea spray and pine",
                                    "accept_terms": "y"})
    user = db.session.scalar(select(User).where(User.email == "lea@example.org"))
    login_as(client, user)
    html = client.get("/me/privacy").get_data(as_text=True)
    assert '<a href="/legal/terms">version 1</a>' in html
    consents = next(collect for name, _columns, collect, _one in SECTIONS if name == "consents")
    assert consents(user, utcnow())[0]["version"] == 1


def test_an_error_page_links_the_legal_pages_too(client, territory):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert 'href="/legal/accessibility"' in response.get_data(as_text=True)
