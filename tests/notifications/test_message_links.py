"""What messages link to: open (from the service worker), click (a redirect to this app's page
only), mute the actor, one-click unsubscribe. Delivery tokens are signed; a tampered one or one
of another territory is a 404. Unsubscribe tokens are sealed (they show nobody), expire after 90
days and are revoked by subscribing again or a new e-mail address or password; a link that no
longer works says so on a page."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from app.accounts.models import Consent
from app.delivery.tokens import delivery_token, unsubscribe_token
from app.extensions import db
from app.models_common import utcnow
from app.notifications import services
from app.notifications.models import NotificationSettings
from app.privacy.erasure import erase_account
from tests.factories import (
    PASSWORD,
    make_actor,
    make_campaign,
    make_delivery,
    make_publication,
    make_run,
    make_territory,
    make_user,
)
from tests.notifications.conftest import post_form


def _delivery(territory, user, channel="push", **campaign_fields):  # type: ignore[no-untyped-def]
    actor = make_actor(territory, "Boulangerie Pain")
    campaign = make_campaign(actor, **campaign_fields)
    return make_delivery(make_run(campaign), user, channel), actor


def _fresh(delivery):  # type: ignore[no-untyped-def]
    db.session.refresh(delivery)
    return delivery


def test_open_is_recorded_once(client, territory, citizen):
    delivery, _ = _delivery(territory, citizen)
    token = delivery_token(delivery.id)

    first = client.post(f"/n/open/{token}")
    opened_at = _fresh(delivery).opened_at
    second = client.post(f"/n/open/{token}")

    assert first.status_code == second.status_code == 204
    assert opened_at is not None and _fresh(delivery).opened_at == opened_at


def test_a_tampered_token_is_not_found(client, territory, citizen):
    delivery, _ = _delivery(territory, citizen)
    token = delivery_token(delivery.id)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for response in (
        client.post(f"/n/open/{tampered}"),
        client.get(f"/r/{tampered}"),
        client.post(f"/n/mute/{tampered}"),
    ):
        assert response.status_code == 404
    assert _fresh(delivery).opened_at is None


def test_a_token_of_another_territory_is_not_found(client, territory):
    resort = make_territory("station", "Montgenèvre", hosts=("station.localhost",))
    skier = make_user(resort, "skier@example.org")
    delivery, _ = _delivery(resort, skier)
    token = delivery_token(delivery.id)
    unsubscribe = unsubscribe_token(skier.id, "email")

    assert client.post(f"/n/open/{token}").status_code == 404
    assert client.get(f"/r/{token}").status_code == 404
    assert client.post(f"/n/mute/{token}").status_code == 404
    assert client.post(f"/unsubscribe/{unsubscribe}").status_code == 404
    assert _fresh(delivery).opened_at is None and _fresh(delivery).clicked_at is None
    # On its own host, the same token works.
    assert client.post(f"/n/open/{token}", base_url="http://station.localhost").status_code == 204


def test_a_click_records_click_and_open_then_goes_to_the_publication(client, territory, citizen):
    actor = make_actor(territory, "Boulangerie Pain")
    publication = make_publication(actor, "Fresh bread")
    campaign = make_campaign(actor, publication_id=publication.id)
    delivery = make_delivery(make_run(campaign), citizen, "email")

    response = client.get(f"/r/{delivery_token(delivery.id)}")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/p/{publication.id}"
    delivery = _fresh(delivery)
    assert delivery.clicked_at is not None and delivery.opened_at is not None


def test_a_click_without_publication_goes_to_the_actors_page(client, territory, citizen):
    delivery, actor = _delivery(territory, citizen, "sms")
    response = client.get(f"/r/{delivery_token(delivery.id)}")
    assert response.status_code == 303 and response.headers["Location"] == f"/actors/{actor.slug}"


def test_a_click_never_leaves_the_site(client, territory, citizen):
    actor = make_actor(territory, "Boulangerie Pain")
    other_actor = make_actor(territory, "Other shop")
    others_publication = make_publication(other_actor, "Not theirs")
    draft = make_publication(actor, "Draft", status="draft")
    for publication in (others_publication, draft):
        campaign = make_campaign(actor, publication_id=publication.id)
        delivery = make_delivery(make_run(campaign), citizen, "push")
        response = client.get(f"/r/{delivery_token(delivery.id)}?next=https://evil.example.org")
        location = response.headers["Location"]
        assert location == f"/actors/{actor.slug}"
        assert "evil" not in location and location.startswith("/") and not location.startswith("//")


def test_mute_from_a_push_action_mutes_the_actor_for_the_recipient(client, territory, citizen):
    delivery, actor = _delivery(territory, citizen)
    response = client.post(f"/n/mute/{delivery_token(delivery.id)}", headers={"Sec-Fetch-Dest": "empty"})
    assert response.status_code == 204
    assert services.is_actor_muted(citizen, actor.id)


def test_mute_link_shows_a_confirmation_page_with_a_form(client, territory, citizen):
    delivery, actor = _delivery(territory, citizen, "email")
    token = delivery_token(delivery.id)
    page = client.get(f"/n/mute/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'action="/n/mute/{token}"' in html and "Boulangerie Pain" in html
    assert not services.is_actor_muted(citizen, actor.id)

    done = client.post(f"/n/mute/{token}")
    assert done.status_code == 200 and "is muted" in done.get_data(as_text=True)
    assert services.is_actor_muted(citizen, actor.id)


def test_one_click_unsubscribe_switches_email_off_and_withdraws_the_consent(client, territory, citizen):
    services.set_email(citizen, True)
    token = unsubscribe_token(citizen.id, "email")

    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and f'action="/unsubscribe/{token}"' in page.get_data(as_text=True)
    assert services.settings_of(citizen).email_enabled

    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click", without any CSRF token.
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    settings = db.session.get(NotificationSettings, citizen.id)
    db.session.refresh(settings)
    assert not settings.email_enabled
    consent = db.session.scalar(select(Consent).where(Consent.channel == "email"))
    db.session.refresh(consent)
    assert consent.withdrawn_at is not None


def test_unsubscribe_from_sms(client, territory, citizen):
    settings = services.settings_of(citizen)
    settings.sms_enabled, settings.phone = True, "+33612345678"
    db.session.commit()
    assert client.post(f"/unsubscribe/{unsubscribe_token(citizen.id, 'sms')}").status_code == 200
    db.session.refresh(settings)
    assert not settings.sms_enabled and settings.phone is None


def test_unsubscribe_tokens_name_only_email_or_sms(client, territory, citizen):
    assert client.post(f"/unsubscribe/{unsubscribe_token(citizen.id, 'inbox')}").status_code == 400


# --- unsubscribe tokens: opaque, expiring, revocable -----------------------------------------

NO_LONGER_WORKS = "This link does not work"


def _decoded_parts(token: str) -> list[bytes]:
    """What anyone can read in a token: each dot-separated part, base64-decoded."""
    return [base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.split(".")]


def _email_on(citizen) -> bool:  # type: ignore[no-untyped-def]
    settings = db.session.get(NotificationSettings, citizen.id)
    db.session.refresh(settings)
    return settings.email_enabled


def _refused(client, token: str) -> bool:  # type: ignore[no-untyped-def]
    """The link's page and the mail client's one-click POST both say the link no longer works."""
    page = client.get(f"/unsubscribe/{token}")
    posted = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    return all(
        r.status_code == 400 and NO_LONGER_WORKS in r.get_data(as_text=True) for r in (page, posted)
    )


def test_an_unsubscribe_token_shows_nobody(client, territory, citizen):
    old_style = URLSafeSerializer("test-secret", salt="unsubscribe-token").dumps([citizen.id, "email"])
    assert f"[{citizen.id},".encode() in _decoded_parts(old_style)[0]  # what the old links showed

    token = unsubscribe_token(citizen.id, "email")
    for part in _decoded_parts(token):
        assert f"[{citizen.id},".encode() not in part and b"email" not in part
        for chunk in part.split(b"."):
            try:
                assert json.loads(chunk) is None  # noqa: PT017 (nothing readable as JSON)
            except ValueError:
                pass
    assert unsubscribe_token(citizen.id, "email") != token  # each e-mail carries its own


def test_an_old_style_unsubscribe_link_gets_a_clear_page(client, territory, citizen):
    services.set_email(citizen, True)
    old_style = URLSafeSerializer("test-secret", salt="unsubscribe-token").dumps([citizen.id, "email"])
    assert _refused(client, old_style)
    page = client.get(f"/unsubscribe/{old_style}").get_data(as_text=True)
    assert "Each new e-mail carries a link that works" in page and 'href="/me/notifications"' in page
    assert _email_on(citizen)


def test_an_unsubscribe_link_works_for_90_days(client, territory, citizen):
    services.settings_of(citizen).email_enabled = True  # on since long ago: no link revoked
    db.session.commit()
    assert _refused(client, unsubscribe_token(citizen.id, "email", now=utcnow() - timedelta(days=91)))
    assert _email_on(citizen)
    recent = unsubscribe_token(citizen.id, "email", now=utcnow() - timedelta(days=89))
    assert client.post(f"/unsubscribe/{recent}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not _email_on(citizen)


def test_subscribing_again_revokes_the_links_sent_before(client, territory, citizen):
    services.set_email(citizen, True)
    token = unsubscribe_token(citizen.id, "email")
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    assert not _email_on(citizen)
    # Used, the link still shows that e-mails are off (a second click, a link scanner).
    again = client.get(f"/unsubscribe/{token}")
    assert again.status_code == 200 and "You are unsubscribed" in again.get_data(as_text=True)

    services.set_email(citizen, True)
    assert _refused(client, token)
    assert _email_on(citizen)
    fresh = unsubscribe_token(citizen.id, "email")
    assert client.post(f"/unsubscribe/{fresh}").status_code == 200 and not _email_on(citizen)


def test_a_new_password_or_email_address_revokes_the_links(logged_in, territory, citizen):
    services.set_email(citizen, True)
    before_password = unsubscribe_token(citizen.id, "email")
    new_password = "a brand new passphrase"
    response = post_form(
        logged_in, "/me/password",
        {"current_password": PASSWORD, "password": new_password, "confirm": new_password},
    )
    assert response.status_code == 303
    assert _refused(logged_in, before_password)

    before_email = unsubscribe_token(citizen.id, "email")
    response = post_form(logged_in, "/me/email", {"email": "lea.new@example.org", "current_password": new_password})
    assert response.status_code == 303
    assert _refused(logged_in, before_email)
    assert _email_on(citizen)


def test_a_deleted_accounts_links_no_longer_work(client, territory, citizen):
    services.set_email(citizen, True)
    token = unsubscribe_token(citizen.id, "email")
    erase_account(citizen)
    assert _refused(client, token)
