"""A report's follow-up on phones: an agent of the roads service opens the queue, opens a report
filed by one citizen and followed by another, resolves it with a public note; the delivery engine
drains the message to both, who find it in their inbox with its link to the report; the reporter
reopens it and the report is back in the agent's queue. No agent's page shows the reporter's
e-mail or phone."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from app.actors.models import Actor
from app.campaigns.models import Delivery
from app.delivery.drain import drain
from app.extensions import db
from app.notifications.models import NotificationSettings
from app.reports import services
from app.reports.models import Report, ReportCategory, ReportNotice
from app.territories.models import Territory
from tests.e2e.conftest import MOBILE_VIEWPORT, act_as, log_in
from tests.factories import make_member, make_user

pytestmark = pytest.mark.e2e

CATEGORY = "Trou dans la chaussée e2e"
REPORTER_EMAIL, REPORTER_PHONE = "signaleuse.suivi@example.org", "+33698765432"
FOLLOWER_EMAIL, AGENT_EMAIL = "voisine.suivi@example.org", "agent.suivi@example.org"
NOTE = "Rebouché ce matin par l’équipe voirie."


@pytest.fixture
def context(incognito_context):  # type: ignore[no-untyped-def]
    return incognito_context


@pytest.fixture
def filed(live_db, seed):  # type: ignore[no-untyped-def]
    """A report of the town service's category, filed by one citizen, followed by another."""
    with live_db():
        coast = db.session.get(Territory, seed.ids["coast"])
        category = ReportCategory(territory_id=coast.id, service_code="e2e-follow-up", name=CATEGORY,
                                  service_actor_id=seed.ids["town"], expected_days=5)
        db.session.add(category)
        reporter = make_user(coast, REPORTER_EMAIL, display_name="Sabine")
        follower = make_user(coast, FOLLOWER_EMAIL, display_name="Véra")
        agent = make_user(coast, AGENT_EMAIL, display_name="Agathe")
        db.session.add(NotificationSettings(user_id=reporter.id, phone=REPORTER_PHONE, email_enabled=True,
                                            quiet_start=None, quiet_end=None))
        db.session.commit()
        make_member(agent, db.session.get(Actor, seed.ids["town"]), "editor")
        report, _created = services.file_report(coast, reporter, services.NewReport(
            category, 43.1752, 5.6049, "Un trou profond devant l’école", address="Rue de l’École"))
        services.follow(report, follower)
        ids = {"report": report.id, "reporter": reporter.id, "follower": follower.id, "agent": agent.id,
               "category": category.id}
    yield ids
    with live_db():  # leave the other browser tests a town without this category and its report
        db.session.execute(delete(Report).where(Report.category_id == ids["category"]))
        db.session.execute(delete(ReportCategory).where(ReportCategory.id == ids["category"]))


def test_an_agent_resolves_a_report_its_people_are_told_and_the_reporter_reopens_it(
        page, browser, live_server, live_db, seed, filed):  # type: ignore[no-untyped-def]
    report_id = filed["report"]
    log_in(page, live_server, AGENT_EMAIL, seed.password)
    act_as(page, seed.town_name)
    page.goto(live_server.url("/manage/reports"))
    page.locator(f"a[href$='/manage/reports/{report_id}']").click()
    status_form = page.locator(f"form[action$='/manage/reports/{report_id}/status']")
    status_form.locator("select[name=status]").select_option("resolved")
    status_form.locator("textarea[name=note], input[name=note]").fill(NOTE)
    status_form.locator("button[type=submit]").click()
    page.locator(".flash-success").wait_for()
    assert NOTE in page.locator("main").inner_text()
    for html in (page.content(), _queue_html(page, live_server)):
        assert REPORTER_EMAIL not in html and REPORTER_PHONE not in html and FOLLOWER_EMAIL not in html

    # The delivery engine drains the message (inline on this server; a drain finds nothing left).
    with live_db():
        campaign_id = db.session.scalar(select(ReportNotice.campaign_id).where(ReportNotice.report_id == report_id))
        run_id = db.session.scalar(select(Delivery.run_id).where(Delivery.campaign_id == campaign_id).limit(1))
        drain(run_id, max_wait=0)
        sent = {(d.user_id, d.channel): d.status for d in db.session.scalars(
            select(Delivery).where(Delivery.campaign_id == campaign_id))}
    assert sent == {(filed["reporter"], "inbox"): "sent", (filed["reporter"], "email"): "sent",
                    (filed["follower"], "inbox"): "sent"}

    # The reporter, on her phone, finds it in her inbox and reopens the report from its page.
    citizen = browser.new_context(viewport=MOBILE_VIEWPORT, locale="fr-FR")
    citizen.set_default_timeout(10_000)
    try:
        phone = citizen.new_page()
        log_in(phone, live_server, REPORTER_EMAIL, seed.password)
        _open_report_message(phone, live_server, report_id)
        phone.locator(f"a.button[href='/reports/{report_id}']").click()
        phone.locator("form[action$='/reopen'] textarea, form[action$='/reopen'] input[name=note]").fill("Le trou s’est rouvert avec la pluie.")
        phone.locator("form[action$='/reopen'] button[type=submit]").click()
        phone.locator("form[action$='/reopen']").wait_for(state="detached")
        phone.locator("footer form[action$='/logout'] button").click()
        phone.locator("footer form[action$='/logout']").wait_for(state="detached")

        # The follower was told of the resolution, then of the reopening.
        log_in(phone, live_server, FOLLOWER_EMAIL, seed.password)
        phone.goto(live_server.url("/me/inbox"))
        assert phone.locator(".inbox-item", has_text=CATEGORY).count() == 2
        _open_report_message(phone, live_server, report_id)
    finally:
        citizen.close()

    # Back in the agent's queue, with no trace of who reported it.
    page.goto(live_server.url("/manage/reports"))
    page.locator(f"a[href$='/manage/reports/{report_id}']").wait_for()
    page.locator(f"a[href$='/manage/reports/{report_id}']").click()
    page.locator(f"form[action$='/manage/reports/{report_id}/status']").wait_for()
    html = page.content()
    assert REPORTER_EMAIL not in html and REPORTER_PHONE not in html
    assert "Le trou s’est rouvert avec la pluie." in page.locator("main").inner_text()


def _queue_html(page, live_server) -> str:  # type: ignore[no-untyped-def]
    page.goto(live_server.url("/manage/reports"))
    page.locator("main").wait_for()
    return page.content()


def _open_report_message(phone, live_server, report_id: int) -> None:  # type: ignore[no-untyped-def]
    """Open, in the inbox, the resolution message of the report (the oldest of its items)."""
    phone.goto(live_server.url("/me/inbox"))
    item = phone.locator(".inbox-item", has_text=CATEGORY).last
    item.locator("a").first.click()
    phone.locator(".inbox-body", has_text=NOTE).wait_for()
    assert phone.locator(f"a.button[href='/reports/{report_id}']").count() == 1
