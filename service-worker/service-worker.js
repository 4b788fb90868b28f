/* Territory's service worker, served at /service-worker.js (scope "/").
 *
 * - The app shell (styles, scripts, icons, manifest, the offline page) is cached on install and
 *   served from the cache, refreshed in the background. SHELL and VERSION are filled in by the app
 *   as it serves this file (app/pwa/assets.py), from the list base.html links and a hash of those
 *   files: a deploy that changes any of them changes this script, which installs a new cache.
 * - Public pages (the feeds, the agenda, the directory, actor and publication pages) are fetched
 *   from the network first; a copy of the last MAX_PAGES is kept to be shown offline.
 * - Media (images) are kept once seen, except those answered "no-store" (a draft's image).
 * - The street report form (/reports/new) is kept the same way: a report made offline is kept on
 *   the phone (IndexedDB, static/js/reports-outbox.js, which this worker imports) and sent when
 *   the network returns; the kept page's CSRF token is stale by then, the sender asks for a
 *   fresh one. The worker sends them on Background Sync "reports-outbox" where the browser has
 *   it; the page sends them itself otherwise (its `online` event, its next opening).
 * - Anything else offline shows the offline page. POSTs, htmx requests and private pages (/me,
 *   /manage, /admin, other forms) are never cached nor answered from a cache.
 * - A change of session (log out, log in, role or language switch) drops the saved pages: they may
 *   show the person's own feed.
 * - Web push: a `push` shows the message (its tag replaces a duplicate of the same message, never
 *   adds one) with "Open" and "Mute this actor" actions; `notificationclick` records the open and
 *   opens the page or mutes the actor; `pushsubscriptionchange` re-subscribes and sends the new
 *   subscription with the old endpoint, which the server replaces.
 */
"use strict";

const SHELL = /* shell: filled in as served */ [];
const VERSION = /* version: filled in as served */ "unversioned";
const SHELL_CACHE = "shell-" + VERSION;
const SHELL_PATHS = new Set(SHELL.map((url) => new URL(url, self.location.origin).pathname));
const PAGES_CACHE = "pages";
const MEDIA_CACHE = "media";
const MAX_PAGES = 30;
const MAX_MEDIA = 60;
const OFFLINE_URL = "/offline";

// Public pages worth keeping for offline reading (path only; the query string is part of the key).
const PAGE_PATTERNS = [
  /^\/$/,
  /^\/all$/,
  /^\/agenda$/,
  /^\/actors$/,
  /^\/actors\/(?!new$)[^/]+$/,
  /^\/p\/[^/]+$/,
  /^\/reports\/new$/,
];

// POSTs after which the saved pages may belong to someone else (or another role, language).
const SESSION_CHANGES = new Set(["/logout", "/login", "/register", "/role", "/language"]);

const MATCH = { ignoreVary: true };

// The outbox of street reports made offline: the very code the page uses (its versioned URL,
// precached with the shell). Without it the page still sends them, on its next opening.
const OUTBOX_SCRIPT = SHELL.find((url) => url.includes("/static/js/reports-outbox.js")) || "/static/js/reports-outbox.js";
try {
  importScripts(OUTBOX_SCRIPT);
} catch (error) {
  // an older browser, or the file missing: Background Sync of reports is left to the page
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(SHELL_CACHE);
      // Fetched anonymously: the offline page must not carry anyone's name or session.
      await cache.add(new Request(OFFLINE_URL, { credentials: "omit" }));
      await cache.addAll(SHELL);
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith("shell-") && name !== SHELL_CACHE).map((name) => caches.delete(name))
      );
      await self.clients.claim();
    })()
  );
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "clear-pages") {
    event.waitUntil(caches.delete(PAGES_CACHE));
  } else if (data.type === "remember-page" && typeof data.url === "string") {
    // A page the worker did not see load (the first visit, or an htmx-boosted navigation).
    const url = new URL(data.url, self.location.origin);
    if (url.origin === self.location.origin && isPublicPage(url)) {
      event.waitUntil(
        fetch(url.href, { credentials: "same-origin" })
          .then((response) => (isStorablePage(response) ? rememberPage(url, response) : undefined))
          .catch(() => undefined)
      );
    }
  }
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.method !== "GET") {
    if (request.method === "POST" && SESSION_CHANGES.has(url.pathname)) {
      event.waitUntil(caches.delete(PAGES_CACHE));
    }
    return; // never answered from, nor stored in, a cache
  }
  if (request.headers.has("HX-Request")) {
    return; // htmx always talks to the server: a fragment must never be a stale page
  }
  if (request.mode === "navigate") {
    event.respondWith(navigate(event, url));
  } else if (isShellAsset(url)) {
    event.respondWith(fromCacheThenRefresh(event, request));
  } else if (url.pathname.startsWith("/media/")) {
    event.respondWith(fromCacheOrNetwork(request));
  }
});

function isPublicPage(url) {
  return PAGE_PATTERNS.some((pattern) => pattern.test(url.pathname));
}

function isShellAsset(url) {
  // The shell's own URLs (whatever their ?v=), and the other static files and icons.
  return SHELL_PATHS.has(url.pathname) || url.pathname.startsWith("/static/") || url.pathname.startsWith("/icons/");
}

function isStorablePage(response) {
  const type = response.headers.get("Content-Type") || "";
  const cacheControl = response.headers.get("Cache-Control") || "";
  return (
    response.ok &&
    response.status === 200 &&
    response.type === "basic" &&
    !response.redirected &&
    type.includes("text/html") &&
    !cacheControl.includes("no-store")
  );
}

function pageKey(url) {
  return url.origin + url.pathname + url.search;
}

async function rememberPage(url, response) {
  const cache = await caches.open(PAGES_CACHE);
  const key = pageKey(url);
  await cache.delete(key, MATCH); // re-inserted last: the oldest pages go first
  await cache.put(key, response);
  const keys = await cache.keys();
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_PAGES))) {
    await cache.delete(old, MATCH);
  }
}

async function navigate(event, url) {
  const publicPage = isPublicPage(url);
  try {
    const response = await fetch(event.request);
    if (publicPage && isStorablePage(response)) {
      event.waitUntil(rememberPage(url, response.clone()));
    }
    return response;
  } catch (error) {
    if (publicPage) {
      const pages = await caches.open(PAGES_CACHE);
      const saved = await pages.match(pageKey(url), MATCH);
      if (saved) {
        return shownAsSaved(saved);
      }
    }
    const offline = await caches.match(OFFLINE_URL, MATCH);
    return offline || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
}

// A saved copy says so, and how old it is: its own notice, hidden online, is shown.
async function shownAsSaved(saved) {
  const html = await saved.text();
  const shown = html.replace('<p id="saved-copy" class="saved-copy" hidden>', '<p id="saved-copy" class="saved-copy" role="status">');
  return new Response(shown, { status: saved.status, statusText: saved.statusText, headers: saved.headers });
}

async function fromCacheThenRefresh(event, request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request, MATCH);
  const refresh = fetch(request).then((response) => {
    if (response.ok && response.type === "basic") {
      return cache.put(request, response.clone()).then(() => response);
    }
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

async function fromCacheOrNetwork(request) {
  const cache = await caches.open(MEDIA_CACHE);
  const cached = await cache.match(request, MATCH);
  if (cached) {
    return cached;
  }
  const response = await fetch(request);
  // A draft's image is its actor's members' only ("private, no-store"): never kept.
  const cacheControl = response.headers.get("Cache-Control") || "";
  if (response.ok && response.type === "basic" && !cacheControl.includes("no-store")) {
    await cache.put(request, response.clone());
    const keys = await cache.keys();
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_MEDIA))) {
      await cache.delete(old, MATCH);
    }
  }
  return response;
}

// --- street reports made offline -------------------------------------------------------------

// Background Sync: the browser calls when the network is back (even with no page open). A
// rejection (still no network) makes the browser try again later.
self.addEventListener("sync", (event) => {
  if (event.tag !== "reports-outbox" || !self.ReportsOutbox) {
    return;
  }
  event.waitUntil(
    self.ReportsOutbox.sendAll().then(async (outcomes) => {
      const windows = await self.clients.matchAll({ type: "window" });
      windows.forEach((client) => client.postMessage({ type: "reports-outbox-changed", outcomes: outcomes }));
    })
  );
});

// --- web push ---------------------------------------------------------------------------------

const RESUBSCRIBE_URL = "/me/notifications/push/resubscribe";

function sameOriginUrl(value) {
  // Only URLs of this app are opened or posted to, whatever a payload says.
  if (typeof value !== "string" || !value) {
    return null;
  }
  try {
    const url = new URL(value, self.location.origin);
    return url.origin === self.location.origin ? url.href : null;
  } catch (error) {
    return null;
  }
}

function actionLabel(labels, name, fallback) {
  if (labels && typeof labels === "object" && !Array.isArray(labels) && typeof labels[name] === "string") {
    return labels[name];
  }
  if (Array.isArray(labels)) {
    const found = labels.find((entry) => entry && entry.action === name && typeof entry.title === "string");
    if (found) {
      return found.title;
    }
  }
  return fallback;
}

self.addEventListener("push", (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch (error) {
    payload = { body: event.data ? event.data.text() : "" };
  }
  const labels = payload.actions_labels;
  const data = {
    url: sameOriginUrl(payload.url),
    click_url: sameOriginUrl(payload.click_url),
    open_url: sameOriginUrl(payload.open_url),
    mute_url: sameOriginUrl(payload.mute_url),
  };
  const options = {
    body: payload.body || "",
    icon: payload.icon || "/icons/192.png",
    badge: payload.badge || payload.icon || "/icons/192.png",
    data: data,
    actions: [{ action: "open", title: actionLabel(labels, "open", "Open") }],
  };
  if (data.mute_url) {
    options.actions.push({ action: "mute", title: actionLabel(labels, "mute", "Mute this actor") });
  }
  if (payload.tag) {
    options.tag = String(payload.tag);
    options.renotify = false; // the same message again replaces itself, silently
  }
  event.waitUntil(self.registration.showNotification(payload.title || self.registration.scope, options));
});

function postQuietly(url) {
  if (!url) {
    return Promise.resolve();
  }
  return fetch(url, { method: "POST", credentials: "include", keepalive: true }).catch(() => undefined);
}

async function focusOrOpen(page, link) {
  // A window already showing the page is focused (the click still recorded in the background);
  // otherwise the click link opens: it records the click and redirects to the page.
  const path = new URL(page, self.location.origin).pathname;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const showing = windows.find((client) => new URL(client.url).pathname === path);
  if (showing && "focus" in showing) {
    if (link) {
      fetch(link, { credentials: "include", redirect: "manual" }).catch(() => undefined);
    }
    return showing.focus();
  }
  return self.clients.openWindow(link || page);
}

// What a click on a notification does ("" for its body, or the action's name): record the open,
// then mute the actor or show the page. Named, so that a browser test can run this very code on
// a real notification (DevTools cannot click a system notification).
function handleNotificationClick(notification, action) {
  const data = notification.data || {};
  notification.close();
  const opened = postQuietly(data.open_url);
  if (action === "mute") {
    return Promise.all([opened, postQuietly(data.mute_url)]);
  }
  return Promise.all([opened, focusOrOpen(data.url || data.click_url || "/", data.click_url)]);
}

self.addEventListener("notificationclick", (event) => {
  event.waitUntil(handleNotificationClick(event.notification, event.action));
});

self.addEventListener("pushsubscriptionchange", (event) => {
  const old = event.oldSubscription;
  event.waitUntil(
    (async () => {
      const options = old && old.options ? old.options : null;
      if (!options || !options.applicationServerKey) {
        return;
      }
      const subscription =
        event.newSubscription ||
        (await self.registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: options.applicationServerKey,
        }));
      await fetch(RESUBSCRIBE_URL, {
        method: "POST",
        credentials: "include",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ subscription: subscription.toJSON(), old_endpoint: old.endpoint }),
      });
    })().catch(() => undefined)
  );
});
