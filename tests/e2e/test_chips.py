"""Hashtag chips (templates/macros/chips.html) are real checkboxes: reached with Tab, ticked with
Space, named by their hashtag, their state shown by a check mark as well as a colour, the focus
by a ring; big enough for a finger on a 360 px phone."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.models_common import utcnow
from app.territories.models import Territory
from tests.e2e.conftest import log_in
from tests.factories import make_user

pytestmark = pytest.mark.e2e

FACE = """(input) => {
  const face = input.nextElementSibling;
  const style = getComputedStyle(face);
  const box = face.getBoundingClientRect();
  return {outline: style.outlineStyle, mark: getComputedStyle(face, '::before').content, height: box.height,
          right: box.right, background: style.backgroundColor};
}"""


@pytest.fixture
def context(incognito_context):
    return incognito_context


def test_hashtag_chips_work_with_the_keyboard_and_show_their_state_not_by_colour_alone(page, live_server, live_db, seed):
    email = f"chips-{uuid.uuid4().hex[:8]}@example.org"
    with live_db():
        make_user(db.session.get(Territory, seed.ids["coast"]), email, display_name="Léa", onboarded_at=utcnow())
    log_in(page, live_server, email, seed.password)
    page.goto(live_server.url("/me"))
    group = page.get_by_role("group", name="Vos centres d’intérêt")
    chip = group.get_by_role("checkbox", name="#bio")
    expect(chip).not_to_be_checked()
    before = chip.evaluate(FACE)
    assert before["mark"] in ("none", '""', "normal") or "✓" not in before["mark"]
    assert before["height"] >= 44 and before["right"] <= 360

    page.locator("#language").focus()
    page.keyboard.press("Tab")
    expect(chip).to_be_focused()
    assert chip.evaluate(FACE)["outline"] == "solid"  # the focus ring, on the chip one sees
    page.keyboard.press("Space")
    expect(chip).to_be_checked()
    after = chip.evaluate(FACE)
    assert "✓" in after["mark"] and after["background"] != before["background"]

    # the form posts it like any checkbox
    page.locator("main form[action$='/me'] button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.get_by_role("checkbox", name="#bio")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
