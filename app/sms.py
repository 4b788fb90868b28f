"""Outgoing SMS: a provider's HTTP API (``SMS_BACKEND=http``), the console (``make run``) or
memory (tests read ``sms_outbox``); like app.mail for e-mail.

The provider adapter POSTs ``{"to": ..., "text": ...}`` as JSON to ``SMS_PROVIDER_URL`` with the
token as a Bearer credential and an ``Idempotency-Key`` header: a retry after a time-out or a
worker's crash is recognised by the provider and not sent twice.
"""

from __future__ import annotations

import sys
from typing import Any

import requests
from flask import current_app

from app.http import parse_retry_after

# Messages kept by the "memory" backend: dicts {to, text, idempotency_key}.
sms_outbox: list[dict[str, Any]] = []

TIMEOUT = 10.0  # seconds


class SmsError(Exception):
    """The provider refused or could not be reached. ``retryable``: a time-out, a 5xx or a 429
    (``retry_after`` seconds, when the provider said); otherwise the message is refused."""

    def __init__(self, error: str, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.retryable = retryable
        self.retry_after = retry_after


def send_sms(
    to: str,
    text: str,
    idempotency_key: str | None = None,
    session: requests.Session | None = None,
) -> None:
    """Send one SMS to an E.164 number; raise ``SmsError`` when the provider does not take it."""
    config = current_app.config
    backend = config["SMS_BACKEND"]
    if backend == "memory":
        sms_outbox.append({"to": to, "text": text, "idempotency_key": idempotency_key})
        return
    if backend == "console":
        print(f"----- SMS to {to} -----\n{text}\n-----", file=sys.stdout, flush=True)
        return
    if backend != "http":
        raise SmsError("unknown backend", retryable=False)
    headers = {"Authorization": f"Bearer {config['SMS_PROVIDER_TOKEN']}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    poster = session or requests
    try:
        response = poster.post(
            config["SMS_PROVIDER_URL"], json={"to": to, "text": text}, headers=headers, timeout=TIMEOUT
        )
    except requests.RequestException as exc:  # time-out, refused connection...
        raise SmsError(type(exc).__name__, retryable=True) from None
    status = response.status_code
    response.close()
    if 200 <= status < 300:
        return
    if status == 429:
        raise SmsError("429", retryable=True, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    raise SmsError(str(status), retryable=status >= 500)
