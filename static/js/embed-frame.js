/* Inside an embeddable page (/embed/...): tell the page that frames it how tall the content is,
   so that /embed/widget.js sizes the frame without a scroll bar. The message goes only to the
   embedding site's origin, and only when the town allows that site (data-embed-origins). */
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var allowed = (document.body.getAttribute("data-embed-origins") || "").split(" ").filter(Boolean);
  var parentOrigin = "";
  try { parentOrigin = document.referrer ? new URL(document.referrer).origin : ""; } catch (e) { parentOrigin = ""; }
  function allowedOrigin(origin) {
    return allowed.some(function (pattern) {
      if (pattern.indexOf("*.") === -1) { return pattern === origin; }
      var parts = pattern.split("*.");
      return origin.indexOf(parts[0]) === 0 && origin.slice(-parts[1].length) === parts[1];
    });
  }
  if (!parentOrigin || !allowedOrigin(parentOrigin)) { return; }
  var last = 0;
  function send() {
    // The content's own height (the document's is at least the frame's, which would never shrink).
    var main = document.querySelector("main") || document.body;
    var height = Math.ceil(main.getBoundingClientRect().bottom + window.scrollY + 16);
    if (height === last) { return; }
    last = height;
    window.parent.postMessage({ type: "territory-embed:height", height: height }, parentOrigin);
  }
  if (window.ResizeObserver) { new ResizeObserver(send).observe(document.body); }
  window.addEventListener("load", send);
  send();
})();
