// Segment rule builder: edits the rules JSON in a hidden input and asks the server for a
// live count (htmx) after each change. No inline script or style (CSP).
(function () {
  "use strict";
  var root = document.getElementById("rule-builder");
  if (!root) { return; }
  var catalogue = JSON.parse(document.getElementById(root.dataset.catalogue).textContent);
  var fields = {};
  catalogue.forEach(function (f) { fields[f.key] = f; });
  var target = document.getElementById(root.dataset.target);
  var form = document.getElementById("segment-form");
  var labels = root.dataset;
  var MAX_DEPTH = 3;
  var rules;
  try { rules = JSON.parse(target.value || "{}"); } catch (e) { rules = {}; }
  if (!rules.conditions) { rules = { match: "all", conditions: [] }; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function select(options, value, cls) {
    var s = el("select", cls || "form-select form-select-sm");
    options.forEach(function (o) {
      var opt = el("option", null, o[1]);
      opt.value = o[0];
      if (String(o[0]) === String(value)) { opt.selected = true; }
      s.appendChild(opt);
    });
    return s;
  }

  function defaultValue(field, op) {
    switch (field.kind) {
      case "int_range": case "money_range": return { min: null, max: null };
      case "date": return op === "never" ? null : (op === "after" || op === "before" ? "" : 90);
      case "consent": return field.choices.length ? field.choices[0][0] : "";
      case "manager": return op === "none" ? null : [];
      default: return [];
    }
  }

  function valueEditor(cond, field) {
    var box = el("div", "flex-grow-1");
    var kind = field.kind;
    if (kind === "choice" || kind === "tags" || kind === "static_list" || (kind === "manager" && cond.op !== "none")) {
      var multi = select(field.choices, null, "form-select form-select-sm rule-multi");
      multi.multiple = true;
      multi.size = Math.min(5, Math.max(2, field.choices.length));
      var chosen = (cond.value || []).map(String);
      Array.prototype.forEach.call(multi.options, function (o) { o.selected = chosen.indexOf(o.value) >= 0; });
      multi.addEventListener("change", function () {
        cond.value = Array.prototype.filter.call(multi.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
        changed();
      });
      box.appendChild(multi);
    } else if (kind === "text") {
      var text = el("input", "form-control form-control-sm");
      text.placeholder = labels.labelValues;
      text.value = (cond.value || []).join(", ");
      text.addEventListener("change", function () {
        cond.value = text.value.split(",").map(function (v) { return v.trim(); }).filter(Boolean);
        changed();
      });
      box.appendChild(text);
    } else if (kind === "int_range" || kind === "money_range") {
      var group = el("div", "input-group input-group-sm");
      ["min", "max"].forEach(function (end) {
        var input = el("input", "form-control");
        input.type = "number";
        input.step = kind === "money_range" ? "0.01" : "1";
        if (field.min !== null && field.min !== undefined) { input.min = field.min; }
        if (field.max !== null && field.max !== undefined) { input.max = field.max; }
        input.placeholder = labels[end === "min" ? "labelMin" : "labelMax"];
        input.value = cond.value && cond.value[end] !== null && cond.value[end] !== undefined ? cond.value[end] : "";
        input.addEventListener("change", function () {
          cond.value = cond.value || {};
          cond.value[end] = input.value === "" ? null : input.value;
          changed();
        });
        group.appendChild(input);
      });
      box.appendChild(group);
    } else if (kind === "date" && cond.op !== "never") {
      var input = el("input", "form-control form-control-sm");
      var isDays = cond.op === "within_days" || cond.op === "not_within_days";
      input.type = isDays ? "number" : "date";
      if (isDays) { input.min = 1; input.placeholder = labels.labelDays; }
      input.value = cond.value === null || cond.value === undefined ? "" : cond.value;
      input.addEventListener("change", function () { cond.value = input.value; changed(); });
      box.appendChild(input);
    } else if (kind === "consent") {
      var channel = select(field.choices, cond.value);
      channel.addEventListener("change", function () { cond.value = channel.value; changed(); });
      box.appendChild(channel);
    }
    return box;
  }

  function conditionRow(cond, parent, index) {
    var row = el("div", "d-flex flex-wrap gap-2 align-items-start mb-2 rule-condition");
    var field = fields[cond.field] || catalogue[0];
    var fieldSelect = select(catalogue.map(function (f) { return [f.key, f.label]; }), field.key, "form-select form-select-sm rule-field");
    fieldSelect.addEventListener("change", function () {
      var f = fields[fieldSelect.value];
      cond.field = f.key;
      cond.op = f.ops[0].key;
      cond.value = defaultValue(f, cond.op);
      render();
    });
    var opSelect = select(field.ops.map(function (o) { return [o.key, o.label]; }), cond.op, "form-select form-select-sm rule-op");
    opSelect.addEventListener("change", function () {
      cond.op = opSelect.value;
      cond.value = defaultValue(field, cond.op);
      render();
    });
    var remove = el("button", "btn btn-sm btn-outline-danger", "×");
    remove.type = "button";
    remove.title = labels.labelRemove;
    remove.setAttribute("aria-label", labels.labelRemove);
    remove.addEventListener("click", function () { parent.conditions.splice(index, 1); render(); });
    row.appendChild(fieldSelect);
    row.appendChild(opSelect);
    row.appendChild(valueEditor(cond, field));
    row.appendChild(remove);
    return row;
  }

  function groupBox(group, parent, index, depth) {
    var box = el("div", depth > 1 ? "border rounded p-2 mb-2 rule-group" : "rule-group");
    var head = el("div", "d-flex gap-2 align-items-center mb-2");
    head.appendChild(el("span", "small text-body-secondary", labels.labelMatch));
    var match = select([["all", labels.labelAll], ["any", labels.labelAny]], group.match, "form-select form-select-sm w-auto rule-match");
    match.addEventListener("change", function () { group.match = match.value; changed(); });
    head.appendChild(match);
    if (parent) {
      var remove = el("button", "btn btn-sm btn-outline-danger ms-auto", labels.labelRemove);
      remove.type = "button";
      remove.addEventListener("click", function () { parent.conditions.splice(index, 1); render(); });
      head.appendChild(remove);
    }
    box.appendChild(head);
    if (!group.conditions.length) { box.appendChild(el("p", "small text-body-secondary mb-2", labels.labelEmpty)); }
    group.conditions.forEach(function (item, i) {
      box.appendChild(item.conditions ? groupBox(item, group, i, depth + 1) : conditionRow(item, group, i));
    });
    var actions = el("div", "d-flex gap-2");
    var add = el("button", "btn btn-sm btn-outline-primary rule-add", "+ " + labels.labelAdd);
    add.type = "button";
    add.addEventListener("click", function () {
      var f = catalogue[0];
      group.conditions.push({ field: f.key, op: f.ops[0].key, value: defaultValue(f, f.ops[0].key) });
      render();
    });
    actions.appendChild(add);
    if (depth < MAX_DEPTH) {
      var sub = el("button", "btn btn-sm btn-outline-secondary rule-add-group", "+ " + labels.labelGroup);
      sub.type = "button";
      sub.addEventListener("click", function () { group.conditions.push({ match: "any", conditions: [] }); render(); });
      actions.appendChild(sub);
    }
    box.appendChild(actions);
    return box;
  }

  var countTimer = null;
  function refreshCount() {
    if (!window.htmx) { return; }
    var department = form.querySelector("[name=department]");
    var kind = form.querySelector("[name=kind]");
    htmx.ajax("POST", root.dataset.countUrl, {
      target: "#live-count",
      swap: "innerHTML",
      values: { rules_json: target.value, department: department ? department.value : "", kind: kind ? kind.value : "dynamic" }
    });
  }
  function changed() {
    target.value = JSON.stringify(rules);
    clearTimeout(countTimer);
    countTimer = setTimeout(refreshCount, 300);
  }
  function render() {
    root.replaceChildren(groupBox(rules, null, 0, 1));
    changed();
  }

  function toggleKind() {
    var kind = form.querySelector("[name=kind]");
    var isStatic = kind && kind.value === "static";
    document.getElementById("rules-panel").classList.toggle("d-none", isStatic);
    document.getElementById("static-list-field").classList.toggle("d-none", !isStatic);
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind") { toggleKind(); }
    if (event.target.name === "department" || event.target.name === "kind") { changed(); }
  });
  toggleKind();
  render();
})();
