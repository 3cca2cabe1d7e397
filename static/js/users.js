// The new-user form: the initial password fields show only when the admin chooses to set
// one (an invitation lets the user choose their own).
(function () {
  "use strict";
  var form = document.getElementById("user-form");
  var box = document.getElementById("initial-password");
  if (!form || !box) { return; }
  function update() {
    var chosen = form.querySelector("input[name=access]:checked");
    box.hidden = !chosen || chosen.value !== "password";
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "access") { update(); }
  });
  update();
})();
