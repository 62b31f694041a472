/* Live character counters for text areas with maxlength, a filter box for long
   selects (data-searchable: type to narrow the options, Enter or the down arrow moves to
   the list), "select all" check boxes (data-select-all="CSS selector of the boxes it
   ticks"), and "add a row" buttons of formsets (data-formset-add="id of a <template> holding
   the formset's empty form", data-formset-rows="id of the element the rows go in",
   data-formset-prefix="the formset's prefix"). No dependencies. */
(function () {
  "use strict";
  function counter(el) {
    var max = parseInt(el.getAttribute("maxlength"), 10);
    var out = document.createElement("div");
    out.className = "form-text text-end char-counter";
    out.setAttribute("aria-live", "polite");
    el.insertAdjacentElement("afterend", out);
    function update() {
      var n = el.value.length;
      out.textContent = n + " / " + max;
      out.classList.toggle("text-danger", n >= max);
    }
    el.addEventListener("input", update);
    update();
  }
  function labelText(select) {
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    return label ? label.textContent.replace(/[*:：\s]+$/, "").trim() : "";
  }
  function searchable(select) {
    var box = document.createElement("input");
    var status = document.createElement("div");
    var name = labelText(select);
    // In the page's language: base.html has the translated hint in a <meta>.
    var meta = document.querySelector('meta[name="search-placeholder"]');
    var hint = select.getAttribute("data-search-placeholder") ||
      (meta && meta.getAttribute("content")) || "输入名称筛选";
    box.type = "search";
    box.className = "form-control form-control-sm mb-1";
    box.placeholder = hint;
    box.setAttribute("aria-label", name ? name + " · " + hint : hint);
    if (select.id) {
      box.id = select.id + "-search";
      box.setAttribute("aria-controls", select.id);
    }
    status.className = "visually-hidden";
    status.setAttribute("aria-live", "polite");
    select.insertAdjacentElement("beforebegin", box);
    select.insertAdjacentElement("afterend", status);
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(select.options, function (opt) {
        opt.hidden = q !== "" && !opt.selected && opt.text.toLowerCase().indexOf(q) === -1;
        if (!opt.hidden && opt.value !== "") {
          shown += 1;
        }
      });
      status.textContent = q === "" ? "" : shown + " / " + select.options.length;
    });
    box.addEventListener("keydown", function (event) {
      // Enter would submit the form: it moves to the narrowed list instead (a single
      // choice takes the first match, as when one types into a combo box).
      if (event.key === "Enter" || event.key === "ArrowDown") {
        event.preventDefault();
        if (!select.multiple && box.value.trim() !== "") {
          var q = box.value.trim().toLowerCase();
          var match = Array.prototype.find.call(select.options, function (opt) {
            return opt.value !== "" && opt.text.toLowerCase().indexOf(q) !== -1;
          });
          if (match && !match.selected) {
            match.selected = true;
            select.dispatchEvent(new Event("change", { bubbles: true }));
          }
        }
        select.focus();
      }
    });
  }
  function selectAll(box) {
    box.addEventListener("change", function () {
      document.querySelectorAll(box.getAttribute("data-select-all")).forEach(function (other) {
        if (!other.disabled) {
          other.checked = box.checked;
        }
      });
    });
  }
  function formsetAdder(button) {
    var template = document.getElementById(button.getAttribute("data-formset-add"));
    var rows = document.getElementById(button.getAttribute("data-formset-rows"));
    var prefix = button.getAttribute("data-formset-prefix");
    var total = document.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    var max = document.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
    if (!template || !rows || !total) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) {
        return;
      }
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild && rows.lastElementChild.querySelector(
        "input:not([type=hidden]), select, textarea"
      );
      if (first) {
        first.focus();
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[maxlength], input[maxlength][data-count]").forEach(counter);
    document.querySelectorAll("select[data-searchable]").forEach(searchable);
    document.querySelectorAll("input[type=checkbox][data-select-all]").forEach(selectAll);
    document.querySelectorAll("button[data-formset-add]").forEach(formsetAdder);
  });
})();
