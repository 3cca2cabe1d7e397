// Event form: show what the care programme suggests for the chosen type (the CSP forbids
// inline scripts, so this lives here).
(function () {
  "use strict";
  var form = document.getElementById("event-form");
  if (!form) { return; }
  function update() {
    var type = form.elements.type ? form.elements.type.value : "";
    form.querySelectorAll(".js-type-guide").forEach(function (block) {
      block.hidden = block.dataset.type !== type;
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "type") { update(); }
  });
  update();
})();
