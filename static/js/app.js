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
  // A button or link with data-confirm asks in an in-page dialog first; on "confirm" the
  // same element is clicked again, so a form posts with its submitter's name and value.
  var dialog = document.getElementById("confirm-dialog");
  var pending = null;
  function proceed(el) {
    el.dataset.confirmed = "1";
    try { el.click(); } finally { delete el.dataset.confirmed; }
  }
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (!el || el.dataset.confirmed === "1") { return; }
    event.preventDefault();
    event.stopPropagation();
    if (!dialog || !window.bootstrap) {
      if (window.confirm(el.dataset.confirm)) { proceed(el); }
      return;
    }
    pending = el;
    dialog.querySelector("[data-confirm-message]").textContent = el.dataset.confirm;
    var ok = document.getElementById("confirm-dialog-ok");
    ok.className = "btn " + (el.classList.contains("btn-outline-danger") || el.classList.contains("btn-danger") ? "btn-danger" : "btn-primary");
    window.bootstrap.Modal.getOrCreateInstance(dialog).show();
  }, true);
  if (dialog) {
    document.getElementById("confirm-dialog-ok").addEventListener("click", function () {
      var el = pending;
      pending = null;
      window.bootstrap.Modal.getOrCreateInstance(dialog).hide();
      if (el) { proceed(el); }
    });
    dialog.addEventListener("shown.bs.modal", function () { document.getElementById("confirm-dialog-ok").focus(); });
  }
  document.addEventListener("click", function (event) {
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
