"""E-mail and SMS, each switched on separately; every switch records a consent."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from app.accounts import consents
from app.accounts.models import Consent
from app.extensions import db
from app.models_common import utcnow
from app.notifications import services
from app.notifications.models import NotificationSettings
from tests.factories import login_as, make_user
from tests.notifications.conftest import post_form


def _consents(user, channel):  # type: ignore[no-untyped-def]
    rows = list(db.session.scalars(select(Consent).where(Consent.user_id == user.id, Consent.channel == channel).order_by(Consent.id)))
    for row in rows:
        db.session.refresh(row)
    return rows


def _settings(user) -> NotificationSettings:  # type: ignore[no-untyped-def]
    settings = db.session.get(NotificationSettings, user.id)
    db.session.refresh(settings)
    return settings


def _code(sms_outbox) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"\b(\d{6})\b", sms_outbox[-1]["text"]).group(1)


# --- e-mail ----------------------------------------------------------------------------------


def test_email_is_switched_on_and_off_with_consents_recorded(logged_in, citizen):
    assert post_form(logged_in, "/me/notifications/email", {"email-enabled": "y"}).status_code == 303
    assert _settings(citizen).email_enabled
    [granted] = _consents(citizen, "email")
    assert granted.purpose == "notifications" and granted.withdrawn_at is None

    assert post_form(logged_in, "/me/notifications/email", {}).status_code == 303
    assert not _settings(citizen).email_enabled
    [withdrawn] = _consents(citizen, "email")
    assert withdrawn.withdrawn_at is not None


def test_the_email_setting_promises_what_the_unsubscribe_link_does(logged_in):
    """The e-mail's link opens a page with a button (a link scanner cannot unsubscribe anyone):
    the settings page does not promise "one click"."""
    html = logged_in.get("/me/notifications").get_data(as_text=True)
    assert "Every e-mail carries a link to stop them." in html and "one click" not in html


def test_email_needs_a_verified_address(app, client, territory):
    unverified = make_user(territory, "new@example.org", verified=False)
    login_as(client, unverified)
    response = post_form(client, "/me/notifications/email", {"email-enabled": "y"})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="email-enabled-error"' in html and "Confirm your e-mail address first" in html
    assert not services.settings_of(unverified).email_enabled
    assert _consents(unverified, "email") == []


def test_withdrawing_the_consent_in_the_privacy_centre_switches_the_channel_off(logged_in, citizen):
    services.set_email(citizen, True)
    [consent] = _consents(citizen, "email")
    response = post_form(logged_in, f"/me/consents/{consent.id}/withdraw")
    assert response.status_code == 303
    assert not _settings(citizen).email_enabled


def test_the_existing_consent_helpers_still_work_without_a_channel(citizen):
    consents.grant_consent(citizen, consents.PROFILE_TARGETING, detail="profile")
    assert consents.has_profile_targeting_consent(citizen)
    assert consents.active_consent(citizen, consents.PROFILE_TARGETING).channel is None


# --- SMS -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("06.12.34.56.78", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(typed, e164):
    assert services.normalise_phone(typed) == e164


@pytest.mark.parametrize("typed", ["12345", "06 12 34", "phone", "+0612345678", ""])
def test_bad_phone_numbers_are_refused(typed):
    with pytest.raises(services.PhoneError):
        services.normalise_phone(typed)


def test_a_confirmed_phone_switches_sms_on(logged_in, citizen, sms_outbox):
    response = post_form(logged_in, "/me/notifications/sms/code", {"phone": "06 12 34 56 78"})
    assert response.status_code == 303
    [sms] = sms_outbox
    assert sms["to"] == "+33612345678"
    settings = _settings(citizen)
    assert settings.pending_phone == "+33612345678" and not settings.sms_enabled
    assert _code(sms_outbox) not in (settings.phone_code_hash or "")  # only a keyed hash is kept

    response = post_form(logged_in, "/me/notifications/sms/confirm", {"code": _code(sms_outbox)})

    assert response.status_code == 303
    settings = _settings(citizen)
    assert settings.sms_enabled and settings.phone == "+33612345678" and settings.phone_code_hash is None
    [consent] = _consents(citizen, "sms")
    assert consent.withdrawn_at is None


def test_a_wrong_code_is_refused_next_to_the_field_keeping_what_was_typed(logged_in, citizen, sms_outbox):
    post_form(logged_in, "/me/notifications/sms/code", {"phone": "06 12 34 56 78"})
    wrong = "000000" if _code(sms_outbox) != "000000" else "111111"
    response = post_form(logged_in, "/me/notifications/sms/confirm", {"code": wrong})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "not the right one" in html and "Tries left: 4" in html and f'value="{wrong}"' in html
    assert not _settings(citizen).sms_enabled


def test_the_code_stops_working_after_five_wrong_tries(citizen, sms_outbox):
    services.send_phone_code(citizen, "0612345678")
    right = _code(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(services.CodeError):
            services.confirm_phone(citizen, wrong)
    with force_locale("en"), pytest.raises(services.CodeError, match="Too many"):
        services.confirm_phone(citizen, right)
    assert not services.settings_of(citizen).sms_enabled


def test_the_code_expires_after_ten_minutes(citizen, sms_outbox):
    sent_at = utcnow()
    services.send_phone_code(citizen, "0612345678", now=sent_at)
    with force_locale("en"), pytest.raises(services.CodeError, match="expired"):
        services.confirm_phone(citizen, _code(sms_outbox), now=sent_at + timedelta(minutes=10, seconds=1))
    settings = services.confirm_phone(citizen, _code(sms_outbox), now=sent_at + timedelta(minutes=9))
    assert settings.sms_enabled


def test_a_new_code_replaces_the_old_one(citizen, sms_outbox):
    services.send_phone_code(citizen, "0612345678")
    first = _code(sms_outbox)
    services.send_phone_code(citizen, "0612345678")
    second = _code(sms_outbox)
    if first != second:
        with pytest.raises(services.CodeError):
            services.confirm_phone(citizen, first)
    assert services.confirm_phone(citizen, second).sms_enabled


def test_a_bad_number_is_refused_and_nothing_sent(logged_in, citizen, sms_outbox):
    response = post_form(logged_in, "/me/notifications/sms/code", {"phone": "12 34"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="phone-error"' in html and 'value="12 34"' in html
    assert sms_outbox == []


def test_switching_sms_off_forgets_the_number_and_withdraws_the_consent(logged_in, citizen, sms_outbox):
    services.send_phone_code(citizen, "0612345678")
    services.confirm_phone(citizen, _code(sms_outbox))
    response = post_form(logged_in, "/me/notifications/sms/off")
    assert response.status_code == 303
    settings = _settings(citizen)
    assert not settings.sms_enabled and settings.phone is None
    [consent] = _consents(citizen, "sms")
    assert consent.withdrawn_at is not None


# --- mutes -----------------------------------------------------------------------------------


def test_mutes_of_actors_and_hashtags_are_listed_with_unmute_buttons(logged_in, citizen, territory):
    from tests.factories import make_actor, make_hashtag

    bakery = make_actor(territory, "Boulangerie Pain")
    bio = make_hashtag(territory, "bio")
    assert post_form(logged_in, f"/me/notifications/mutes/actors/{bakery.id}").status_code == 303
    assert post_form(logged_in, "/me/notifications/mutes/hashtags", {"hashtag": str(bio.id)}).status_code == 303

    html = logged_in.get("/me/notifications").get_data(as_text=True)
    assert "Boulangerie Pain" in html and f"/me/notifications/mutes/actors/{bakery.id}/unmute" in html
    assert f"/me/notifications/mutes/hashtags/{bio.id}/unmute" in html
    assert services.is_actor_muted(citizen, bakery.id)

    response = post_form(logged_in, f"/me/notifications/mutes/actors/{bakery.id}/unmute", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Boulangerie Pain" not in response.get_data(as_text=True)
    post_form(logged_in, f"/me/notifications/mutes/hashtags/{bio.id}/unmute")
    assert services.muted_actors(citizen) == [] and services.muted_hashtags(citizen) == []


def test_an_actor_is_muted_from_its_page(logged_in, citizen, territory):
    from tests.factories import make_actor

    bakery = make_actor(territory, "Boulangerie Pain")
    html = logged_in.get(f"/actors/{bakery.slug}").get_data(as_text=True)
    assert f'action="/me/notifications/mutes/actors/{bakery.id}"' in html
    response = post_form(logged_in, f"/me/notifications/mutes/actors/{bakery.id}", {"next": f"/actors/{bakery.slug}"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/actors/{bakery.slug}")
    assert "Receive messages from Boulangerie Pain again" in logged_in.get(f"/actors/{bakery.slug}").get_data(as_text=True)


def test_muting_an_unknown_hashtag_is_an_error_next_to_the_field(logged_in):
    response = post_form(logged_in, "/me/notifications/mutes/hashtags", {"hashtag": "99999"})
    assert response.status_code == 422 and 'id="hashtag-error"' in response.get_data(as_text=True)
