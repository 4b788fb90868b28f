/* Live location: while the app is open and the person turned live location on (on the
   /near/location page, which records the consent), report the position at most every 5 minutes.
   The server keeps only a coarse cell; a 401/403 answer (consent withdrawn, logged out) stops it.
   Loaded on every page, for anybody: it follows the <body>'s data-live-location and
   data-checkin-url, which every page carries and app.js updates after a boosted swap (logging
   in or out by the form keeps this document and its <head>). */
(function () {
  "use strict";

  var FLAG = "territory.liveLocation";  // the state last seen, to notice it turning on
  var LAST = "territory.liveLocation.lastSent";
  var INTERVAL_MS = 5 * 60 * 1000;
  var DEFAULT_URL = "/near/checkin";
  var watchId = null;
  var sending = false;

  function store(key, value) {
    try { if (value === null) { localStorage.removeItem(key); } else { localStorage.setItem(key, value); } } catch (e) { /* private mode */ }
  }
  function read(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  function checkinUrl() {
    return (document.body && document.body.getAttribute("data-checkin-url")) || DEFAULT_URL;
  }
  function liveLocationOn() {
    return !!document.body && document.body.getAttribute("data-live-location") === "on";
  }

  function stop() {
    if (watchId !== null && navigator.geolocation) { navigator.geolocation.clearWatch(watchId); }
    watchId = null;
  }

  function report(position) {
    var last = parseInt(read(LAST) || "0", 10);
    if (sending || Date.now() - last < INTERVAL_MS) { return; }
    sending = true;
    fetch(checkinUrl(), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify({ lat: position.coords.latitude, lon: position.coords.longitude })
    }).then(function (response) {
      if (response.ok) {
        store(LAST, String(Date.now()));
      } else if (response.status === 401 || response.status === 403) {
        store(FLAG, null);
        stop();
      } else {
        // Outside the territory or a refused value: try again at the next interval only.
        store(LAST, String(Date.now()));
      }
    }).catch(function () { /* offline: the next position will try again */ })
      .then(function () { sending = false; });
  }

  function start() {
    if (watchId !== null || !navigator.geolocation || !liveLocationOn()) { return; }
    watchId = navigator.geolocation.watchPosition(report, function (error) {
      if (error && error.code === 1) { stop(); } // permission denied in the browser
    }, { enableHighAccuracy: false, maximumAge: INTERVAL_MS, timeout: 60000 });
  }

  // Every page says whether live location is on. Just turned on, or on its own page, the
  // position goes at once (the 5-minute throttle starts again from there).
  function syncFromPage() {
    if (liveLocationOn()) {
      if (read(FLAG) !== "on" || document.querySelector("[data-live-location-state=on]")) {
        store(LAST, null);
      }
      store(FLAG, "on");
      start();
    } else {
      store(FLAG, null);
      stop();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", syncFromPage);
  } else {
    syncFromPage();
  }
  document.addEventListener("htmx:afterSettle", syncFromPage);
  document.addEventListener("htmx:historyRestore", syncFromPage);
  // "Around my position": send the position first, then show the list around its cell.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest && event.target.closest("a[data-live-near]");
    if (!link || !navigator.geolocation) { return; }
    event.preventDefault();
    navigator.geolocation.getCurrentPosition(function (position) {
      store(LAST, null);
      report(position);
      var wait = setInterval(function () {
        if (!sending) { clearInterval(wait); window.location.href = link.href; }
      }, 100);
    }, function () { window.location.href = link.href; }, { maximumAge: 60000, timeout: 15000 });
  });
})();
