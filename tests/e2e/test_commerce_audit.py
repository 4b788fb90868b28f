"""The issue's browser test: the town's admin, on a 360×740 phone, runs a commerce audit round,
saves it halfway, leaves, resumes it, completes it, sees the heat map, adds actions from two weak
links, and downloads the PDF and the spreadsheet, which their own libraries open and find the
scores and actions in. No axe-core violation on the round's step page and the heat map."""

from __future__ import annotations

import io
import re
from urllib.parse import urlparse

import pypdf
import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy import delete

from app.audit.journey import ANGLES, DEFAULT_STEPS
from app.audit.models_rounds import AuditRound, AuditStep
from app.extensions import db
from tests.e2e.conftest import MOBILE_VIEWPORT, fits_with_no_violation, log_in

pytestmark = pytest.mark.e2e

MATURITY_NAMES = ("Absent", "Emerging", "Developing", "Established", "Exemplary")


def level_of(step: int, angle: int) -> int:
    """A plausible spread: every level appears, and some cells are weak links (0 or 1)."""
    return (step + 2 * angle) % 5


def _assess_current_step(page, step: int) -> None:  # type: ignore[no-untyped-def]
    for angle, (code, _name, _hint) in enumerate(ANGLES):
        box = page.locator(f"#angle-{code}")
        level = level_of(step, angle)
        box.get_by_label(f"{level} – {MATURITY_NAMES[level]}", exact=True).check()
        box.get_by_label("Evidence").fill(f"Seen on the ground, step {step + 1}")
    page.get_by_role("button", name=re.compile("^Save and (next|finish)$")).click()
    page.locator(".flash-success", has_text=f"Saved: {step + 1} of 9 steps assessed").wait_for()


def test_town_admin_runs_a_round_on_a_phone_and_downloads_the_plan(browser, live_server, live_db, seed, axe, tmp_path):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale="en-GB", accept_downloads=True)
    try:
        page = context.new_page()
        log_in(page, live_server, seed.admin_email, seed.password)
        page.goto(live_server.url("/admin"))
        page.get_by_role("link", name="Commerce audit").click()
        page.wait_for_url(lambda url: urlparse(url).path == "/audit")
        page.get_by_label("Title").fill("Spring walk 2026")
        page.get_by_label("Date").fill("2026-04-01")
        page.get_by_role("button", name="Start the round").click()
        with live_db(), force_locale("en"):  # the names as the English phone shows them
            step_names = [str(name) for _code, name in DEFAULT_STEPS]
        page.get_by_role("heading", level=1, name=step_names[0]).wait_for()
        assert "0 of 9 steps assessed" in page.locator("main").inner_text()
        fits_with_no_violation(page, axe)

        # Four steps, then the admin leaves for another page.
        for step in range(4):
            _assess_current_step(page, step)
        assert "4 of 9 steps assessed" in page.locator("main").inner_text()
        page.goto(live_server.url("/"))

        # Back later: the round is where they left it.
        page.goto(live_server.url("/audit"))
        page.get_by_role("link", name="Spring walk 2026").click()
        assert "4 of 9 steps assessed" in page.locator("#audit-progress").inner_text()
        page.get_by_role("button", name="Complete the round").click()
        refused = page.locator(".flash-error")
        refused.wait_for()
        assert "cannot be completed yet" in refused.inner_text() and step_names[4] in refused.inner_text()
        page.get_by_role("link", name=step_names[4], exact=True).click()
        for step in range(4, 9):
            _assess_current_step(page, step)
        page.wait_for_url(lambda url: urlparse(url).path.endswith(tuple(f"/audit/rounds/{i}" for i in range(1, 10000))))
        assert "9 of 9 steps assessed" in page.locator("#audit-progress").inner_text()
        page.get_by_role("button", name="Complete the round").click()
        page.wait_for_url(lambda url: urlparse(url).path.endswith("/heat-map"))

        # The heat map: the number and the word in each cell, weak links with their button.
        heat = page.locator("#heat-map")
        first_row = heat.locator("tbody tr").first
        assert first_row.locator("th").inner_text() == step_names[0]
        assert [cell.inner_text().split()[0] for cell in first_row.locator("td.audit-cell").all()] == \
            [str(level_of(0, a)) for a in range(5)]
        assert "Absent" in heat.inner_text()
        fits_with_no_violation(page, axe)

        titles = ("Real-time parking signs", "Shared pick-up lockers")
        for n, title in enumerate(titles):
            page.locator("#weak .button").nth(n * 3).click()
            page.get_by_label("Title").fill(title)
            page.get_by_label("Owner (a service or a partner)").fill("Commerce service")
            page.get_by_label("Budget (EUR)").fill(str(1000 * (n + 2)))
            page.get_by_label("Indicator from the platform").select_option("shops_hours")
            page.get_by_role("button", name="Add to the plan").click()
            page.locator(".flash-success", has_text="Action added to the plan").wait_for()
            assert page.get_by_role("link", name=title).is_visible()
            if n == 0:
                page.get_by_role("link", name="Heat map").click()

        with page.expect_download() as pdf_download:
            page.get_by_role("link", name="Download the PDF").click()
        pdf_path = tmp_path / "audit.pdf"
        pdf_download.value.save_as(pdf_path)
        with page.expect_download() as xlsx_download:
            page.get_by_role("link", name="Download the spreadsheet").click()
        xlsx_path = tmp_path / "audit.xlsx"
        xlsx_download.value.save_as(xlsx_path)
    finally:
        context.close()

    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf_path.read_bytes())).pages).split())
    assert all(title in text for title in titles)
    assert len(re.findall(r"(?<!\d)[0-4] [A-ZÉ]", text)) >= 45  # every cell: its level and its word
    book = load_workbook(xlsx_path)
    scores, _evidence, actions = book.worksheets
    assert [[scores.cell(row=2 + s, column=2 + a).value for a in range(5)] for s in range(9)] == \
        [[level_of(s, a) for a in range(5)] for s in range(9)]
    assert {actions.cell(row=r, column=1).value for r in (2, 3)} == set(titles)
    with live_db():  # the other browser tests' town has no audit
        db.session.execute(delete(AuditRound))
        db.session.execute(delete(AuditStep))
        db.session.commit()
