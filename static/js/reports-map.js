/* The public map of street reports: a marker for each report of the list (its data-lat and
   data-lon), fitted to them; after the map is moved, a button shows the reports of the area in
   view by filling the form's bbox (west,south,east,north) and sending it. The list and the form
   work alone without JavaScript. Needs near.js (TerritoryMaps) loaded first. */
(function () {
  "use strict";

  function round(value) { return Math.round(value * 100000) / 100000; }

  function init(element) {
    if (element._territoryMap || !window.TerritoryMaps) { return; }
    window.TerritoryMaps.loadLeaflet(element).then(function (L) {
      var map = window.TerritoryMaps.makeMap(L, element, 14);
      var bounds = [];
      document.querySelectorAll("[data-reports-list] [data-lat]").forEach(function (item) {
        var point = [parseFloat(item.getAttribute("data-lat")), parseFloat(item.getAttribute("data-lon"))];
        var link = item.querySelector("a");
        var marker = L.circleMarker(point, { radius: 8, className: "near-item-marker" }).addTo(map)
          .bindTooltip(item.getAttribute("data-title") || "");
        if (link) { marker.on("click", function () { link.click(); }); }
        bounds.push(point);
      });
      if (bounds.length) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 }); }
      var form = document.querySelector(".reports-filters");
      if (!form) { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary reports-map-search";
      button.textContent = element.getAttribute("data-label-search") || "";
      button.hidden = true;
      element.parentNode.insertBefore(button, element.nextSibling);
      // Shown once the person moves the map (not for the fitting above).
      window.setTimeout(function () { map.on("moveend", function () { button.hidden = false; }); }, 600);
      button.addEventListener("click", function () {
        var view = map.getBounds();
        form.querySelector("[name=bbox]").value = [
          round(view.getWest()), round(view.getSouth()), round(view.getEast()), round(view.getNorth())
        ].join(",");
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      });
    }).catch(function () { element.classList.remove("has-map"); });
  }

  function initAll() { document.querySelectorAll("[data-reports-map]").forEach(init); }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
  document.addEventListener("htmx:afterSettle", initAll);
})();
