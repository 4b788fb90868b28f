"""The SMS channel: a campaign's message as a short text with its link, through app.sms (the
delivery's key is the provider's ``Idempotency-Key``)."""

from __future__ import annotations

from collections.abc import Sequence

import requests
from flask_babel import gettext as _

from app.delivery.channels import Item, Outcome, failed, retry, sent
from app.delivery.links import language, links_for
from app.sms import SmsError, send_sms


def sms_text(item: Item, click_url: str) -> str:
    message = item.message
    with language(item.language):
        prefix = _("Alert") + " · " if message.is_alert else ""
        return f"{prefix}{message.actor_name}: {message.title}\n{message.body}\n{click_url}".strip()


class SmsChannel:
    name = "sms"

    def send_batch(self, items: Sequence[Item]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        with requests.Session() as session:  # one keep-alive connection for the batch
            for item in items:
                if not item.phone:
                    outcomes.append(failed("no_phone"))
                    continue
                urls = links_for(item)
                try:
                    send_sms(item.phone, sms_text(item, urls.click), item.idempotency_key, session)
                except SmsError as exc:
                    outcomes.append(
                        retry(exc.retry_after, exc.error) if exc.retryable else failed(exc.error)
                    )
                else:
                    outcomes.append(sent())
        return outcomes
