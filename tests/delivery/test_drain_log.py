"""A drain's closing log line says, for operators, where its time went (and nothing personal)."""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from app.delivery import runs as delivery_runs
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import PushSubscription
from tests.delivery.conftest import make_campaign, make_citizens


def test_a_drain_says_where_its_time_went(app, territory, actor, push_service, caplog):
    people = make_citizens(territory, actor, 11, push_service=push_service)
    with caplog.at_level(logging.INFO, logger="app.delivery.drain"):
        run = delivery_runs.start_run(make_campaign(actor, channels=("push", "inbox")), utcnow())

    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("drain finished")]
    assert lines, "no closing line"
    processed = sum(int(re.search(r", (\d+) deliveries", line).group(1)) for line in lines)
    assert processed == 22 and run.status == "sent"
    phases = {name for line in lines for name in re.findall(r"(\w+)=[\d.]+s", line)}
    assert {"cpu", "claim", "plan", "push", "inbox", "record"} <= phases
    endpoints = db.session.scalars(select(PushSubscription.endpoint)).all()
    for line in lines:
        assert not any(person.email in line for person in people)
        assert not any(endpoint in line for endpoint in endpoints)
