/* A small polygon editor on a Leaflet map: click to add a corner, undo, start again. It writes
   a closed GeoJSON Polygon into its textarea (data-target), which stays the way to edit without
   JavaScript; the server validates it either way. Needs near.js (TerritoryMaps) loaded first. */
(function () {
  "use strict";

  function round(value) { return Math.round(value * 1000000) / 1000000; }

  function readRing(textarea) {
    try {
      var data = JSON.parse(textarea.value);
      if (data && data.type === "Feature") { data = data.geometry; }
      if (data && data.type === "Polygon" && data.coordinates && data.coordinates[0]) {
        var ring = data.coordinates[0].slice(0, -1);
        return ring.map(function (p) { return [p[1], p[0]]; });
      }
    } catch (e) { /* not JSON yet: start empty */ }
    return [];
  }

  // After each edit a bubbling "change" event lets a form react (the campaign estimate).
  function writeRing(textarea, corners) {
    if (corners.length < 3) { textarea.value = ""; announce(textarea); return; }
    var ring = corners.map(function (c) { return [round(c[1]), round(c[0])]; });
    ring.push(ring[0]);
    textarea.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    announce(textarea);
  }

  function announce(textarea) {
    textarea._zoneWriting = true;
    try { textarea.dispatchEvent(new Event("change", { bubbles: true })); } finally { textarea._zoneWriting = false; }
  }

  function button(label) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = label;
    return b;
  }

  function initEditor(element) {
    if (element._territoryMap || !window.TerritoryMaps) { return; }
    var textarea = document.getElementById(element.getAttribute("data-target"));
    if (!textarea) { return; }
    var mapBox = document.createElement("div");
    mapBox.className = "zone-editor-map";
    ["data-lat", "data-lon", "data-tile-url", "data-attribution", "data-label-map"].forEach(function (name) {
      if (element.hasAttribute(name)) { mapBox.setAttribute(name, element.getAttribute(name)); }
    });
    var tools = document.createElement("p");
    tools.className = "zone-editor-tools";
    var undo = button(element.getAttribute("data-label-undo") || "Undo");
    var clear = button(element.getAttribute("data-label-clear") || "Clear");
    tools.appendChild(undo);
    tools.appendChild(clear);
    element.appendChild(mapBox);
    element.appendChild(tools);
    element._territoryMap = true;
    window.TerritoryMaps.loadLeaflet(element).then(function (L) {
      var map = window.TerritoryMaps.makeMap(L, mapBox, 14);
      var boundary = element.getAttribute("data-boundary");
      if (boundary) {
        try { L.geoJSON(JSON.parse(boundary), { className: "zone-editor-boundary", interactive: false }).addTo(map); } catch (e) { /* no boundary */ }
      }
      var corners = readRing(textarea);
      var shape = L.polygon(corners, { className: "zone-editor-shape" }).addTo(map);
      var dots = L.layerGroup().addTo(map);
      function redraw(write) {
        shape.setLatLngs(corners);
        dots.clearLayers();
        corners.forEach(function (c) { L.circleMarker(c, { radius: 4, className: "zone-editor-corner" }).addTo(dots); });
        if (write) { writeRing(textarea, corners); }
      }
      redraw(false);
      if (corners.length > 2) { map.fitBounds(shape.getBounds(), { padding: [16, 16] }); }
      map.on("click", function (event) { corners.push([event.latlng.lat, event.latlng.lng]); redraw(true); });
      undo.addEventListener("click", function () { corners.pop(); redraw(true); });
      clear.addEventListener("click", function () { corners = []; redraw(true); });
      textarea.addEventListener("change", function () {
        if (textarea._zoneWriting) { return; } // our own edit, announced to the form
        corners = readRing(textarea); redraw(false);
      });
    }).catch(function () { tools.remove(); mapBox.remove(); });
  }

  function init() { document.querySelectorAll("[data-zone-editor]").forEach(initEditor); }
  // Loaded by app.js when a page needs it, maybe after the document was parsed.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:afterSettle", init);
})();
