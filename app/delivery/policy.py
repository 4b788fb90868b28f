"""What may be sent to a person now: daily cap, quiet hours, mutes, channels still accepted.

Pure functions of their inputs (``now`` is passed in), so that tests freeze the clock. The
drain (app.delivery.drain) loads what they need for a whole batch in a few queries.

- The **daily cap** counts the distinct runs already *sent* to the person on an interrupting
  channel (push, e-mail, SMS) since local midnight (territory time zone), across all actors. A run
  over the cap is held back on interrupting channels ("deferred", reason "cap": the daily digest
  gathers them); its inbox delivery is still sent.
- **Quiet hours** (default 21:00-08:00, territory time) defer interrupting channels to their end.
- **Civic alerts** bypass both, still only on channels the person accepted.
- A person who **muted** the actor (or one of the campaign's hashtags) since the run started is
  skipped ("muted"); a channel switched off since is skipped ("unsubscribed"); a push delivery
  whose subscriptions are all gone is skipped ("no_channel").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.campaigns.models import INTERRUPTING_CHANNELS
from app.notifications.models import DEFAULT_DAILY_CAP, DEFAULT_QUIET_END, DEFAULT_QUIET_START
from app.notifications.quiet_hours import quiet_end
from app.timezones import zone

SEND = "send"
DEFER = "defer"
SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Decision:
    action: str  # send | defer | skip
    reason: str | None = None
    until: datetime | None = None  # defer: when to try again (None: never, the digest takes it)


SEND_NOW = Decision(SEND)


@dataclass(slots=True)
class Person:
    """What the policy needs to know about one recipient (defaults when no settings row)."""

    user_id: int
    push_enabled: bool = False
    email_enabled: bool = False
    sms_enabled: bool = False
    email_verified: bool = False
    phone: str | None = None
    daily_cap: int = DEFAULT_DAILY_CAP
    quiet_start: str | None = DEFAULT_QUIET_START
    quiet_end: str | None = DEFAULT_QUIET_END
    has_push_subscription: bool = False
    muted: bool = False
    runs_sent_today: int = 0  # distinct *other* runs sent today on interrupting channels
    run_already_sent: bool = False  # this run already reached them on an interrupting channel


def quiet_until(person: Person, tz: str | None, now: datetime) -> datetime | None:
    """When the person's quiet hours end, if ``now`` is in them; else None."""
    return quiet_end(person, tz, now)


def channel_accepted(person: Person, channel: str) -> bool:
    if channel == "inbox":
        return True
    if channel == "push":
        return person.push_enabled
    if channel == "email":
        return person.email_enabled and person.email_verified
    if channel == "sms":
        return person.sms_enabled and bool(person.phone)
    return False


def over_cap(person: Person) -> bool:
    if person.run_already_sent:
        return False  # this run already counts: its other channels may follow
    return person.runs_sent_today >= max(0, person.daily_cap)


def decide(channel: str, person: Person, *, is_alert: bool, tz: str | None, now: datetime) -> Decision:
    """What to do with one delivery now."""
    if person.muted:
        return Decision(SKIP, "muted")
    if not channel_accepted(person, channel):
        return Decision(SKIP, "unsubscribed")
    if channel == "push" and not person.has_push_subscription:
        return Decision(SKIP, "no_channel")
    if channel not in INTERRUPTING_CHANNELS or is_alert:
        return SEND_NOW
    until = quiet_until(person, tz, now)
    if until is not None:
        return Decision(DEFER, "quiet_hours", until)
    if over_cap(person):
        return Decision(DEFER, "cap")
    return SEND_NOW


def decision_key(channel: str, person: Person) -> tuple[object, ...]:
    """What ``decide`` reads of a delivery besides the batch's own arguments (alert, zone, time):
    two deliveries with the same key get the same decision, so that a batch decides once per
    kind of person rather than once per person (working out the end of the same quiet hours
    hundreds of times). Everything of ``Person`` but who they are and their phone number (only
    whether they have one counts)."""
    return (
        channel, person.push_enabled, person.email_enabled, person.sms_enabled, person.email_verified,
        bool(person.phone), person.daily_cap, person.quiet_start, person.quiet_end,
        person.has_push_subscription, person.muted, person.runs_sent_today, person.run_already_sent,
    )


def digest_due(now: datetime, tz: str | None, hour: int = 18) -> bool:
    """Whether the territory's digest of the day may go out (from ``hour`` local time on)."""
    return now.astimezone(zone(tz)).hour >= hour
