// Customer record screens: lunar-birthday fields, order lines (add a line, running total).
(function () {
  "use strict";

  function toggleLunar() {
    var box = document.getElementById("id_celebrates_lunar_birthday");
    var fields = document.querySelector(".js-lunar-fields");
    if (!box || !fields) { return; }
    fields.classList.toggle("d-none", !box.checked);
  }

  function number(value) {
    var parsed = parseFloat(String(value || "").replace(/,/g, ""));
    return isNaN(parsed) ? 0 : parsed;
  }

  function updateOrderTotal() {
    var table = document.getElementById("order-lines");
    var output = document.getElementById("order-total");
    if (!table || !output) { return; }
    var cents = 0;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var quantity = row.querySelector("input[name$='-quantity']");
      var price = row.querySelector("input[name$='-unit_price']");
      var lineCents = Math.round(number(quantity && quantity.value) * number(price && price.value) * 100);
      cents += lineCents;
      var cell = row.querySelector(".js-line-total");
      if (cell) { cell.textContent = (lineCents / 100).toFixed(2); }
    });
    output.textContent = (cents / 100).toFixed(2);
  }

  function addOrderLine() {
    var template = document.getElementById("order-line-template");
    var total = document.getElementById("id_lines-TOTAL_FORMS");
    var body = document.querySelector("#order-lines tbody");
    if (!template || !total || !body) { return; }
    var index = parseInt(total.value, 10);
    var max = parseInt(document.getElementById("id_lines-MAX_NUM_FORMS").value, 10);
    if (index >= max) { return; }
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = body.querySelector("tr:last-child input");
    if (first) { first.focus(); }
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "id_celebrates_lunar_birthday") { toggleLunar(); }
  });
  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#order-lines")) { updateOrderTotal(); }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-add-order-line]")) {
      event.preventDefault();
      addOrderLine();
      updateOrderTotal();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    toggleLunar();
    updateOrderTotal();
  });
})();
