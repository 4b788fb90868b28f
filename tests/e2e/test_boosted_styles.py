"""Pages keep their look when reached by a link, as people reach them: ``hx-boost`` swaps the
page's <body> and leaves the <head> as the first page loaded it, so every style a page needs must
already be there. These tests start on the home page and only click links, checking each time
that no full page load happened (the mark set on ``window`` survives) and that a rule found only in
that page's styles is applied."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import act_as, log_in

pytestmark = pytest.mark.e2e


def _start_on_the_home_page(page: Any, live_server: Any) -> list[str]:
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(live_server.url("/"))
    page.wait_for_function("() => window.htmx !== undefined")
    page.evaluate("() => { window.sameDocumentMark = true; }")
    return blocked


def _follow(page: Any, link: Any, live_server: Any, path: str) -> None:
    """Click the link and wait for its page, which must have come by htmx into this document."""
    link.click()
    page.wait_for_url(live_server.url(path))
    page.wait_for_load_state()
    assert page.evaluate("() => window.sameDocumentMark === true"), f"{path} was a full page load"


def _style(page: Any, selector: str, css_property: str) -> str:
    return page.locator(selector).first.evaluate(
        "(element, name) => getComputedStyle(element).getPropertyValue(name)", css_property
    )


def test_a_merchant_reaches_the_campaign_pages_by_links_and_they_are_styled(page, live_server, seed):
    log_in(page, live_server, seed.merchant_email, seed.password)
    act_as(page, seed.shop_name)
    blocked = _start_on_the_home_page(page, live_server)

    _follow(page, page.locator(".main-nav").get_by_role("link", name="Campagnes"), live_server, "/manage/campaigns")
    expect(page.get_by_role("heading", level=1, name=re.compile(seed.shop_name))).to_be_visible()
    assert _style(page, ".campaign-head", "display") == "flex"  # campaigns.css

    _follow(page, page.locator("main").get_by_role("link", name="Nouvelle campagne"), live_server,
            "/manage/campaigns/new")
    expect(page.get_by_role("heading", level=1, name="Nouvelle campagne")).to_be_visible()
    assert _style(page, ".criteria-list", "list-style-type") == "none"  # an <ol>: "decimal" unstyled
    assert _style(page, ".criterion", "border-left-width") == "3px"
    assert not blocked, blocked


def test_a_citizen_reaches_the_privacy_centre_by_links_and_it_is_styled(page, live_server, seed):
    log_in(page, live_server, seed.citizen_email, seed.password)
    blocked = _start_on_the_home_page(page, live_server)

    _follow(page, page.locator(".main-nav").get_by_role("link", name="Mon profil"), live_server, "/me")
    _follow(page, page.locator("main").get_by_role("link", name=re.compile("^Ma vie privée")), live_server,
            "/me/privacy")
    expect(page.get_by_role("heading", level=1, name="Ma vie privée")).to_be_visible()
    assert _style(page, ".privacy-page", "max-width") == "640px"  # privacy.css: 40rem
    assert _style(page, ".privacy-toc ul", "display") == "flex"

    _follow(page, page.locator("#delete").get_by_role("link"), live_server, "/me/privacy/delete")
    assert _style(page, ".warning-card", "border-left-width") == "4px"
    assert not blocked, blocked
