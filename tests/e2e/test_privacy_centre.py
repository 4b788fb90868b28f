"""The privacy centre in a browser: a citizen asks for their data with their password, watches
the progress bar (polled by htmx) until the link appears, downloads the ZIP and finds their own
e-mail address in data.json."""

from __future__ import annotations

import json
import zipfile

import pytest

from app.extensions import db
from app.privacy import exports
from app.privacy import tasks as privacy_tasks
from app.privacy.models import DataExport
from app.territories.models import Territory
from tests.e2e.conftest import describe_violations, log_in

pytestmark = pytest.mark.e2e

EMAIL = "archive@example.org"


def test_citizen_downloads_their_data_after_watching_the_progress(
    page, live_server, live_db, seed, monkeypatch, axe
):
    from tests.factories import make_user

    with live_db():
        make_user(db.session.get(Territory, seed.ids["coast"]), EMAIL, display_name="Ines")
    # The archive is queued but built by this test, step by step, as a worker would.
    queued: list[int] = []
    monkeypatch.setattr(privacy_tasks, "build_export", queued.append)
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text)
            if "Content Security Policy" in message.text else None)

    log_in(page, live_server, EMAIL, seed.password)
    page.goto(live_server.url("/me/privacy"))
    page.locator("#export input[name=password]").fill("not my password")
    page.locator("#export button[type=submit]").click()
    page.locator("#export .field-error").wait_for()
    assert queued == []

    page.locator("#export input[name=password]").fill(seed.password)
    page.locator("#export button[type=submit]").click()
    progress = page.locator("#export progress")
    progress.wait_for()
    assert progress.get_attribute("value") == "0"
    assert len(queued) == 1

    with live_db():
        db.session.get(DataExport, queued[0]).progress = 40
    page.wait_for_function(
        "() => document.querySelector('#export progress')?.getAttribute('value') === '40'"
    )

    with live_db():
        assert exports.build_export(queued[0])
    link = page.locator("#export a.export-download")
    link.wait_for()
    assert page.locator("#export progress").count() == 0  # polling stopped with the bar
    violations = axe(page)
    assert not violations, describe_violations(violations)

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(download.path()) as archive:
        data = json.loads(archive.read("data.json"))
        assert "account.csv" in archive.namelist()
    assert data["account"]["email"] == EMAIL
    assert not blocked, blocked
