/* Address suggestions on the report form: as the person types an address, the town's geocoder
   (through /reports/address-suggestions) proposes addresses of the territory in a list; picking
   one fills the latitude and longitude. Without JavaScript, or when the town has no geocoder,
   the address is sent as typed and the server looks it up itself. */
(function () {
  "use strict";

  var DELAY = 300; // ms after the last key: one request per pause, not one per letter

  function init() {
    document.querySelectorAll("[data-address-suggestions]").forEach(function (marker) {
      if (marker._addressSuggestions) { return; }
      marker._addressSuggestions = true;
      var url = marker.getAttribute("data-address-suggestions");
      var form = marker.closest("form");
      var input = form && form.querySelector("[name=address]");
      var lat = form && form.querySelector("[name=lat]");
      var lon = form && form.querySelector("[name=lon]");
      if (!url || !input || !lat || !lon || !window.fetch) { return; }
      var list = document.createElement("datalist");
      list.id = (input.id || "address") + "-suggestions";
      input.parentNode.appendChild(list);
      input.setAttribute("list", list.id);
      input.setAttribute("autocomplete", "off");
      var found = {};
      var filled = null; // the suggestion whose point is in the form
      var timer = null;
      var asked = "";

      function choose() {
        var place = found[input.value];
        if (place) {
          lat.value = place.lat;
          lon.value = place.lon;
          filled = place;
        } else if (filled && lat.value === String(filled.lat) && lon.value === String(filled.lon)) {
          lat.value = "";  // the address changed: its point no longer stands for it
          lon.value = "";
          filled = null;
        }
      }

      function ask(query) {
        asked = query;
        fetch(url + "?q=" + encodeURIComponent(query), {
          credentials: "same-origin", headers: { Accept: "application/json" }
        }).then(function (response) {
          return response.ok ? response.json() : { suggestions: [] };
        }).then(function (data) {
          if (input.value.trim() !== query) { return; }  // typed on meanwhile
          list.textContent = "";
          found = {};
          (data.suggestions || []).forEach(function (place) {
            var option = document.createElement("option");
            option.value = place.label;
            list.appendChild(option);
            found[place.label] = place;
          });
          choose();
        }).catch(function () {});
      }

      input.addEventListener("input", function () {
        choose();
        window.clearTimeout(timer);
        var query = input.value.trim();
        if (query.length < 3 || found[input.value] || query === asked) { return; }
        timer = window.setTimeout(function () { ask(query); }, DELAY);
      });
      input.addEventListener("change", choose);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:afterSettle", init);
})();
