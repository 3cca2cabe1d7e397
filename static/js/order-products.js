// Order form: each line's product box searches the catalogue as staff type
// (customers:product-search, JSON); picking a product fills the line's name, category and
// unit price (the price stays editable, e.g. for a discount) and remembers the product in
// the line's hidden field. Typing over a picked name makes the line an "other item" again.
// The amount is computed again on the server (customers.services.orders).
(function () {
  "use strict";

  var form = document.querySelector("form[data-product-search-url]");
  if (!form) { return; }
  var url = form.getAttribute("data-product-search-url");
  var emptyText = form.getAttribute("data-product-empty") || "";
  var timers = new WeakMap();
  var latest = new WeakMap();

  function row(element) { return element.closest("[data-order-line]"); }
  function field(tr, suffix) { return tr.querySelector("input[name$='-" + suffix + "']"); }

  function hideResults(tr) {
    var box = tr.querySelector("[data-product-results]");
    if (box) { box.hidden = true; box.replaceChildren(); }
  }

  function setPicked(tr, picked) {
    var note = tr.querySelector("[data-product-note]");
    if (note) { note.hidden = !picked; }
  }

  function render(tr, products) {
    var box = tr.querySelector("[data-product-results]");
    if (!box) { return; }
    box.replaceChildren();
    if (!products.length) {
      var empty = document.createElement("div");
      empty.className = "list-group-item small text-body-secondary";
      empty.textContent = emptyText;
      box.appendChild(empty);
    }
    products.forEach(function (product) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "list-group-item list-group-item-action d-flex justify-content-between gap-2";
      button.setAttribute("role", "option");
      button.setAttribute("data-pick-product", String(product.id));
      button.dataset.name = product.name;
      button.dataset.category = product.category;
      button.dataset.price = product.price;
      var label = document.createElement("span");
      label.className = "text-start";
      label.textContent = product.name;
      if (product.category) {
        var category = document.createElement("span");
        category.className = "d-block small text-body-secondary";
        category.textContent = product.category;
        label.appendChild(category);
      }
      var price = document.createElement("span");
      price.className = "nowrap";
      price.textContent = "¥" + product.price;
      button.appendChild(label);
      button.appendChild(price);
      box.appendChild(button);
    });
    box.hidden = false;
  }

  function search(input) {
    var tr = row(input);
    var query = input.value.trim();
    if (!query) { hideResults(tr); return; }
    var ticket = {};
    latest.set(tr, ticket);
    fetch(url + "?q=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.ok ? response.json() : { products: [] }; })
      .then(function (data) {
        if (latest.get(tr) === ticket) { render(tr, data.products || []); }
      })
      .catch(function () { hideResults(tr); });
  }

  function pick(button) {
    var tr = row(button);
    var id = field(tr, "catalogue_product");
    var name = field(tr, "product");
    var category = field(tr, "category");
    var price = field(tr, "unit_price");
    if (id) { id.value = button.getAttribute("data-pick-product"); }
    if (name) { name.value = button.dataset.name; name.dataset.picked = button.dataset.name; }
    if (category) { category.value = button.dataset.category; }
    if (price) {
      price.value = button.dataset.price;
      price.dispatchEvent(new Event("input", { bubbles: true }));
    }
    setPicked(tr, true);
    hideResults(tr);
    var quantity = field(tr, "quantity");
    if (quantity) { quantity.focus(); }
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-product-search]")) { return; }
    var tr = row(input);
    var id = field(tr, "catalogue_product");
    if (id && id.value && input.value !== input.dataset.picked) {
      id.value = "";  // typed over the picked name: an "other item" now
      setPicked(tr, false);
    }
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () { search(input); }, 200));
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-pick-product]");
    if (button) { event.preventDefault(); pick(button); return; }
    if (event.target.closest && event.target.closest("[data-add-order-line]")) {
      // customer-detail.js adds the row; then the new line's product box takes the focus.
      setTimeout(function () {
        var boxes = form.querySelectorAll("[data-order-line] [data-product-search]");
        if (boxes.length) { boxes[boxes.length - 1].focus(); }
      }, 0);
    }
  });

  form.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.matches("[data-product-search]")) {
      hideResults(row(event.target));
    }
  });

  // Leaving the box: a "no product matches" note has nothing to pick, so it goes (a list
  // of products stays until one is picked or the user clicks elsewhere: touch browsers
  // move focus only after the tap).
  form.addEventListener("focusout", function (event) {
    if (!event.target.matches || !event.target.matches("[data-product-search]")) { return; }
    var tr = row(event.target);
    var box = tr.querySelector("[data-product-results]");
    if (box && !box.querySelector("[data-pick-product]")) { hideResults(tr); }
  });

  document.addEventListener("click", function (event) {
    form.querySelectorAll("[data-order-line]").forEach(function (tr) {
      if (!tr.contains(event.target)) { hideResults(tr); }
    });
  });

  // After a refused submission, a line that kept its product shows it came from the catalogue.
  form.querySelectorAll("[data-order-line]").forEach(function (tr) {
    var id = field(tr, "catalogue_product");
    var name = field(tr, "product");
    if (id && id.value && name) { name.dataset.picked = name.value; setPicked(tr, true); }
  });
})();
