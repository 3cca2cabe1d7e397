// Customer list: row selection, "select every matching customer", bulk buttons, sort sync,
// the saved view pills and the phone's filter panel.
// The results block is replaced by htmx on every filter, sort or page change, so all
// handlers are delegated and the state is recomputed after each swap.
(function () {
  "use strict";

  function results() { return document.querySelector("[data-results]"); }

  function refresh() {
    var root = results();
    if (!root) { return; }
    var boxes = root.querySelectorAll(".js-row-check");
    var checked = root.querySelectorAll(".js-row-check:checked").length;
    var allInput = root.querySelector("[data-select-all-input]");
    var pageFull = boxes.length > 0 && checked === boxes.length;
    if (allInput && !pageFull) { allInput.value = ""; }
    var all = Boolean(allInput && allInput.value === "1");

    var header = root.querySelector("[data-check-all]");
    if (header) {
      header.checked = pageFull;
      header.indeterminate = checked > 0 && !pageFull;
    }
    var banner = root.querySelector("[data-select-all-banner]");
    if (banner) {
      banner.classList.toggle("d-none", !pageFull);
      banner.querySelector("[data-state=page]").classList.toggle("d-none", all);
      banner.querySelector("[data-state=all]").classList.toggle("d-none", !all);
    }
    var label = root.querySelector("[data-selected-count]");
    if (label) {
      if (all) { label.textContent = label.dataset.allText; }
      else if (checked) { label.textContent = label.dataset.template.replace("__n__", checked); }
      else { label.textContent = label.dataset.noneText; }
    }
    document.querySelectorAll("[data-needs-selection]").forEach(function (button) {
      button.disabled = !(checked || all);
    });
  }

  function syncSort() {
    var root = results();
    var select = document.querySelector("#customer-filters [name=sort]");
    if (root && select && root.dataset.sort) { select.value = root.dataset.sort; }
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches(".js-row-check, [data-check-all]")) { refresh(); }
  });

  document.addEventListener("click", function (event) {
    var root = results();
    if (!root) { return; }
    var input = root.querySelector("[data-select-all-input]");
    if (event.target.closest("[data-select-all-matching]")) {
      event.preventDefault();
      if (input) { input.value = "1"; }
      refresh();
    } else if (event.target.closest("[data-clear-selection]")) {
      event.preventDefault();
      if (input) { input.value = ""; }
      root.querySelectorAll(".js-row-check").forEach(function (box) { box.checked = false; });
      refresh();
    }
  });

  // Keep pushed URLs short and shareable: leave out empty filters and default values.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "customer-filters" || !event.detail.formData) { return; }
    var defaults = JSON.parse(form.dataset.defaults || "{}");
    var data = event.detail.formData;
    Array.from(data.keys()).forEach(function (key) {
      var value = data.get(key);
      if (value === "" || defaults[key] === value) { data.delete(key); }
    });
  });

  // Changing a filter leaves the saved view that was opened: its pill is no longer current.
  function leaveSavedView() {
    document.querySelectorAll("[data-saved-view][aria-current]").forEach(function (pill) {
      pill.removeAttribute("aria-current");
      pill.classList.replace("btn-primary", "btn-outline-primary");
    });
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "customer-filters") { leaveSavedView(); }
  });

  // On a phone the filters are an offcanvas panel: "Apply" closes it to show the results.
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "customer-filters" || !window.bootstrap) { return; }
    var panel = document.getElementById("customer-filter-panel");
    var offcanvas = panel && window.bootstrap.Offcanvas.getInstance(panel);
    if (offcanvas) { offcanvas.hide(); }
  });

  document.body.addEventListener("htmx:afterSwap", function () { refresh(); syncSort(); });
  document.addEventListener("DOMContentLoaded", function () { refresh(); syncSort(); });
})();
