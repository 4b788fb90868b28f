"""Telling a report's people of its changes through the delivery engine.

A status change (with its public note), a merge and a reopening reach the reporter and the
followers, minus the person who acted, as a personal message of the engine (app.delivery.personal)
in the name of the category's service: each person's channels, daily cap (over it, the daily
digest gathers it), quiet hours (held until they end) and mutes of the service apply exactly as
for a campaign; no audience floor (it goes only to the people concerned), and the service's
campaign pages never show it. The inbox channel files it as a "report" item leading to the
report's page. The engine sends one text to every recipient of a run, so the people are told in
their own language: one message (run) per language among them. A report whose category names no
service (nobody speaks for it) tells its people in their inbox only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.campaigns.models import Campaign
from app.delivery.links import language, language_of, register_message_target
from app.delivery.models import InboxItem
from app.delivery.personal import send_personal_message, start_personal_message
from app.extensions import db
from app.models_common import utcnow
from app.reports.models import Report, ReportNotice
from app.territories.models import Territory

REPORT_KIND = "report"  # Campaign.schedule_kind of a report's messages (PERSONAL_KINDS)


def _report_target(campaign: Campaign) -> tuple[str, dict[str, int]] | None:
    report_id = db.session.scalar(select(ReportNotice.report_id).where(ReportNotice.campaign_id == campaign.id))
    return ("reports.show", {"report_id": report_id}) if report_id is not None else None


register_message_target(REPORT_KIND, _report_target)


def tell(report: Report, people: list[int], compose: Callable[[], tuple[str, str]],
         now: datetime | None = None) -> int:
    """Send to ``people`` about ``report`` what ``compose()`` writes (title, body) in each one's
    language (theirs, else the territory's). Commits; returns the deliveries made."""
    now = now or utcnow()
    people = list(dict.fromkeys(people))
    if not people:
        return 0
    territory = db.session.get(Territory, report.territory_id)
    assert territory is not None
    by_language: dict[str, list[int]] = defaultdict(list)
    for user_id, code in db.session.execute(select(User.id, User.language).where(User.id.in_(people))):
        by_language[language_of(code, territory.default_language)].append(user_id)
    made = 0
    for code, user_ids in sorted(by_language.items()):
        with language(code):
            title, body = compose()
        made += _send(report, territory, user_ids, title, body, now)
    return made


def _send(report: Report, territory: Territory, people: list[int], title: str, body: str, now: datetime) -> int:
    service_id = report.category.service_actor_id
    if service_id is None:
        for user_id in people:
            db.session.add(InboxItem(user_id=user_id, territory_id=report.territory_id, kind="report",
                                     title=title[:120], body=body[:2000], url=f"/reports/{report.id}"))
        db.session.commit()
        return len(people)
    run = start_personal_message(territory, service_id, REPORT_KIND, title, body, now)
    db.session.add(ReportNotice(campaign_id=run.campaign_id, report_id=report.id))
    return send_personal_message(run, territory, people, now)


def status_title(report: Report, label: str) -> str:
    return _("Your report “%(category)s”: %(status)s", category=report.category.name, status=label)


def reopened_title(report: Report) -> str:
    return _("The report “%(category)s” was reopened", category=report.category.name)
