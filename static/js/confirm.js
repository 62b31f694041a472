/* Confirmations without inline script (the Content-Security-Policy allows none):
   a form with data-confirm="…" asks before it is submitted, a button or submit
   input with data-confirm="…" asks before its click submits. No dependencies. */
(function () {
  "use strict";
  function confirmed(element) {
    var message = element.getAttribute("data-confirm");
    return !message || window.confirm(message);
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-confirm") && !confirmed(form)) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var control = event.target.closest && event.target.closest(
      "button[data-confirm], input[type=submit][data-confirm]"
    );
    if (control && !control.disabled && !confirmed(control)) {
      event.preventDefault();
    }
  });
})();
