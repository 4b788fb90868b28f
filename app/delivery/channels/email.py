"""E-mail over SMTP: one connection per batch, a Message-ID derived from the delivery (a retry
carries the same one), a one-click unsubscribe (RFC 8058: ``List-Unsubscribe`` and
``List-Unsubscribe-Post`` headers, and a link in the body), text and simple HTML, in the
recipient's language. ``MAIL_BACKEND`` memory/console behave as in app.mail."""

from __future__ import annotations

import smtplib
import sys
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import gettext as _

from app import mail as mail_module
from app.delivery.channels import Item, Outcome, failed, retry, sent
from app.delivery.links import language, links_for, unsubscribe_url

TIMEOUT = 30.0


def message_id(key: str, base_url: str) -> str:
    host = urlsplit(base_url).hostname or "territory.local"
    return f"<{key}@{host}>"


def build_message(
    to: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe: str,
    msg_id: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = msg_id
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def campaign_message(item: Item) -> EmailMessage:
    message = item.message
    links = links_for(item)
    unsubscribe = unsubscribe_url(message.base_url, item.user_id, "email")
    with language(item.language):
        context = {
            "message": message,
            "click_url": links.click,
            "unsubscribe_url": unsubscribe,
            "lang": item.language,
        }
        text = render_template("delivery/mail/campaign.txt", **context)
        html = render_template("delivery/mail/campaign.html", **context)
        prefix = _("Alert") + ": " if message.is_alert else ""
        subject = f"{prefix}{message.title} — {message.actor_name}"
    return build_message(
        item.email or "",
        subject,
        text,
        html,
        unsubscribe,
        message_id(item.idempotency_key, message.base_url),
    )


class Mailer:
    """Sends EmailMessages through one SMTP connection (opened on first use), or the memory /
    console backends. ``send`` returns an Outcome."""

    def __init__(self) -> None:
        self.config = current_app.config
        self.backend = self.config["MAIL_BACKEND"]
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.config["SMTP_HOST"], self.config["SMTP_PORT"], timeout=TIMEOUT)
            if self.config["SMTP_STARTTLS"]:
                smtp.starttls()
            if self.config["SMTP_USER"]:
                smtp.login(self.config["SMTP_USER"], self.config["SMTP_PASSWORD"])
            self._smtp = smtp
        return self._smtp

    def send(self, message: EmailMessage) -> Outcome:
        if not parseaddr(str(message["To"]))[1]:
            return failed("no_address")
        if self.backend == "memory":
            mail_module.outbox.append(message)
            return sent()
        if self.backend == "console":
            print(
                f"----- e-mail to {message['To']} -----\nSubject: {message['Subject']}\n\n"
                f"{message.get_body(('plain',)).get_content()}\n-----",  # type: ignore[union-attr]
                file=sys.stdout,
                flush=True,
            )
            return sent()
        for attempt in range(2):  # a dropped connection is reopened once
            try:
                self._connect().send_message(message)
                return sent()
            except smtplib.SMTPServerDisconnected as exc:
                self._smtp = None
                if attempt:
                    return retry(error=type(exc).__name__)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _msg in exc.recipients.values()]
                code = codes[0] if codes else 550
                return retry(error=str(code)) if 400 <= code < 500 else failed(str(code))
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code in (421,):
                    self.close()
                return retry(error=str(exc.smtp_code)) if 400 <= exc.smtp_code < 500 else failed(str(exc.smtp_code))
            except (TimeoutError, OSError, smtplib.SMTPException) as exc:
                self.close()
                return retry(error=type(exc).__name__)
        return retry(error="smtp")

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None


class EmailChannel:
    name = "email"

    def send_batch(self, items: Sequence[Item]) -> list[Outcome]:
        mailer = Mailer()
        try:
            outcomes = []
            for item in items:
                if not item.email:
                    outcomes.append(failed("no_address"))
                    continue
                outcomes.append(mailer.send(campaign_message(item)))
            return outcomes
        finally:
            mailer.close()
