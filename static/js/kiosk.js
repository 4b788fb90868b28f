/* The tourism office's screen: show one item at a time, the next every 12 seconds. htmx polls
   the server every minute and replaces the items only on success (see the page's htmx-config):
   when the network drops, the last items keep rotating. */
(function () {
  "use strict";

  var ROTATE_MS = 12000;

  function rotate() {
    var items = document.querySelectorAll("[data-kiosk-item]");
    if (items.length < 2) { return; }
    var current = 0;
    items.forEach(function (item, index) { if (item.classList.contains("is-current")) { current = index; } });
    items[current].classList.remove("is-current");
    items[(current + 1) % items.length].classList.add("is-current");
  }

  document.addEventListener("DOMContentLoaded", function () { setInterval(rotate, ROTATE_MS); });
})();
