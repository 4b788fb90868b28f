/* Reporting a problem without network: the report is kept on this phone (reports-outbox.js)
 * and sent when the connection returns, and the person sees which reports are waiting.
 *
 * - The report form's submit is taken over only when the browser is offline, or when its post
 *   failed for want of network (htmx:sendError); online, the form posts as always.
 * - Sending: at once if online when a page with the outbox region opens, on the `online` event,
 *   and by the service worker's Background Sync ("reports-outbox") where the browser has it.
 * - The region [data-reports-outbox] (on the form and on "My reports") lists the owner's kept
 *   reports; its data- attributes carry the translated texts. A report the server refused is
 *   shown "to correct", with a link that opens the form filled with it again (?outbox=<key>).
 * - A form page shown from the worker's saved copy carries the idempotency key of that copy:
 *   it gets a key of its own, or a second report would be taken for the first one sent again.
 */
(function () {
  "use strict";

  var Outbox = window.ReportsOutbox;
  if (!Outbox || !window.indexedDB) { return; }

  function region() { return document.querySelector("[data-reports-outbox]"); }
  function text(name) {
    var element = region();
    return (element && element.getAttribute("data-text-" + name)) || "";
  }
  function owner() {
    var element = region();
    return element ? element.getAttribute("data-owner") : null;
  }
  function reportForm() { return document.querySelector("form[data-report-form]"); }

  function say(message, link, kind) {
    var status = document.querySelector("[data-reports-outbox-status]");
    if (!status) { return; }
    status.replaceChildren(document.createTextNode(message));
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      status.append(" ", anchor);
    }
    status.className = "flash " + (kind === "error" ? "flash-error" : "flash-success");
    status.hidden = false;
  }

  function savedAt(entry) {
    try {
      return new Date(entry.savedAt).toLocaleString(document.documentElement.lang || undefined,
        { dateStyle: "medium", timeStyle: "short" });
    } catch (error) {
      return new Date(entry.savedAt).toLocaleString();
    }
  }

  function entryItem(entry) {
    var item = document.createElement("li");
    item.setAttribute("data-outbox-key", entry.key);
    item.setAttribute("data-outbox-status", entry.status);
    var title = document.createElement("strong");
    title.textContent = entry.categoryName || "";
    var tag = document.createElement("span");
    tag.className = "tag";
    tag.textContent = text(entry.status === "attention" ? "attention" : "waiting");
    var when = document.createElement("time");
    when.dateTime = new Date(entry.savedAt).toISOString();
    when.textContent = savedAt(entry);
    item.append(title, " ", tag, " · ", when);
    if (entry.address) { item.append(" · " + entry.address); }
    if (entry.description) {
      var description = document.createElement("p");
      description.className = "help";
      description.textContent = entry.description.length > 140 ? entry.description.slice(0, 139) + "…" : entry.description;
      item.append(description);
    }
    var actions = document.createElement("p");
    if (entry.status === "attention") {
      var help = document.createElement("span");
      help.className = "help";
      help.textContent = text("attention-help") + " ";
      var reopen = document.createElement("a");
      reopen.href = (region().getAttribute("data-new-url") || "/reports/new") + "?outbox=" + encodeURIComponent(entry.key);
      reopen.setAttribute("hx-boost", "false"); // a real load: the form is filled from this phone
      reopen.textContent = text("reopen");
      actions.append(help, reopen, " ");
    }
    var drop = document.createElement("button");
    drop.type = "button";
    drop.className = "link-button";
    drop.textContent = text("remove");
    drop.addEventListener("click", function () {
      if (window.confirm(text("remove-confirm"))) { Outbox.remove(entry.key).then(render); }
    });
    actions.append(drop);
    item.append(actions);
    return item;
  }

  function render() {
    var element = region();
    if (!element || !owner()) { return Promise.resolve(); }
    return Outbox.list(owner()).then(function (entries) {
      var list = element.querySelector("[data-reports-outbox-list]");
      if (list) { list.replaceChildren.apply(list, entries.map(entryItem)); }
      element.hidden = entries.length === 0;
    }).catch(function () {});
  }

  // What became of the reports just sent (by this page or by the worker), said once.
  function tell(outcomes) {
    var sent = (outcomes || []).filter(function (outcome) { return outcome.outcome === "sent"; });
    if (sent.length) {
      say(text("sent"), sent.length === 1 ? { href: sent[0].url, text: text("see") } : null);
    } else if ((outcomes || []).some(function (outcome) { return outcome.outcome === "attention"; })) {
      say(text("attention-help"), null, "error");
    }
  }

  var sending = null;
  function sendNow() {
    if (!region() || !navigator.onLine) { return Promise.resolve(); }
    if (!sending) {
      sending = Outbox.sendAll().then(tell).catch(function () {}).then(function () {
        sending = null;
        return render();
      });
    }
    return sending;
  }

  function askForSync() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) { return registration.sync.register(Outbox.SYNC_TAG); }
      return undefined;
    }).catch(function () {});
  }

  function field(form, name) {
    var input = form.elements.namedItem(name);
    return input && typeof input.value === "string" ? input.value.trim() : "";
  }

  function keep(form) {
    var chosen = form.querySelector("input[name=category]:checked");
    var entry = {
      key: field(form, "idempotency_key") || Outbox.newKey(),
      owner: owner(),
      savedAt: Date.now(),
      status: "waiting",
      category: chosen ? chosen.value : "",
      categoryName: chosen ? chosen.getAttribute("data-category-name") || "" : "",
      lat: field(form, "lat"),
      lon: field(form, "lon"),
      address: field(form, "address"),
      description: field(form, "description"),
      photos: [],
    };
    if (!entry.owner) { return; }
    if (!entry.category || !entry.description || !(entry.address || (entry.lat && entry.lon))) {
      say(text("incomplete"), null, "error");
      return;
    }
    var files = form.elements.namedItem("photos");
    Array.prototype.forEach.call((files && files.files) || [], function (file) {
      entry.photos.push({ blob: file, name: file.name, type: file.type });
    });
    Outbox.get(entry.key).then(function (existing) {
      if (existing) { entry.key = Outbox.newKey(); } // this form's key is taken already
      return Outbox.save(entry);
    }).then(function () {
      form.reset();
      freshKey(form);
      say(text("saved"));
      askForSync();
      return render();
    }).then(function () {
      var status = document.querySelector("[data-reports-outbox-status]");
      if (status) { status.scrollIntoView({ block: "center" }); }
    }).catch(function () { say(text("not-saved"), null, "error"); });
  }

  function freshKey(form) {
    var key = form.elements.namedItem("idempotency_key");
    if (key) { key.value = Outbox.newKey(); }
  }

  // A report the server refused, opened again: the form is filled with it (its photos too,
  // where the browser lets a script set a file input). Sent from the form, it leaves the list.
  function reopen(form) {
    var key = new URLSearchParams(window.location.search).get("outbox");
    if (!key || form.getAttribute("data-outbox-reopened")) { return; }
    Outbox.get(key).then(function (entry) {
      if (!entry || entry.owner !== owner()) { return; }
      form.setAttribute("data-outbox-reopened", key);
      var chosen = entry.category && form.querySelector('input[name=category][value="' + CSS.escape(entry.category) + '"]');
      if (chosen) { chosen.checked = true; }
      ["lat", "lon", "address", "description"].forEach(function (name) {
        var input = form.elements.namedItem(name);
        if (input) { input.value = entry[name] || ""; }
      });
      var files = form.elements.namedItem("photos");
      if (files && entry.photos && entry.photos.length && window.DataTransfer) {
        try {
          var transfer = new DataTransfer();
          entry.photos.forEach(function (photo) {
            transfer.items.add(new File([photo.blob], photo.name || "photo", { type: photo.type || photo.blob.type }));
          });
          files.files = transfer.files;
        } catch (error) { /* the person chooses them again */ }
      }
      say(text("reopened"));
    }).catch(function () {});
  }

  function init() {
    var element = region();
    if (!element || element._reportsOutbox) { return; }
    element._reportsOutbox = true;
    var form = reportForm();
    if (form) {
      var savedCopy = document.getElementById("saved-copy");
      if (savedCopy && !savedCopy.hidden) { freshKey(form); }
      reopen(form);
    }
    render().then(sendNow);
  }

  // Offline, the form is kept instead of posted; the capture phase runs before htmx's own
  // listener on the form, which never sees the event then.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches("form[data-report-form]") || navigator.onLine || !owner()) { return; }
    event.preventDefault();
    event.stopImmediatePropagation();
    keep(form);
  }, true);

  // Online but the post never reached the server (or its answer never came back): kept too. If
  // it did reach it, sending it again with the same key is answered with the report made.
  document.addEventListener("htmx:sendError", function (event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && elt.closest ? elt.closest("form[data-report-form]") : null;
    if (form) { keep(form); }
  });

  // The reopened report, sent from the form and accepted (the answer is its page): it leaves
  // the phone's list. Refused again, it stays, to correct.
  var reopenedSent = null;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form && form.matches && form.matches("form[data-outbox-reopened]")) {
      reopenedSent = form.getAttribute("data-outbox-reopened");
    }
  }, true);
  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    var key = reopenedSent;
    if (!key || !detail.xhr) { return; }
    reopenedSent = null;
    if (detail.successful && /^\/reports\/\d+$/.test(new URL(detail.xhr.responseURL || location.href, location.href).pathname)) {
      Outbox.remove(key).then(render);
    }
  });

  window.addEventListener("online", sendNow);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "reports-outbox-changed" && region()) {
        tell(event.data.outcomes);
        render();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:afterSettle", init);
})();
