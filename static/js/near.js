/* Maps: "Near me" (markers of the list, click to search around a point), the residence point
   picker, and the loader of the vendored Leaflet shared with zone-editor.js. Leaflet and its
   stylesheet are loaded only on pages that have a map. Without JavaScript or tiles, the list
   and the forms work alone. */
(function () {
  "use strict";

  var loading = null;

  function loadLeaflet(element) {
    if (window.L) { return Promise.resolve(window.L); }
    if (loading) { return loading; }
    loading = new Promise(function (resolve, reject) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = element.getAttribute("data-leaflet-css");
      document.head.appendChild(css);
      var script = document.createElement("script");
      script.src = element.getAttribute("data-leaflet-js");
      script.onload = function () {
        // Marker images next to the vendored script (no guessing from the stylesheet).
        window.L.Icon.Default.imagePath = script.src.replace(/leaflet\.js(\?.*)?$/, "images/");
        resolve(window.L);
      };
      script.onerror = function () { loading = null; reject(new Error("leaflet")); };
      document.head.appendChild(script);
    });
    return loading;
  }

  function makeMap(L, element, zoom) {
    var lat = parseFloat(element.getAttribute("data-lat"));
    var lon = parseFloat(element.getAttribute("data-lon"));
    element.classList.add("has-map");
    var map = L.map(element, { scrollWheelZoom: false }).setView([lat, lon], zoom);
    var tiles = element.getAttribute("data-tile-url");
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 19, attribution: element.getAttribute("data-attribution") || "" }).addTo(map);
    } else {
      element.classList.add("no-tiles");
    }
    var label = element.getAttribute("data-label-map");
    if (label) { element.setAttribute("aria-label", label); }
    element._territoryMap = map;
    return map;
  }

  function round(value) { return Math.round(value * 100000) / 100000; }

  function initNear(element) {
    if (element._territoryMap) { return; }
    loadLeaflet(element).then(function (L) {
      var map = makeMap(L, element, 15);
      var origin = [parseFloat(element.getAttribute("data-lat")), parseFloat(element.getAttribute("data-lon"))];
      L.circleMarker(origin, { radius: 8, className: "near-origin-marker" }).addTo(map)
        .bindTooltip(element.getAttribute("data-label-origin") || "");
      var bounds = [origin];
      document.querySelectorAll("[data-near-list] [data-lat]").forEach(function (item) {
        var point = [parseFloat(item.getAttribute("data-lat")), parseFloat(item.getAttribute("data-lon"))];
        var link = item.querySelector("a");
        // A drawn circle, not Leaflet's image pin: sharp at any density, and not a second tab stop
        // for what the list below already links.
        var marker = L.circleMarker(point, { radius: 9, className: "near-item-marker" }).addTo(map)
          .bindTooltip(item.getAttribute("data-title") || "");
        if (link) { marker.on("click", function () { link.click(); }); }
        bounds.push(point);
      });
      if (bounds.length > 1) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 }); }
      // Click the map: search around that point (the plain form does the rest).
      map.on("click", function (event) {
        var form = document.querySelector(".near-form");
        if (!form) { return; }
        form.querySelector("[name=lat]").value = round(event.latlng.lat);
        form.querySelector("[name=lon]").value = round(event.latlng.lng);
        var hood = form.querySelector("[name=neighbourhood]");
        if (hood) { hood.value = ""; }
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      });
    }).catch(function () { element.classList.remove("has-map"); });
  }

  function initPicker(element) {
    if (element._territoryMap) { return; }
    loadLeaflet(element).then(function (L) {
      var map = makeMap(L, element, 15);
      var latInput = document.getElementById(element.getAttribute("data-lat-input"));
      var lonInput = document.getElementById(element.getAttribute("data-lon-input"));
      var marker = null;
      function place(lat, lon) {
        if (marker) { marker.setLatLng([lat, lon]); } else { marker = L.circleMarker([lat, lon], { radius: 10 }).addTo(map); }
      }
      if (latInput && latInput.value && lonInput && lonInput.value) { place(parseFloat(latInput.value), parseFloat(lonInput.value)); }
      map.on("click", function (event) {
        place(event.latlng.lat, event.latlng.lng);
        if (latInput) { latInput.value = round(event.latlng.lat); }
        if (lonInput) { lonInput.value = round(event.latlng.lng); }
      });
    }).catch(function () {});
  }

  function init() {
    document.querySelectorAll("[data-near-map]").forEach(initNear);
    document.querySelectorAll("[data-point-picker]").forEach(initPicker);
  }

  window.TerritoryMaps = { loadLeaflet: loadLeaflet, makeMap: makeMap };
  // Loaded by app.js when a page needs it, maybe after the document was parsed.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  document.addEventListener("htmx:afterSettle", init);
})();
