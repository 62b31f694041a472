/* Live character counters for text areas with maxlength, a filter box for long
   multiple selects (data-searchable), and "select all" check boxes
   (data-select-all="CSS selector of the boxes it ticks"). No dependencies. */
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
  function searchable(select) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "form-control form-control-sm mb-1";
    box.placeholder = select.getAttribute("data-search-placeholder") || "输入名称筛选 / Filter";
    box.setAttribute("aria-label", box.placeholder);
    select.insertAdjacentElement("beforebegin", box);
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(select.options, function (opt) {
        opt.hidden = q !== "" && !opt.selected && opt.text.toLowerCase().indexOf(q) === -1;
      });
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
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[maxlength], input[maxlength][data-count]").forEach(counter);
    document.querySelectorAll("select[data-searchable]").forEach(searchable);
    document.querySelectorAll("input[type=checkbox][data-select-all]").forEach(selectAll);
  });
})();
