/* Territory's small front-end glue. No inline script anywhere: the CSP forbids it. */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');

  // Every htmx request carries the CSRF token as a header (state changes included).
  document.addEventListener("htmx:configRequest", function (event) {
    if (csrfMeta) {
      event.detail.headers["X-CSRFToken"] = csrfMeta.getAttribute("content");
    }
  });

  // Selects marked data-autosubmit submit their form on change; the submit button is hidden
  // only once this script runs, so the form still works without JavaScript.
  document.documentElement.classList.add("js");
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]") && target.form) {
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
    }
  });

  // A failed htmx request shows its error in place (the server sends a translated fragment).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      var target = event.detail.requestConfig && event.detail.requestConfig.elt &&
        event.detail.requestConfig.elt.closest("[data-error-target]");
      if (target) { event.detail.target = document.querySelector(target.getAttribute("data-error-target")) || event.detail.target; }
    }
  });
  // A boosted navigation swaps only the body's content; the new page's <html> may be in another
  // language (the language menu, logging in with a chosen language): screen readers need its
  // lang, and the offline message must follow too. The <body>'s own state (live location, read
  // by location.js) and the CSRF token (a new one after logging in or out) follow as well.
  var BODY_STATE = ["data-live-location", "data-checkin-url"];
  function parsed(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }
  function copyAttributes(source, target, names) {
    names.forEach(function (name) {
      var value = source.getAttribute(name);
      if (value !== null) { target.setAttribute(name, value); }
    });
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    var detail = event.detail || {};
    if (!detail.boosted || !detail.xhr) { return; }
    var html = detail.xhr.responseText || "";
    var tag = /<html\b[^>]*>/i.exec(html);
    if (tag) {
      copyAttributes(parsed(tag[0] + "</html>").documentElement, document.documentElement,
        ["lang", "data-offline-message"]);
    }
    tag = /<body\b[^>]*>/i.exec(html);
    if (tag) { copyAttributes(parsed(tag[0] + "</body>").body, document.body, BODY_STATE); }
    tag = /<meta name="csrf-token"[^>]*>/i.exec(html);
    var token = tag && parsed(tag[0]).querySelector('meta[name="csrf-token"]');
    if (token && csrfMeta) { csrfMeta.setAttribute("content", token.getAttribute("content")); }
  });
  document.addEventListener("htmx:sendError", function () {
    var flash = document.getElementById("flash");
    if (flash) {
      flash.textContent = document.documentElement.getAttribute("data-offline-message") || "Offline";
    }
  });

  // Scripts only a few pages need (the maps'): the element that needs them names them in
  // data-scripts, and they load once, in that order, when such an element arrives (the first
  // page, a boosted link or an htmx fragment alike). Other pages never fetch them.
  var pageScripts = {};
  function loadPageScripts() {
    document.querySelectorAll("[data-scripts]").forEach(function (element) {
      (element.getAttribute("data-scripts") || "").split(/\s+/).forEach(function (src) {
        if (!src || pageScripts[src] || document.querySelector('script[src="' + src + '"]')) { return; }
        pageScripts[src] = true;
        var script = document.createElement("script");
        script.src = src;
        script.async = false; // in order: zone-editor.js needs near.js
        document.head.appendChild(script);
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", loadPageScripts);
  } else {
    loadPageScripts();
  }
  document.addEventListener("htmx:afterSettle", loadPageScripts);

  // Service worker: the app shell and the last public pages stay readable offline.
  if ("serviceWorker" in navigator) {
    var firstLoad = !navigator.serviceWorker.controller;
    var tellWorker = function (message) {
      var worker = navigator.serviceWorker.controller;
      if (worker) { worker.postMessage(message); }
    };
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/service-worker.js", { scope: "/" }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        // No worker saw this page load (first visit): ask it to keep a copy of it now.
        if (firstLoad && registration.active) {
          registration.active.postMessage({ type: "remember-page", url: location.href });
        }
        listSavedPages();
      }).catch(function () {});
    });
    // htmx-boosted navigations do not pass as navigations: tell the worker to keep them too.
    document.addEventListener("htmx:pushedIntoHistory", function (event) {
      tellWorker({ type: "remember-page", url: new URL(event.detail.path, location.href).href });
    });
    // A boosted link that fails offline becomes a real navigation: the worker then shows the
    // saved copy of the page, or the offline page.
    document.addEventListener("htmx:sendError", function (event) {
      var detail = event.detail || {};
      if (detail.boosted && detail.requestConfig && detail.requestConfig.verb === "get" &&
          navigator.serviceWorker.controller && detail.pathInfo) {
        window.location.assign(detail.pathInfo.requestPath);
      }
    });
    // What a logged-in person saw must not outlive their session on this device.
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form && form.matches && form.matches('form[action$="/logout"]')) {
        tellWorker({ type: "clear-pages" });
      }
    }, true);
  }

  // On the offline page, list the pages saved on this device (their titles from the copies).
  function listSavedPages() {
    var list = document.getElementById("offline-pages");
    if (!list || !window.caches) { return; }
    caches.open("pages").then(function (cache) {
      return cache.keys().then(function (requests) {
        return Promise.all(requests.reverse().map(function (request) {
          return cache.match(request, { ignoreVary: true }).then(function (response) {
            return response ? response.text() : "";
          }).then(function (html) {
            var title = new DOMParser().parseFromString(html, "text/html").title;
            return { url: request.url, title: title || new URL(request.url).pathname };
          });
        }));
      });
    }).then(function (pages) {
      if (!pages.length) {
        list.replaceChildren();
        var empty = document.createElement("li");
        empty.textContent = list.getAttribute("data-empty-text") || "";
        list.appendChild(empty);
        return;
      }
      list.replaceChildren.apply(list, pages.map(function (page) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = page.url;
        link.textContent = page.title;
        item.appendChild(link);
        return item;
      }));
    }).catch(function () {});
  }

  // The install offer: the browser's own prompt is held back (nothing pops up by itself); the
  // footer's offer shows from the second visit, or on the page where push is turned on, until the
  // person dismisses it (remembered on the device). With a browser that can install, a button; on
  // iOS, which has no such prompt, how to add the app to the home screen.
  var deferredPrompt = null;
  var standalone = (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches) ||
    window.navigator.standalone === true;
  var ios = /iPad|iPhone|iPod/.test(navigator.userAgent) && !window.MSStream;
  var store = { get: function (key) { try { return localStorage.getItem(key); } catch (e) { return null; } },
                set: function (key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } } };
  var visits = parseInt(store.get("territory-visits") || "0", 10) + 1;
  store.set("territory-visits", String(visits));
  function updateInstallOffer() {
    var offer = document.getElementById("install-offer");
    if (!offer) { return; }
    var inContext = visits >= 2 || document.getElementById("push") !== null;
    var canOffer = deferredPrompt !== null || ios;
    offer.hidden = standalone || !inContext || !canOffer || store.get("territory-install-dismissed") === "1";
    var button = document.getElementById("install-button");
    if (button) { button.hidden = deferredPrompt === null || ios; }
    var guide = document.getElementById("install-ios");
    if (guide) { guide.hidden = !ios; }
  }
  updateInstallOffer();
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    if (standalone) { return; }
    deferredPrompt = event;
    updateInstallOffer();
  });
  document.addEventListener("click", function (event) {
    var dismiss = event.target && event.target.closest && event.target.closest("#install-dismiss");
    if (dismiss) {
      store.set("territory-install-dismissed", "1");
      updateInstallOffer();
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target && event.target.closest && event.target.closest("#install-button");
    if (!button || !deferredPrompt) { return; }
    var promptEvent = deferredPrompt;
    deferredPrompt = null;
    promptEvent.prompt();
    promptEvent.userChoice.finally(updateInstallOffer);
  });
  // A boosted navigation swaps the footer: the offer as it stands.
  document.addEventListener("htmx:afterSettle", updateInstallOffer);
  window.addEventListener("appinstalled", function () {
    deferredPrompt = null;
    store.set("territory-install-dismissed", "1");
    updateInstallOffer();
  });
})();
