/* The town's widget for other websites. Include it where the widget goes:
     <script src="https://<town host>/embed/widget.js" data-widget="agenda" async></script>
     <script src="https://<town host>/embed/widget.js" data-widget="actor-news" data-actor="12" async></script>
   It inserts a frame of /embed/agenda (or an actor's news) right after itself and sizes it to
   its content from the frame's messages, accepted only from this script's own origin and from
   that very frame. No inline script or style: it works under the embedding site's CSP when that
   allows this origin in script-src and frame-src. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || script.getAttribute("data-territory-done")) { return; }
  script.setAttribute("data-territory-done", "1");
  var origin = new URL(script.src).origin;
  var kind = script.getAttribute("data-widget") || "agenda";
  var path = "/embed/agenda";
  if (kind === "actor-news") {
    var actor = script.getAttribute("data-actor") || "";
    if (!/^\d+$/.test(actor)) { return; }
    path = "/embed/actors/" + actor + "/news";
  }
  var frame = document.createElement("iframe");
  frame.src = origin + path;
  frame.title = script.getAttribute("data-title") || (kind === "actor-news" ? "News" : "Agenda");
  frame.loading = "lazy";
  frame.referrerPolicy = "strict-origin";
  frame.setAttribute("height", script.getAttribute("data-height") || "480");
  // Through the CSSOM, which the embedding site's style-src does not govern.
  frame.style.width = "100%";
  frame.style.border = "0";
  script.parentNode.insertBefore(frame, script.nextSibling);
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) { return; }
    var data = event.data;
    if (!data || data.type !== "territory-embed:height") { return; }
    var height = Number(data.height);
    if (isFinite(height) && height > 0 && height < 20000) { frame.setAttribute("height", String(Math.ceil(height))); }
  });
})();
