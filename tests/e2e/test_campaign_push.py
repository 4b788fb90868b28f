"""A campaign's web push from end to end, in Chromium (issue 3's headline test).

A citizen switches push on (PushManager.subscribe is replaced by a subscription with real P-256
keys pointing at the test's local push service); a merchant sends a campaign to #bio through the
campaign form; the push service receives a message that decrypts (RFC 8291) to the campaign's
text under a valid VAPID token; delivered to the service worker through the DevTools protocol,
it shows a notification; its click code records the open, which the merchant's statistics show.

Delivery: the live server's Huey runs tasks immediately (conftest sets ``huey.immediate``), so
pressing "Send" materialises the deliveries and drains them to the push service inside that
request, through the real delivery engine (app.delivery.services.drain and the push channel).
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.accounts.models import Consent, User, UserHashtag
from app.campaigns.models import Campaign, Delivery
from app.extensions import db
from app.models_common import utcnow
from app.notifications.models import NotificationSettings, PushSubscription
from app.territories.models import Hashtag, Territory
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MOBILE_VIEWPORT,
    ShownNotifications,
    act_as,
    wait_for_service_worker,
)
from tests.factories import JOINED_AT, make_user
from tests.support.push_service import PushService, verify_vapid

pytestmark = pytest.mark.e2e

OTHERS = 10  # with the citizen: 11 people, the anonymity floor

# PushManager.subscribe replaced by a subscription with real keys on the local push service (the
# browser's own would point at Google's push service).
FAKE_PUSH = """
(() => {
  const sub = %s;
  let current = null;
  const fake = (options) => ({
    endpoint: sub.endpoint, options,
    toJSON() { return { endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }; },
    unsubscribe() { current = null; return Promise.resolve(true); },
  });
  PushManager.prototype.subscribe = function (options) { current = fake(options); return Promise.resolve(current); };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
})();
"""


def _log_in(page, live_server, email, password):  # type: ignore[no-untyped-def]
    page.goto(live_server.url("/login"))
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("main form button[type=submit]").first.click()
    page.locator("footer form[action$='/logout']").wait_for()


def _registration_id(page) -> str:  # type: ignore[no-untyped-def]
    cdp = page.context.new_cdp_session(page)
    versions: list[dict] = []
    cdp.on("ServiceWorker.workerVersionUpdated", lambda event: versions.extend(event.get("versions", [])))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        running = [v for v in versions if v.get("runningStatus") == "running"]
        if running:
            page._cdp = cdp  # kept alive for deliverPushMessage
            return str(running[0]["registrationId"])
        page.wait_for_timeout(100)
    raise AssertionError("no running service worker")


def _opened_cell(page):  # type: ignore[no-untyped-def]
    # The campaign has one channel (push): its row's cells are Delivered, Opened, Clicked.
    table = page.locator(".campaign-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody th")).to_have_text("Notification push")
    return table.locator("tbody tr td").nth(1)


def test_a_campaign_to_bio_reaches_the_citizens_browser_and_its_open_shows_in_the_statistics(
    page, context, live_server, live_db, seed, playwright_driver, monkeypatch
):
    origin = live_server.url("/").rstrip("/")
    push = PushService().start()
    # The local push service speaks plain http on 127.0.0.1 (a test-only setting), and the links
    # a message carries must be this live server's origin (the service worker only opens or
    # posts to its own origin): monkeypatch puts the previous values back after the test.
    monkeypatch.setitem(live_server.app.config, "PUSH_ALLOW_INSECURE_HOSTS", (push.netloc,))
    monkeypatch.setitem(live_server.app.config, "PREFERRED_URL_SCHEME", "http")
    monkeypatch.setitem(live_server.app.config, "PUBLIC_PORT", str(live_server.port))
    merchant_browser = None
    try:
        email = f"bio-{uuid.uuid4().hex[:8]}@example.org"
        with live_db():
            coast_bio = db.session.scalar(
                select(Hashtag).where(Hashtag.territory_id == seed.ids["coast"], Hashtag.tag == "bio")
            )
            bio_id = coast_bio.id
            coast = db.session.get(Territory, seed.ids["coast"])
            citizen = make_user(coast, email, display_name="Inès", onboarded_at=utcnow())
            citizen_id = citizen.id
            # Ten more people interested in #bio who let their profile be used, each with push on
            # a subscription of the local push service (no log-in: no real password hash).
            others: dict[int, str] = {}
            for index in range(OTHERS):
                person = User(
                    territory_id=coast.id, email=f"bio-{uuid.uuid4().hex[:8]}-{index}@example.org",
                    password_hash="$argon2id$not-a-real-hash", email_verified_at=utcnow(), onboarded_at=utcnow(),
                    created_at=JOINED_AT,  # an established account: it counts in released figures
                )
                db.session.add(person)
                db.session.flush()
                db.session.add(UserHashtag(user_id=person.id, hashtag_id=bio_id))
                db.session.add(Consent(user_id=person.id, purpose="profile_targeting", detail="e2e"))
                db.session.add(NotificationSettings(user_id=person.id, push_enabled=True, quiet_start=None, quiet_end=None))
                sub = push.make_subscription()
                db.session.add(PushSubscription(
                    user_id=person.id, territory_id=coast.id, endpoint=sub["endpoint"],
                    endpoint_hash=hashlib.sha256(sub["endpoint"].encode()).hexdigest(),
                    p256dh=sub["keys"]["p256dh"], auth=sub["keys"]["auth"],
                ))
                others[person.id] = sub["endpoint"]

        # --- the citizen: interests and consent, no quiet hours, push on -------------------------
        subscription = push.make_subscription()
        context.grant_permissions(["notifications"], origin=origin)
        page.add_init_script(FAKE_PUSH % json.dumps(subscription))
        _log_in(page, live_server, email, seed.password)
        page.goto(live_server.url("/me"))
        page.locator(f"main form input[name=hashtags][value='{bio_id}']").check()
        page.locator("#personalise").check()
        page.locator("main form[action$='/me'] button[type=submit]").click()
        expect(page.locator(".flash-success")).to_be_visible()

        page.goto(live_server.url("/me/notifications"))
        # The suite may run at night: no quiet hours for this person (else the push waits).
        page.locator("#limits #quiet_enabled").uncheck()
        page.locator("#limits button[type=submit]").click()
        expect(page.locator(".flash-success")).to_be_visible()
        wait_for_service_worker(page)
        page.locator("#push .push-on").click()
        page.locator('#push[data-push-state="on"]').wait_for()
        with live_db():
            settings = db.session.get(NotificationSettings, citizen_id)
            assert settings.push_enabled and settings.quiet_start is None
            assert db.session.scalar(
                select(PushSubscription.user_id).where(PushSubscription.endpoint == subscription["endpoint"])
            ) == citizen_id

        # --- the merchant, in a browser of their own, sends a campaign to #bio by push ------------
        title = f"Paniers bio {uuid.uuid4().hex[:6]}"
        text = "Ce samedi, les paniers de saison à -20 %."
        merchant_browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        merchant = merchant_browser.new_context(locale="fr-FR", viewport=MOBILE_VIEWPORT).new_page()
        merchant.set_default_timeout(10_000)
        _log_in(merchant, live_server, seed.merchant_email, seed.password)
        act_as(merchant, seed.shop_name)
        merchant.goto(live_server.url("/manage/campaigns/new"))
        merchant.locator("#title").fill(title)
        merchant.locator("#body").fill(text)
        # the composer, one step at a time: who, then how and when, then the review and sending
        merchant.locator("#step-what [data-step-go=who]").click()
        merchant.locator(f"input[name=hashtags][value='{bio_id}']").check()
        expect(merchant.locator("#audience .audience-count")).to_be_visible()  # the live estimate
        merchant.locator("#step-who [data-step-go=when]").click()
        merchant.locator("input[name=channels][value=inbox]").uncheck()
        expect(merchant.locator("input[name=channels][value=push]")).to_be_checked()
        expect(merchant.locator("input[name=when][value=now]")).to_be_checked()
        merchant.locator("#step-when [data-step-go=review]").click()
        merchant.get_by_role("button", name="Envoyer ou programmer").click()
        expect(merchant.get_by_role("heading", level=1, name=title)).to_be_visible()

        # --- the push service got one message for the citizen, readable and signed ---------------
        received = push.wait_for(OTHERS + 1)
        assert not push.errors, push.errors
        mine = push.received_for(subscription["endpoint"])
        assert len(mine) == 1
        [message] = mine
        assert message.status == 201  # the service answers 401 to a bad VAPID token
        assert verify_vapid(message.headers["Authorization"], push.origin) is None
        assert message.headers["Authorization"].startswith("vapid t=")
        payload = message.json  # decrypted with the subscription's private key and auth secret
        assert (payload["title"], payload["body"]) == (title, text)
        assert payload["open_url"].startswith(origin + "/n/open/")
        assert {r.endpoint for r in received} == {subscription["endpoint"], *others.values()}
        with live_db():
            campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.title == title))
            row = db.session.scalar(
                select(Delivery).where(Delivery.campaign_id == campaign_id, Delivery.user_id == citizen_id)
            )
            assert (row.channel, row.status, row.opened_at) == ("push", "sent", None)
            delivery_id = row.id

        # The ten others open theirs (the open link of each one's own decrypted message): ten
        # opens, under the floor, read "fewer than 11" on the merchant's page.
        for endpoint in others.values():
            [theirs] = push.received_for(endpoint)
            request = urllib.request.Request(theirs.json["open_url"], method="POST")
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 204
        merchant.reload()
        expect(_opened_cell(merchant)).to_have_text("moins de 11")

        # --- the service worker shows the pushed message -----------------------------------------
        registration_id = _registration_id(page)
        shown_by_worker = ShownNotifications(page, origin)
        page._cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": origin, "registrationId": registration_id, "data": message.payload.decode()},
        )
        # read once the worker has shown it, until it is there (Chromium's notification store may
        # answer an empty list for an instant while it writes), then take that very list
        shown_by_worker.wait_for(1)
        shown = page.evaluate(
            """async (title) => {
                 const registration = await navigator.serviceWorker.ready;
                 for (let i = 0; i < 100; i += 1) {
                   const list = await registration.getNotifications();
                   if (list.some((n) => n.title === title)) {
                     return list.map((n) => ({title: n.title, body: n.body, open_url: n.data.open_url}));
                   }
                   await new Promise((resolve) => setTimeout(resolve, 100));
                 }
                 return [];
               }""",
            title,
        )
        assert shown == [{"title": title, "body": text, "open_url": payload["open_url"]}]

        # --- its click records the open ----------------------------------------------------------
        # DevTools cannot click a system notification: the worker's own click code
        # (handleNotificationClick, which its notificationclick listener calls) runs on the real
        # notification. Opening a window is only allowed during a real click: that part may be
        # refused here, the open is recorded before it.
        [worker] = [w for w in context.service_workers if w.url.startswith(origin)]
        outcome = worker.evaluate(
            """async (title) => {
                 let notification;
                 for (let i = 0; i < 100 && !notification; i += 1) {
                   const list = await self.registration.getNotifications();
                   notification = list.find((n) => n.title === title);
                   if (!notification) await new Promise((resolve) => setTimeout(resolve, 100));
                 }
                 try { await handleNotificationClick(notification, ""); return "done"; }
                 catch (error) { return error.name; }
               }""",
            title,
        )
        assert outcome in ("done", "InvalidAccessError"), outcome
        deadline = time.monotonic() + 10
        opened_at = None
        while opened_at is None and time.monotonic() < deadline:
            with live_db():
                opened_at = db.session.get(Delivery, delivery_id).opened_at
            if opened_at is None:
                time.sleep(0.1)
        assert opened_at is not None
        # the click closed it
        assert page.evaluate("() => navigator.serviceWorker.ready.then(r => r.getNotifications()).then(l => l.length)") == 0

        # The eleventh open reaches the floor: the merchant reads a number once the figures are
        # released again, in the next statistics window (an hour: one open cannot be timed).
        merchant.reload()
        expect(_opened_cell(merchant)).to_have_text("moins de 11")
        an_hour_later = utcnow() + timedelta(minutes=61)
        for clock in ("app.releases.engine.utcnow", "app.campaigns.stats.utcnow"):
            monkeypatch.setattr(clock, lambda: an_hour_later)
        merchant.reload()
        expect(_opened_cell(merchant)).to_have_text("11")
        expect(merchant.locator(".campaign-table tbody tr td").nth(0)).to_have_text("11")  # delivered
    finally:
        if merchant_browser is not None:
            merchant_browser.close()
        push.stop()
