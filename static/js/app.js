// Behaviour without inline scripts (the CSP forbids them).
(function () {
  "use strict";
  var token = document.body.dataset.csrfToken;
  document.body.addEventListener("htmx:configRequest", function (event) {
    if (token) { event.detail.headers["X-CSRFToken"] = token; }
  });
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("js-autosubmit") && el.form) { el.form.submit(); }
  });
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) { event.preventDefault(); }
    var all = event.target.closest("[data-check-all]");
    if (all) {
      document.querySelectorAll(all.dataset.checkAll).forEach(function (box) { box.checked = all.checked; });
    }
  });
  function applyProgress(root) {
    (root || document).querySelectorAll("[data-progress]").forEach(function (bar) {
      bar.style.width = bar.dataset.progress + "%";
    });
  }
  // On a phone a row of tabs scrolls sideways: bring the open one into view.
  function showActiveTab() {
    document.querySelectorAll(".nav-tabs.overflow-auto .nav-link.active").forEach(function (tab) {
      var row = tab.closest(".nav-tabs");
      row.scrollLeft = tab.offsetLeft - (row.clientWidth - tab.offsetWidth) / 2;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { applyProgress(); showActiveTab(); });
  document.body.addEventListener("htmx:afterSwap", function (event) { applyProgress(event.target); });
  // htmx keeps error answers off the page; "too many searches" must replace the results.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 429) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });
})();
