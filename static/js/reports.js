// The reports page: show the day field for a month, quarter or year, the first and last
// day for a custom range. Without JavaScript every field shows and the server decides.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var kind = form.querySelector("#id_period");
  function show() {
    var custom = kind.value === "custom";
    form.querySelectorAll(".js-period-day").forEach(function (el) { el.hidden = custom; });
    form.querySelectorAll(".js-period-custom").forEach(function (el) { el.hidden = !custom; });
  }
  kind.addEventListener("change", show);
  show();
})();
