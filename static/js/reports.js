/* Reporting a problem: "Use my current position" fills the form's latitude and longitude with
   the browser's position, only when the person presses it (the browser asks for its own
   permission then), or at once when they turned live location on. Without JavaScript, the
   map and this button are hidden and the address field does the work. */
(function () {
  "use strict";

  function round(value) { return Math.round(value * 100000) / 100000; }

  function init() {
    document.querySelectorAll("[data-report-locate]").forEach(function (button) {
      if (button._reportLocate) { return; }
      button._reportLocate = true;
      var form = button.closest("form");
      var status = form && form.querySelector("[data-report-locate-status]");
      var lat = form && form.querySelector("[name=lat]");
      var lon = form && form.querySelector("[name=lon]");
      if (!form || !lat || !lon || !navigator.geolocation) { button.hidden = true; return; }
      function say(attribute) { if (status) { status.textContent = button.getAttribute(attribute) || ""; } }
      function locate() {
        say("data-locating");
        navigator.geolocation.getCurrentPosition(function (position) {
          lat.value = round(position.coords.latitude);
          lon.value = round(position.coords.longitude);
          say("data-located");
        }, function () { say("data-failed"); }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
      }
      button.addEventListener("click", locate);
      var liveOn = document.body && document.body.getAttribute("data-live-location") === "on";
      if (liveOn && !lat.value && !lon.value) { locate(); }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:afterSettle", init);
})();
