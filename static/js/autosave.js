/* Autosave of the case edit page (templates/locality/edit.html).

   <form id="autosave" action="…" data-form="case-form" data-status="…" data-closes-at="ISO"
   data-msg-…="…"> names the endpoint (reform_cases/views/locality.case_autosave); the edit
   form's own fields (its CSRF token and edit_version included, its file not) are POSTed there
   by fetch every 30 s when something changed since the last save, and when the user leaves a
   field. Each answer is JSON:
     saved    → the page now holds the new version (edit_version), so this tab never
                conflicts with itself; the status note shows the time;
     conflict → someone (or another window) saved meanwhile: autosave stops, a normal save
                shows both texts to choose from;
     closed   → the submission window has closed: autosave stops;
     invalid  → a field needs correcting: shown, tried again once the form changes;
     anything else (network, 4xx, 5xx) → a short note, tried again later.
   Nothing in the form is ever changed but edit_version. Needs unsaved.js (loaded before). */
(function () {
  "use strict";
  var INTERVAL_MS = 30000;
  var SOON_MS = 300;

  document.addEventListener("DOMContentLoaded", function () {
    var endpoint = document.getElementById("autosave");
    if (!endpoint || !window.fetch || !window.FormData || !window.UnsavedChanges) {
      return;
    }
    var form = document.getElementById(endpoint.getAttribute("data-form"));
    var note = document.getElementById(endpoint.getAttribute("data-status"));
    if (!form || !note || !form.elements.edit_version) {
      return;
    }
    var state = window.UnsavedChanges.state;
    var closesAt = Date.parse(endpoint.getAttribute("data-closes-at") || "");
    // What the server holds: the page as loaded, unless it is a refused save drawn again.
    var saved = form.hasAttribute("data-unsaved-on-load") ? null : state(form);
    var refused = null; // a state the server refused as invalid: not sent again unchanged
    var inFlight = false;
    var stopped = false;
    var leaving = false;

    function message(name) {
      return endpoint.getAttribute("data-msg-" + name) || "";
    }

    function show(text, problem) {
      note.textContent = text;
      note.classList.toggle("text-danger", Boolean(problem));
      note.classList.toggle("text-body-secondary", !problem);
    }

    function stop(text) {
      stopped = true;
      show(text, true);
    }

    function windowClosed() {
      return !isNaN(closesAt) && Date.now() > closesAt;
    }

    function answer(response) {
      return response.json().then(
        function (body) { return { code: response.status, body: body || {} }; },
        function () { return { code: response.status, body: {} }; }
      );
    }

    function save() {
      if (stopped || inFlight || leaving) {
        return;
      }
      if (windowClosed()) {
        stop(message("closed"));
        return;
      }
      var current = state(form);
      if (current === saved || current === refused) {
        return;
      }
      var data = new FormData(form);
      Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
        data.delete(input.name); // files go with the normal save, never with the autosave
      });
      inFlight = true;
      fetch(endpoint.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(answer)
        .then(function (result) {
          inFlight = false;
          var body = result.body;
          if (result.code === 200 && body.status === "saved") {
            form.elements.edit_version.value = String(body.version);
            saved = current;
            refused = null;
            show(body.message, false);
            form.dispatchEvent(new CustomEvent("unsaved:saved", { detail: { state: current } }));
          } else if (body.status === "conflict" || body.status === "closed") {
            stop(body.message);
          } else if (body.status === "invalid") {
            refused = current;
            show(body.message, true);
          } else {
            show(body.message || message("failed"), true);
          }
        }, function () {
          inFlight = false;
          show(message("network"), true);
        });
    }

    // Leaving a field saves a moment later, unless that moment is the form being submitted
    // (a click on one of its buttons leaves the field first): one request, not two at once.
    var pending = null;
    function saveSoon() {
      window.clearTimeout(pending);
      pending = window.setTimeout(save, SOON_MS);
    }
    form.addEventListener("focusout", function (event) {
      if (event.target.name) {
        saveSoon();
      }
    });
    form.addEventListener("change", saveSoon);
    form.addEventListener("submit", function (event) {
      leaving = true;
      window.setTimeout(function () {
        if (event.defaultPrevented) {
          leaving = false;
        }
      }, 0);
    });
    window.setInterval(save, INTERVAL_MS);
    if (windowClosed()) {
      stop(message("closed"));
    } else if (saved === null) {
      save();
    }
  });
})();
