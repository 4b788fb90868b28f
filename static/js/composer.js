/* The campaign composer (templates/campaigns/form.html) one step at a time. Without this script
   the form shows every step, one under the other, and posts everything at once; with it, the
   form shows one step, the step list and the Next/Back buttons move between them, and the
   review is asked again from the server (htmx) each time it opens. After a refused post the
   step holding the first error opens. Nothing here submits: the form's own buttons do. */
(function () {
  "use strict";

  function steps(form) {
    return Array.prototype.map.call(form.querySelectorAll("[data-step]"), function (step) {
      return step.getAttribute("data-step");
    });
  }

  function show(form, name, moveFocus) {
    if (steps(form).indexOf(name) < 0) { return; }
    form.setAttribute("data-current-step", name);
    form.querySelectorAll("[data-step-link]").forEach(function (link) {
      if (link.closest("[data-step]")) { return; } // links inside a step (the review's problems)
      if (link.getAttribute("data-step-link") === name) { link.setAttribute("aria-current", "step"); }
      else { link.removeAttribute("aria-current"); }
    });
    var step = form.querySelector('[data-step="' + name + '"]');
    if (name === "review" && window.htmx && step) { window.htmx.trigger(step, "composer-review"); }
    // A map drawn while its step was hidden has no size: Leaflet measures again on resize.
    window.dispatchEvent(new Event("resize"));
    if (moveFocus) { focusHeading(form, name); }
  }

  function focusHeading(form, name) {
    var heading = form.querySelector('[data-step="' + name + '"] .composer-step-title');
    if (heading) { heading.focus({ preventScroll: true }); }
    var nav = form.querySelector(".composer-steps") || form;
    if (nav.getBoundingClientRect().top < 0) { nav.scrollIntoView({ block: "start" }); }
  }

  function init(root) {
    var forms = root.matches && root.matches("[data-composer]") ? [root] : root.querySelectorAll("[data-composer]");
    Array.prototype.forEach.call(forms, function (form) {
      if (form._composer) { return; }
      form._composer = true;
      form.classList.add("is-stepped");
      var start = form.getAttribute("data-start-step");
      show(form, start || "what", Boolean(start));
    });
  }

  document.addEventListener("click", function (event) {
    var control = event.target.closest && event.target.closest("[data-step-go], [data-step-link]");
    var form = control && control.closest("[data-composer].is-stepped");
    if (!form) { return; }
    event.preventDefault();
    show(form, control.getAttribute("data-step-go") || control.getAttribute("data-step-link"), true);
  });

  // Enter in a one-line field moves on to the next step, as the Next button does; only the
  // review's buttons save or send (without this script, Enter saves a draft: the first button).
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field.matches || !field.matches("input:not([type=submit]):not([type=button])")) { return; }
    var form = field.closest("[data-composer].is-stepped");
    var order = form ? steps(form) : [];
    var current = form ? order.indexOf(form.getAttribute("data-current-step")) : -1;
    if (current < 0 || current >= order.length - 1) { return; }
    event.preventDefault();
    show(form, order[current + 1], true);
  });

  // The review came back from the server: the focus was on the heading it replaced.
  document.addEventListener("htmx:afterSwap", function (event) {
    var old = event.detail && event.detail.target;
    if (!old || old.id !== "step-review" || (document.activeElement && document.activeElement !== document.body)) { return; }
    var heading = document.querySelector("#step-review .composer-step-title");
    if (heading) { heading.focus({ preventScroll: true }); }
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
