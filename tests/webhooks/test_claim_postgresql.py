"""On PostgreSQL two senders claim different messages: a row another transaction holds is
skipped (FOR UPDATE SKIP LOCKED), not waited for nor claimed twice."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from app.extensions import db
from app.models_common import utcnow
from app.webhooks import sender
from app.webhooks.events import send_test

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="PostgreSQL run only")


def test_a_message_locked_by_another_sender_is_skipped(app, endpoint):
    now = utcnow()
    first = send_test(endpoint, now=now)
    second = send_test(endpoint, now=now)
    db.session.commit()
    assert db.engine is not None
    with db.engine.connect() as other_sender:
        other_sender.execute(text("SELECT id FROM webhook_message WHERE id = :id FOR UPDATE"), {"id": first.id})
        assert sender.claim_due(now, size=10) == [second.id]
        other_sender.rollback()
    assert sender.claim_due(now, size=10) == [first.id]
    assert sender.claim_due(now, size=10) == []
