"""Reporting a problem on a phone without network: the report, its photo included, is kept on
the phone and listed as waiting; nothing reaches the server. Back online it is sent, once: the
list empties and the town has exactly one report with its key, its photo stripped of its GPS
tag. Sent again (an answer lost on the way) or by two senders at once, it stays one report. One
the service refuses stays, to correct, and opens again filled in; a post lost on a bad network is
kept too, and sent on the next opening. None of this waits for Background Sync."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.extensions import db
from app.media.models import Media
from app.reports.models import Report, ReportCategory
from app.territories.models import Territory
from tests.e2e.conftest import (
    MOBILE_VIEWPORT,
    describe_violations,
    log_in,
    wait_for_service_worker,
    wait_until,
)

pytestmark = pytest.mark.e2e

POINT = (43.1750, 5.6050)
DESCRIPTION = "Un lampadaire couché sur le trottoir, vu sans réseau"
SAVED_FORM = ("() => caches.open('pages').then(c => c.match(new URL('/reports/new', location.href).href,"
              " {ignoreVary: true})).then(r => !!r)")
NOTHING_KEPT = """() => new Promise((resolve) => {
    const opening = indexedDB.open("territory-reports");
    opening.onsuccess = () => {
      const counting = opening.result.transaction("outbox").objectStore("outbox").count();
      counting.onsuccess = () => { opening.result.close(); resolve(counting.result === 0); };
    };
})"""
KEPT = "() => ReportsOutbox.list(document.querySelector('[data-reports-outbox]').dataset.owner)"


def _jpeg_with_gps(path):
    image = Image.new("RGB", (80, 60), "purple")
    exif = image.getexif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (43.0, 10.0, 30.0), "E", (5.0, 36.0, 18.0)
    image.save(path, format="JPEG", exif=exif)
    return path


def _reports(live_db, key=None):
    with live_db():
        db.session.expire_all()
        where = Report.idempotency_key == key if key else Report.description == DESCRIPTION
        return [(report.id, [photo.media_id for photo in report.photos])
                for report in db.session.scalars(select(Report).where(where))]


def _waiting(page):
    return page.locator("[data-reports-outbox-list] li")


def test_a_report_made_offline_waits_on_the_phone_and_is_sent_once_back_online(page, context, live_server, live_db,
                                                                                seed, axe, tmp_path):
    with live_db():
        coast = db.session.scalar(select(Territory).where(Territory.name == seed.coast_name))
        category = ReportCategory(territory_id=coast.id, service_code="e2e-lamp-offline", name="Lampadaire e2e",
                                  expected_days=5)
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    log_in(page, live_server, seed.citizen_email, seed.password)
    page.goto(live_server.url("/reports/new"))
    wait_for_service_worker(page)
    page.reload()  # seen by the worker: the form is kept for offline use
    wait_until(page, SAVED_FORM)
    region = page.locator("[data-reports-outbox]")
    region.wait_for(state="attached")
    wait_until(page, "() => !!window.ReportsOutbox")
    assert not region.is_visible()  # nothing waiting

    # No network: the report is kept on the phone, not sent.
    context.set_offline(True)
    page.locator(f"#category-{category_id}").check()
    page.locator("#lat").fill(str(POINT[0]))
    page.locator("#lon").fill(str(POINT[1]))
    page.locator("#description").fill(DESCRIPTION)
    page.locator("#photos").set_input_files(str(_jpeg_with_gps(tmp_path / "lampadaire.jpg")))
    page.locator("main form.report-form button[type=submit]").click()
    status = page.locator("[data-reports-outbox-status]")
    status.wait_for()
    assert status.inner_text() == region.get_attribute("data-text-saved")
    _waiting(page).first.wait_for()
    assert _waiting(page).count() == 1
    assert "Lampadaire e2e" in _waiting(page).first.inner_text()
    assert _waiting(page).first.get_attribute("data-outbox-status") == "waiting"
    assert page.locator("#description").input_value() == ""  # the form is ready for another one
    violations = axe(page)
    assert not violations, describe_violations(violations)
    assert _reports(live_db) == []
    # Where the browser has Background Sync, the worker is asked to send it when the network returns.
    tags = page.evaluate("() => navigator.serviceWorker.ready.then(r => r.sync ? r.sync.getTags() : null)")
    assert tags is None or "reports-outbox" in tags
    [kept] = page.evaluate(KEPT)
    key = kept["key"]
    assert kept["category"] == str(category_id) and kept["description"] == DESCRIPTION
    assert len(kept["photos"]) == 1

    # Still offline, the app opened again: the kept form page, and the report still waiting;
    # that page's own key is not the kept report's.
    page.reload()
    page.locator("#saved-copy").wait_for()
    _waiting(page).first.wait_for()
    assert _waiting(page).count() == 1
    assert page.locator("input[name=idempotency_key]").input_value() != key
    page.evaluate("(key) => ReportsOutbox.get(key).then(entry => { window.lostAnswer = entry; })", key)
    assert _reports(live_db) == []

    # Back online: it is sent, and leaves the list.
    context.set_offline(False)
    region.wait_for(state="hidden")
    assert _waiting(page).count() == 0
    [(report_id, [media_id])] = _reports(live_db, key)
    with live_db():
        stored = db.session.get(Media, media_id)
        kept_photo = Image.open(io.BytesIO(stored.data))
        assert not kept_photo.getexif() and b"Exif" not in stored.data

    # Its answer lost on the way, the phone sends it again, twice at once (the page and the
    # worker): one post, answered with the same report; never a second one.
    posts = []
    page.on("request", lambda request: posts.append(request.url)
            if request.method == "POST" and request.url.endswith("/reports/new") else None)
    outcomes = page.evaluate("""() => ReportsOutbox.save(Object.assign(window.lostAnswer, {status: 'waiting'}))
        .then(() => Promise.all([ReportsOutbox.sendAll(), ReportsOutbox.sendAll()]))
        .then(([a, b]) => a.concat(b))""")
    assert [outcome["outcome"] for outcome in outcomes] == ["sent"]
    assert outcomes[0]["url"].endswith(f"/reports/{report_id}")
    assert len(posts) == 1
    page.reload()
    page.locator("main form.report-form").wait_for()
    assert page.evaluate(KEPT) == []
    assert not region.is_visible()
    assert [report for report, _photos in _reports(live_db, key)] == [report_id]
    assert len(_reports(live_db)) == 1

    # The person's reports: the one sent, none waiting.
    page.goto(live_server.url("/me/reports"))
    page.locator(f".report-list a[href$='/reports/{report_id}']").wait_for()
    assert not page.locator("[data-reports-outbox]").is_visible()


@pytest.fixture
def phone_without_worker(browser):
    """A phone whose browser runs no service worker (so no Background Sync): the page sends alone."""
    context = browser.new_context(viewport=MOBILE_VIEWPORT, locale="fr-FR", service_workers="block")
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def test_a_kept_report_the_service_refuses_is_kept_to_correct_and_sent_once_corrected(phone_without_worker, live_server,
                                                                                   live_db, seed, tmp_path):
    page = phone_without_worker.new_page()
    with live_db():
        coast = db.session.scalar(select(Territory).where(Territory.name == seed.coast_name))
        category = ReportCategory(territory_id=coast.id, service_code="e2e-bench-offline", name="Banc cassé e2e",
                                  expected_days=5)
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    description = "Un banc cassé, signalé depuis un autre endroit"
    log_in(page, live_server, seed.citizen_email, seed.password)
    page.goto(live_server.url("/reports/new"))
    wait_until(page, "() => !!window.ReportsOutbox && !!document.querySelector('[data-reports-outbox]')")
    region = page.locator("[data-reports-outbox]")

    # Offline, a point outside the town (the phone cannot tell): kept.
    phone_without_worker.set_offline(True)
    page.locator(f"#category-{category_id}").check()
    page.locator("#lat").fill("50.85")
    page.locator("#lon").fill("4.35")
    page.locator("#description").fill(description)
    page.locator("#photos").set_input_files(str(_jpeg_with_gps(tmp_path / "banc.jpg")))
    page.locator("main form.report-form button[type=submit]").click()
    page.locator("[data-reports-outbox-list] li[data-outbox-status=waiting]").wait_for()

    # Online: the page sends it by itself; the service refuses it, so it stays, to correct.
    phone_without_worker.set_offline(False)
    item = page.locator("[data-reports-outbox-list] li[data-outbox-status=attention]")
    item.wait_for()
    status = page.locator("[data-reports-outbox-status]")
    assert status.inner_text() == region.get_attribute("data-text-attention-help")
    with live_db():
        assert not list(db.session.scalars(select(Report).where(Report.description == description)))

    # Opened again: the form is filled with it, its photo too; corrected and sent, it leaves.
    item.get_by_role("link", name=region.get_attribute("data-text-reopen")).click()
    page.wait_for_url("**/reports/new?outbox=*")
    wait_until(page, "() => document.querySelector('#description').value !== ''")
    assert page.locator("#description").input_value() == description
    assert page.locator(f"#category-{category_id}").is_checked()
    assert page.locator("#lat").input_value() == "50.85"
    assert page.evaluate("() => document.querySelector('#photos').files.length") == 1
    page.locator("#lat").fill(str(POINT[0]))
    page.locator("#lon").fill(str(POINT[1]))
    page.locator("main form.report-form button[type=submit]").click()
    page.locator(".report-page h1").wait_for()
    assert "Banc cassé e2e" in page.locator(".report-page h1").inner_text()
    wait_until(page, NOTHING_KEPT)  # left the phone once the form was sent
    with live_db():
        [report] = db.session.scalars(select(Report).where(Report.description == description))
        assert len(report.photos) == 1
    page.goto(live_server.url("/me/reports"))
    page.locator(".report-list a", has_text="Banc cassé e2e").wait_for()
    assert not page.locator("[data-reports-outbox]").is_visible()


def test_a_report_whose_post_fails_on_a_bad_network_is_kept_and_sent_on_the_next_opening(phone_without_worker,
                                                                                       live_server, live_db, seed):
    """The phone believes it is online, but the post never arrives: kept all the same; the next
    opening of the form sends it (no `online` event comes: the phone never knew it was off)."""
    page = phone_without_worker.new_page()
    with live_db():
        coast = db.session.scalar(select(Territory).where(Territory.name == seed.coast_name))
        category = ReportCategory(territory_id=coast.id, service_code="e2e-sign-offline", name="Panneau tordu e2e",
                                  expected_days=5)
        db.session.add(category)
        db.session.commit()
        category_id = category.id
    description = "Un panneau tordu, envoyé sur un réseau qui coupe"
    log_in(page, live_server, seed.citizen_email, seed.password)
    page.goto(live_server.url("/reports/new"))
    wait_until(page, "() => !!window.ReportsOutbox && !!document.querySelector('[data-reports-outbox]')")

    def lost_on_the_way(route):
        if route.request.method == "POST":
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/reports/new", lost_on_the_way)
    page.locator(f"#category-{category_id}").check()
    page.locator("#address").fill("Rue du Port, devant le numéro 4")
    page.locator("#description").fill(description)
    page.locator("main form.report-form button[type=submit]").click()
    page.locator("[data-reports-outbox-list] li[data-outbox-status=waiting]").wait_for()
    region = page.locator("[data-reports-outbox]")
    assert page.locator("[data-reports-outbox-status]").inner_text() == region.get_attribute("data-text-saved")
    with live_db():
        assert not list(db.session.scalars(select(Report).where(Report.description == description)))

    page.unroute("**/reports/new", lost_on_the_way)
    page.goto(live_server.url("/me/reports"))  # the app opened again
    page.locator("[data-reports-outbox-status] a").wait_for()  # "sent", with a link to it
    page.wait_for_function("() => document.querySelectorAll('[data-reports-outbox-list] li').length === 0")
    assert not region.is_visible()
    with live_db():
        [report] = db.session.scalars(select(Report).where(Report.description == description))
        assert report.address == "Rue du Port, devant le numéro 4"
    page.locator("[data-reports-outbox-status] a").click()
    page.wait_for_url(f"**/reports/{report.id}")
