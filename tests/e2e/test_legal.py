"""The legal pages on a 360×740 phone, in the three languages: readable without scrolling
sideways and with no axe-core violation of any impact; registration links the terms; the town's
editor (with a preview) passes axe too."""

import pytest

from tests.e2e.conftest import ALL_IMPACTS, MOBILE_VIEWPORT, describe_violations, log_in

pytestmark = pytest.mark.e2e

LEGAL_PAGES = ["/legal/terms", "/legal/privacy", "/legal/notice", "/legal/accessibility"]
LANGUAGES = {"fr-FR": "fr", "nl-BE": "nl", "en-GB": "en"}


def _check(page, path, axe):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= MOBILE_VIEWPORT["width"], f"{path} scrolls sideways ({width} px)"
    violations = axe(page, impacts=ALL_IMPACTS)
    assert not violations, f"{path}:\n{describe_violations(violations)}"


@pytest.mark.parametrize("locale", ["fr-FR", "nl-BE", "en-GB"])
def test_each_legal_page_reads_on_a_phone_with_no_axe_violation(browser, live_server, seed, axe, locale):
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale=locale)
    try:
        page = context.new_page()
        for path in LEGAL_PAGES:
            page.goto(live_server.url(path))
            assert page.locator("main h1").is_visible()
            assert seed.coast_name in page.locator(".legal-text").inner_text()
            _check(page, path, axe)
        # The footer of every page leads to them.
        page.goto(live_server.url("/"))
        page.locator("footer .footer-legal a[href='/legal/accessibility']").click()
        page.wait_for_url("**/legal/accessibility")
        assert page.locator("html").get_attribute("lang") == LANGUAGES[locale]
        assert page.locator(".legal-text[lang]").count() == 0  # the text is in the page's language
    finally:
        context.close()


def test_registration_links_the_terms_from_its_checkbox(page, live_server, seed, axe):
    page.goto(live_server.url("/register"))
    label = page.locator("label[for='accept_terms']")
    assert label.locator("a[href='/legal/privacy']").is_visible()
    label.locator("a[href='/legal/terms']").click()
    page.wait_for_url("**/legal/terms")
    assert seed.coast_name in page.locator(".legal-text").inner_text()


def test_the_towns_editor_and_its_preview_pass_axe(page, live_server, seed, axe):
    log_in(page, live_server, seed.admin_email, seed.password)
    page.goto(live_server.url("/admin/legal"))
    _check(page, "/admin/legal", axe)
    page.goto(live_server.url("/admin/legal/accessibility"))
    editor = page.locator("#fr-body")
    editor.fill("## Notre engagement\n\nLa mairie de {town} répond sous huit jours.")
    page.locator("#legal-fr button[value='preview']").click()
    page.locator("#legal-fr .legal-preview").wait_for()
    assert "La mairie de " + seed.coast_name in page.locator("#legal-fr .legal-preview").inner_text()
    _check(page, "/admin/legal/accessibility (preview)", axe)
