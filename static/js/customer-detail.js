// Customer record screens: lunar-birthday fields, order lines (add a line, running total),
// "show number" (the reason's free text, copying the number), tag suggestions, and the
// interaction form's channel (implied by a call).
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

  function toggleRevealNote(select) {
    var form = select.closest("[data-phone-reveal-form]");
    var note = form && form.querySelector("[data-phone-reveal-note]");
    if (!note) { return; }
    note.classList.toggle("d-none", select.value !== "other");
    if (select.value === "other") { note.querySelector("input").focus(); }
  }

  // A call is on the phone: the channel question is then answered.
  var IMPLIED_CHANNEL = { call: "phone" };
  function toggleInteractionChannel() {
    var kind = document.querySelector("select[name=kind][data-implies-channel]");
    var channel = document.getElementById("id_channel");
    if (!kind || !channel) { return; }
    var implied = IMPLIED_CHANNEL[kind.value];
    var wrapper = channel.closest(".js-channel-field") || channel.parentElement;
    wrapper.classList.toggle("d-none", Boolean(implied));
    if (implied) { channel.value = implied; }
  }

  function copyNumber(button) {
    var label = button.querySelector("span");
    var done = function () { if (label) { label.textContent = button.dataset.copiedLabel; } };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(button.dataset.copy).then(done, function () {});
      return;
    }
    var field = document.createElement("textarea");
    field.value = button.dataset.copy;
    field.setAttribute("readonly", "");
    field.style.position = "absolute";
    field.style.left = "-9999px";
    document.body.appendChild(field);
    field.select();
    try { document.execCommand("copy"); done(); } catch (error) { /* nothing to do */ }
    document.body.removeChild(field);
  }

  // A suggested tag replaces what is being typed: the last item of a comma-separated list,
  // or the whole field for a single tag.
  function useTagSuggestion(button) {
    var box = button.closest("[data-tag-suggestions]");
    var input = box && document.getElementById(box.dataset.tagSuggestions);
    if (!input) { return; }
    var name = button.dataset.tagSuggestion;
    if (box.dataset.tagMode === "single") {
      input.value = name;
    } else {
      var items = input.value.split(/[,，;；、]/).map(function (item) { return item.trim(); });
      items.pop();
      items = items.filter(function (item) { return item && item !== name; });
      items.push(name);
      input.value = items.join(", ") + ", ";
    }
    box.innerHTML = "";
    input.focus();
  }

  document.addEventListener("change", function (event) {
    if (event.target.id === "id_celebrates_lunar_birthday") { toggleLunar(); }
    if (event.target.matches && event.target.matches("[data-phone-reveal-reason]")) {
      toggleRevealNote(event.target);
    }
    if (event.target.matches && event.target.matches("select[data-implies-channel]")) {
      toggleInteractionChannel();
    }
  });
  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#order-lines")) { updateOrderTotal(); }
  });
  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) { copyNumber(copy); }
    var suggestion = event.target.closest("[data-tag-suggestion]");
    if (suggestion) { event.preventDefault(); useTagSuggestion(suggestion); }
    if (event.target.closest("[data-add-order-line]")) {
      event.preventDefault();
      addOrderLine();
      updateOrderTotal();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    toggleLunar();
    updateOrderTotal();
    toggleInteractionChannel();
  });
})();
