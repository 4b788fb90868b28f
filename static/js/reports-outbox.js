/* Street reports made without network, kept on the phone until they can be sent: the outbox.
 *
 * Shared by the page (reports-offline.js) and the service worker (its Background Sync
 * "reports-outbox"), which load this very file: one way of keeping and of sending.
 *
 * - Each report is kept in IndexedDB whole: its fields, its idempotency key, the name of its
 *   kind (for the list), its photos as Blobs, and its owner (an opaque name of the person,
 *   from the server): only the owner's reports are listed and sent.
 * - Sending asks the server for the session's CSRF token first (the kept page's one may have
 *   expired), then posts each report to /reports/new with its own idempotency key: a post whose
 *   answer was lost, sent again, is answered with the report already made, never a second one.
 * - A report is removed only when the server answered with its page (a redirect to
 *   /reports/<id>). A refusal of the report itself (422, 409, 413) keeps it as "attention": the
 *   person opens it again to correct it. Anything else (no network, a server error, logged out)
 *   keeps it waiting for the next try.
 * - Before posting, a sender marks the report "sending" in one IndexedDB transaction: the page
 *   and the worker (or two tabs) never post it at the same time; a mark older than SENDING_STALE
 *   (a sender that died) is taken over, which the idempotency key makes harmless.
 */
(function (scope) {
  "use strict";

  var DB_NAME = "territory-reports";
  var DB_VERSION = 1;
  var STORE = "outbox";
  var SYNC_TAG = "reports-outbox";
  var NEW_URL = "/reports/new";
  var TOKEN_URL = "/reports/outbox-token";
  var SENDING_STALE = 2 * 60 * 1000;
  var REPORT_PAGE = /^\/reports\/\d+$/;
  var REFUSED = [409, 413, 422];

  function done(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  var opening = null;
  function database() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        var request = scope.indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = function () {
          if (!request.result.objectStoreNames.contains(STORE)) {
            request.result.createObjectStore(STORE, { keyPath: "key" });
          }
        };
        request.onsuccess = function () {
          var db = request.result;
          db.onversionchange = function () { db.close(); opening = null; };
          resolve(db);
        };
        request.onerror = function () { opening = null; reject(request.error); };
      });
    }
    return opening;
  }

  // One transaction, resolved once committed; ``work`` issues its requests synchronously.
  function transaction(mode, work) {
    return database().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        tx.oncomplete = function () { resolve(); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
        work(tx.objectStore(STORE));
      });
    });
  }

  function get(key) {
    return database().then(function (db) {
      return done(db.transaction(STORE, "readonly").objectStore(STORE).get(key));
    });
  }

  function list(owner) {
    return database().then(function (db) {
      return done(db.transaction(STORE, "readonly").objectStore(STORE).getAll());
    }).then(function (entries) {
      return entries.filter(function (entry) { return entry.owner === owner; })
        .sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }

  function save(entry) {
    return transaction("readwrite", function (store) { store.put(entry); });
  }

  function remove(key) {
    return transaction("readwrite", function (store) { store["delete"](key); });
  }

  function update(key, changes) {
    return transaction("readwrite", function (store) {
      var request = store.get(key);
      request.onsuccess = function () {
        if (request.result) { store.put(Object.assign(request.result, changes)); }
      };
    });
  }

  function sendable(entry, now) {
    return entry.status === "waiting" ||
      (entry.status === "sending" && now - (entry.sendingSince || 0) > SENDING_STALE);
  }

  // Marks the report "sending" if nobody else is sending it: read and write in one transaction,
  // which IndexedDB runs alone against any other writer of the store (page, worker, other tab).
  function claim(key) {
    var claimed = { value: null };
    return transaction("readwrite", function (store) {
      var request = store.get(key);
      request.onsuccess = function () {
        var entry = request.result;
        var now = Date.now();
        if (entry && sendable(entry, now)) {
          entry.status = "sending";
          entry.sendingSince = now;
          store.put(entry);
          claimed.value = entry;
        }
      };
    }).then(function () { return claimed.value; });
  }

  function session() {
    return fetch(TOKEN_URL, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || response.redirected || type.indexOf("application/json") === -1) {
          return null; // logged out: the reports wait for their owner
        }
        return response.json();
      });
  }

  function formData(entry, token) {
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("idempotency_key", entry.key);
    data.append("category", entry.category || "");
    data.append("lat", entry.lat || "");
    data.append("lon", entry.lon || "");
    data.append("address", entry.address || "");
    data.append("description", entry.description || "");
    // The person could not be shown the reports nearby: the service merges a duplicate.
    data.append("action", "send");
    (entry.photos || []).forEach(function (photo) {
      data.append("photos", photo.blob, photo.name || "photo");
    });
    return data;
  }

  // Posts one claimed report. Resolves with what became of it; rejects when the network failed.
  function post(entry, token) {
    return fetch(NEW_URL, {
      method: "POST", body: formData(entry, token), credentials: "same-origin", redirect: "follow",
    }).then(function (response) {
      var path = new URL(response.url, scope.location.href).pathname;
      if (response.ok && response.redirected && REPORT_PAGE.test(path)) {
        return remove(entry.key).then(function () { return { key: entry.key, outcome: "sent", url: response.url }; });
      }
      var status = REFUSED.indexOf(response.status) !== -1 ? "attention" : "waiting";
      return update(entry.key, { status: status, sendingSince: null, refusedWith: response.status })
        .then(function () { return { key: entry.key, outcome: status }; });
    }, function (error) {
      return update(entry.key, { status: "waiting", sendingSince: null }).then(function () { throw error; });
    });
  }

  // Sends the owner's waiting reports, one after the other. Resolves with the outcomes (an
  // empty list when logged out); rejects when the network failed (Background Sync tries later).
  // Nothing to send (the common case, on every opening): the server is not asked anything.
  function sendAll() {
    return database().then(function (db) {
      return done(db.transaction(STORE, "readonly").objectStore(STORE).getAll());
    }).then(function (entries) {
      var now = Date.now();
      return entries.some(function (entry) { return sendable(entry, now); }) ? session() : null;
    }).then(function (current) {
      if (!current) { return []; }
      return list(current.owner).then(function (entries) {
        var outcomes = [];
        var now = Date.now();
        return entries.filter(function (entry) { return sendable(entry, now); }).reduce(function (previous, entry) {
          return previous.then(function () {
            return claim(entry.key).then(function (claimed) {
              if (!claimed) { return null; }
              return post(claimed, current.csrf_token).then(function (outcome) { outcomes.push(outcome); });
            });
          });
        }, Promise.resolve()).then(function () { return outcomes; });
      });
    });
  }

  function newKey() {
    if (scope.crypto && scope.crypto.randomUUID) { return scope.crypto.randomUUID(); }
    var bytes = scope.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  scope.ReportsOutbox = {
    SYNC_TAG: SYNC_TAG,
    get: get,
    list: list,
    save: save,
    remove: remove,
    sendAll: sendAll,
    newKey: newKey,
  };
})(self);
