"""Web push on the citizen's side, in Chromium: the permission is asked only after the button is
pressed, the subscription reaches the server, and the service worker shows a pushed message
(its tag replacing a duplicate) with the "Open" and "Mute" actions."""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import PushSubscription
from tests.e2e.conftest import ShownNotifications, wait_for_service_worker, wait_until

pytestmark = pytest.mark.e2e

PUSH_HOST = "push.e2e.local"
SHOWN_NOTIFICATIONS = (
    "() => navigator.serviceWorker.ready.then(r => r.getNotifications()).then(list => list.map(n => "
    "({title: n.title, body: n.body, tag: n.tag, actions: n.actions.map(a => a.title), data: n.data})))"
)

# PushManager.subscribe replaced by a subscription with real keys (the browser's own would point
# at Google's push service); it records the options the page passed.
FAKE_PUSH = """
(() => {
  const keys = %s;
  let current = null;
  const fake = (options) => ({
    endpoint: keys.endpoint, options,
    toJSON() { return { endpoint: keys.endpoint, expirationTime: null, keys: { p256dh: keys.p256dh, auth: keys.auth } }; },
    unsubscribe() { current = null; return Promise.resolve(true); },
  });
  PushManager.prototype.subscribe = function (options) {
    window.__pushOptions = { userVisibleOnly: options.userVisibleOnly, keyLength: new Uint8Array(options.applicationServerKey).length };
    current = fake(options);
    return Promise.resolve(current);
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
  window.__permissionAsked = 0;
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = function () { window.__permissionAsked += 1; return ask(); };
})();
"""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _keys() -> dict[str, str]:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {
        "endpoint": f"https://{PUSH_HOST}/push/{_b64url(os.urandom(12))}",
        "p256dh": _b64url(point),
        "auth": _b64url(os.urandom(16)),
    }


def _log_in(page, live_server, seed):  # type: ignore[no-untyped-def]
    page.goto(live_server.url("/login"))
    page.locator("input[name=email]").fill(seed.citizen_email)
    page.locator("input[name=password]").fill(seed.password)
    page.locator("main form button[type=submit]").first.click()
    page.locator("footer form[action$='/logout']").wait_for()


def test_push_is_switched_on_only_by_the_button_and_reaches_the_server(page, context, live_server, live_db, seed):
    live_server.app.config["PUSH_ALLOWED_HOSTS"] = (PUSH_HOST,)
    keys = _keys()
    context.grant_permissions(["notifications"], origin=live_server.url("/").rstrip("/"))
    page.add_init_script(FAKE_PUSH % json.dumps(keys))
    _log_in(page, live_server, seed)
    page.goto(live_server.url("/me/notifications"))
    wait_for_service_worker(page)
    button = page.locator("#push .push-on")
    button.wait_for(state="visible")
    assert page.evaluate("window.__permissionAsked") == 0  # nothing asked before the press

    button.click()

    page.locator('#push[data-push-state="on"]').wait_for()
    assert page.evaluate("window.__permissionAsked") == 1
    assert page.evaluate("window.__pushOptions") == {"userVisibleOnly": True, "keyLength": 65}
    page.locator("#push .push-off").wait_for(state="visible")
    with live_db():
        rows = list(db.session.scalars(select(PushSubscription).where(PushSubscription.endpoint == keys["endpoint"])))
        assert len(rows) == 1 and rows[0].p256dh == keys["p256dh"]

    page.locator("#push .push-off").click()
    page.locator('#push[data-push-state="off"]').wait_for()
    with live_db():
        assert db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == keys["endpoint"])) is None


def test_the_service_worker_shows_a_push_once_per_tag_with_its_actions(page, context, live_server, seed):
    origin = live_server.url("/").rstrip("/")
    context.grant_permissions(["notifications"], origin=origin)
    page.goto(live_server.url("/"))
    wait_for_service_worker(page)
    cdp = page.context.new_cdp_session(page)
    versions: list[dict] = []
    cdp.on("ServiceWorker.workerVersionUpdated", lambda event: versions.extend(event.get("versions", [])))
    cdp.send("ServiceWorker.enable")
    registration_id = None
    for _ in range(50):
        running = [v for v in versions if v.get("runningStatus") == "running"]
        if running:
            registration_id = running[0]["registrationId"]
            break
        page.wait_for_timeout(100)
    assert registration_id is not None
    payload = {
        "title": "Épicerie du Port", "body": "Paniers bio à -20 %", "url": "/", "tag": "d42",
        "open_url": "/n/open/x", "mute_url": "/n/mute/x", "click_url": "/r/x",
        "actions_labels": {"open": "Ouvrir", "mute": "Ne plus recevoir"},
    }
    shown_by_worker = ShownNotifications(page, origin)
    for _ in range(2):  # the same message twice (a retry): one notification
        cdp.send("ServiceWorker.deliverPushMessage", {"origin": origin, "registrationId": registration_id, "data": json.dumps(payload)})
    # the second push replaces the first (same tag): read the list once the worker has shown both
    shown_by_worker.wait_for(2)
    notifications: list[dict] = wait_until(page, SHOWN_NOTIFICATIONS)
    assert len(notifications) == 1
    [shown] = notifications
    assert (shown["title"], shown["body"], shown["tag"]) == ("Épicerie du Port", "Paniers bio à -20 %", "d42")
    assert shown["actions"] == ["Ouvrir", "Ne plus recevoir"]
    assert shown["data"]["click_url"] == origin + "/r/x"
