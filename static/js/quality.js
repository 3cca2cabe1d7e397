// Merge screen: "use all values from this record" ticks that column in every row.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".js-merge-take");
    if (!button) { return; }
    var form = button.closest("form");
    form.querySelectorAll("input[type=radio][value='" + button.dataset.side + "']").forEach(function (radio) {
      if (radio.name !== "survivor") { radio.checked = true; }
    });
  });
})();
