/* Warn before leaving a page whose form holds unsaved changes (forms with data-warn-unsaved).

   A form is "changed" when its fields differ from what they were when the page was loaded
   (or last saved by autosave, which dispatches "unsaved:saved" on the form with the state it
   sent), or when a file has been chosen. Submitting the form itself leaves without a warning.
   A page drawn again after a refused save (data-unsaved-on-load) holds text that is not saved
   yet: it counts as changed from the start.

   window.UnsavedChanges.state(form) is the comparison both scripts use. No dependencies. */
(function () {
  "use strict";
  var SKIPPED = { file: true, submit: true, button: true, reset: true, image: true, hidden: true };

  function state(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || SKIPPED[el.type] || el.form !== form) {
        return;
      }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) {
        return;
      }
      if (el.type === "select-multiple") {
        Array.prototype.forEach.call(el.options, function (option) {
          if (option.selected) {
            parts.push([el.name, option.value]);
          }
        });
        return;
      }
      parts.push([el.name, el.value]);
    });
    return JSON.stringify(parts);
  }

  function fileChosen(form) {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length > 0;
    });
  }

  var watched = [];

  function changed(entry) {
    return !entry.leaving && (entry.saved === null || state(entry.form) !== entry.saved ||
      fileChosen(entry.form));
  }

  window.UnsavedChanges = {
    state: state,
    changed: function (form) {
      return watched.some(function (entry) { return entry.form === form && changed(entry); });
    },
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
      var entry = {
        form: form,
        saved: form.hasAttribute("data-unsaved-on-load") ? null : state(form),
        leaving: false,
      };
      watched.push(entry);
      form.addEventListener("unsaved:saved", function (event) {
        entry.saved = event.detail.state;
      });
      form.addEventListener("submit", function (event) {
        entry.leaving = true;
        // A submission cancelled by another listener (a confirmation) does not leave.
        window.setTimeout(function () {
          if (event.defaultPrevented) {
            entry.leaving = false;
          }
        }, 0);
      });
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (watched.some(changed)) {
      event.preventDefault();
      event.returnValue = ""; // older browsers need a value to show their own question
    }
  });
})();
