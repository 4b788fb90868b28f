/* Web push on the notifications page (section#push). Nothing is asked of the browser until the
 * person presses "Switch on": only then the permission prompt, the subscription with the
 * server's VAPID public key (data-vapid-key), and the POST of the subscription (CSRF header).
 * "Switch off" unsubscribes this browser and tells the server. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  // The applicationServerKey: base64url (no padding) -> bytes.
  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }

  function setStatus(section, text) {
    var status = section.querySelector(".push-status");
    if (status && text) { status.textContent = text; }
  }

  function showButtons(section, subscribed) {
    var on = section.querySelector(".push-on");
    var off = section.querySelector(".push-off");
    section.setAttribute("data-push-state", subscribed ? "on" : "off");
    if (on) { on.hidden = subscribed; on.disabled = false; }
    if (off) { off.hidden = !subscribed; off.disabled = false; }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false }; }).then(function (data) {
        data.ok = response.ok && data.ok !== false;
        return data;
      });
    });
  }

  function init() {
    var section = document.getElementById("push");
    if (!section || !section.hasAttribute("data-vapid-key")) { return; }
    if (!supported()) {
      setStatus(section, section.getAttribute("data-unsupported-text"));
      return;
    }
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      showButtons(section, !!subscription);
    }).catch(function () { showButtons(section, false); });
  }

  function switchOn(section, button) {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        setStatus(section, section.getAttribute("data-denied-text"));
        showButtons(section, false);
        return null;
      }
      return navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(section.getAttribute("data-vapid-key"))
        });
      }).then(function (subscription) {
        return post(section.getAttribute("data-subscribe-url"), subscription.toJSON()).then(function (data) {
          setStatus(section, data.message || section.getAttribute("data-failed-text"));
          if (!data.ok) {
            // Refused by the server (a push service it cannot reach...): nothing stays subscribed.
            return subscription.unsubscribe().then(function () { showButtons(section, false); });
          }
          showButtons(section, true);
          return null;
        });
      });
    }).catch(function () {
      setStatus(section, section.getAttribute("data-failed-text"));
      showButtons(section, false);
    });
  }

  function switchOff(section, button) {
    button.disabled = true;
    navigator.serviceWorker.ready.then(function (registration) {
      return registration.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { showButtons(section, false); return null; }
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () {
        return post(section.getAttribute("data-unsubscribe-url"), { endpoint: endpoint });
      }).then(function (data) {
        setStatus(section, data.message);
        showButtons(section, false);
      });
    }).catch(function () { showButtons(section, false); });
  }

  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("#push .push-on, #push .push-off");
    if (!button) { return; }
    var section = button.closest("#push");
    if (button.classList.contains("push-on")) { switchOn(section, button); } else { switchOff(section, button); }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  // A boosted navigation to the page swaps the body: set the buttons up again.
  document.addEventListener("htmx:afterSettle", init);
})();
