// Segment rule builder: edits the rules JSON in a hidden input, shows a readable summary
// and a live count (htmx, from the server) after each change. Choices are picked in a
// searchable checkbox list with chips; messages appear only once a condition was touched
// or the form submitted. No inline script or style (CSP).
(function () {
  "use strict";
  var root = document.getElementById("rule-builder");
  if (!root) { return; }
  var catalogue = JSON.parse(document.getElementById(root.dataset.catalogue).textContent);
  var fields = {};
  catalogue.forEach(function (f) { fields[f.key] = f; });
  var target = document.getElementById(root.dataset.target);
  var form = document.getElementById("segment-form");
  var problem = document.getElementById("rules-problem");
  var labels = root.dataset;
  var MAX_DEPTH = 3;
  var NUMBER_KINDS = ["int_range", "money_range", "days_since", "age"];
  var PICKED_KINDS = ["choice", "tags", "static_list", "department", "text"];
  var touched = new WeakMap();
  var submitted = false;
  var rendering = false;
  var refocus = null;
  var rows = [];
  var uid = 0;
  var rules;
  try { rules = JSON.parse(target.value || "{}"); } catch (e) { rules = {}; }
  if (!rules.conditions) { rules = { match: "all", conditions: [] }; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

  function fill(template, value) { return template.replace("%(value)s", value); }

  function blank(v) { return v === null || v === undefined || String(v).trim() === ""; }

  function select(options, value, cls, label) {
    var s = el("select", cls || "form-select form-select-sm");
    if (label) { s.setAttribute("aria-label", label); }
    options.forEach(function (o) {
      var opt = el("option", null, o[1]);
      opt.value = o[0];
      if (String(o[0]) === String(value)) { opt.selected = true; }
      s.appendChild(opt);
    });
    return s;
  }

  function isNumber(field) { return NUMBER_KINDS.indexOf(field.kind) >= 0; }

  // Rules saved before ≥ and ≤ existed hold a one-sided "between": show them as ≥ / ≤.
  function normalise(group) {
    (group.conditions || []).forEach(function (item) {
      if (item.conditions) { normalise(item); return; }
      var field = fields[item.field];
      if (!field || !isNumber(field) || item.op !== "between" || !item.value) { return; }
      if (blank(item.value.max) && !blank(item.value.min)) { item.op = "gte"; item.value = item.value.min; }
      else if (blank(item.value.min) && !blank(item.value.max)) { item.op = "lte"; item.value = item.value.max; }
    });
  }

  function defaultValue(field, op, previous) {
    if (isNumber(field)) {
      var low = previous && typeof previous === "object" ? previous.min : previous;
      var high = previous && typeof previous === "object" ? previous.max : previous;
      if (op === "between") { return { min: blank(low) ? null : low, max: blank(high) ? null : high }; }
      var keep = op === "lte" ? high : low;
      return blank(keep) ? "" : keep;
    }
    switch (field.kind) {
      case "date":
        if (op === "never") { return null; }
        if (op === "date_between") { return { min: "", max: "" }; }
        return op === "within_days" || op === "not_within_days" ? 90 : "";
      case "consent": return field.choices.length ? field.choices[0][0] : "";
      case "manager": return op === "none" ? null : [];
      default: return Array.isArray(previous) ? previous : [];
    }
  }

  // The message for an incomplete condition, "" when it is fine.
  function problemOf(cond) {
    var field = fields[cond.field];
    if (!field) { return ""; }
    var v = cond.value;
    if (PICKED_KINDS.indexOf(field.kind) >= 0 || (field.kind === "manager" && cond.op !== "none")) {
      return Array.isArray(v) && v.length ? "" : labels.errorChoose;
    }
    if (isNumber(field)) {
      if (cond.op === "between") {
        if (!v || blank(v.min) || blank(v.max)) { return labels.errorBoth; }
        if (isNaN(Number(v.min)) || isNaN(Number(v.max))) { return labels.errorNumber; }
        return Number(v.min) > Number(v.max) ? labels.errorOrder : "";
      }
      return blank(v) || isNaN(Number(v)) ? labels.errorNumber : "";
    }
    if (field.kind === "date") {
      if (cond.op === "within_days" || cond.op === "not_within_days") {
        return blank(v) || !(Number(v) >= 1) ? labels.errorDays : "";
      }
      if (cond.op === "date_between") {
        if (!v || blank(v.min) || blank(v.max)) { return labels.errorDate; }
        return v.min > v.max ? labels.errorOrder : "";
      }
      if (cond.op !== "never") { return blank(v) ? labels.errorDate : ""; }
    }
    return "";
  }

  function allProblems() {
    return rows.filter(function (r) { return problemOf(r.cond); });
  }

  function showErrors() {
    rows.forEach(function (r) {
      var message = problemOf(r.cond);
      var visible = message && (submitted || touched.get(r.cond));
      r.error.textContent = visible ? message : "";
      r.error.classList.toggle("d-none", !visible);
      r.node.querySelectorAll("input:not([type=checkbox]):not([type=search]), .rule-picker-list").forEach(function (input) {
        input.classList.toggle("is-invalid", !!visible);
        if (visible) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      });
    });
    if (problem && submitted) {
      var any = allProblems().length > 0;
      problem.textContent = any ? labels.errorSummary : "";
      problem.classList.toggle("d-none", !any);
    }
  }

  // Leaving a condition by pressing a button (Save, Add condition): a message appearing
  // at mousedown would move the button away before mouseup and eat the click, so wait.
  var pointerDown = false;
  var pending = false;
  document.addEventListener("pointerdown", function () { pointerDown = true; }, true);
  document.addEventListener("pointerup", function () {
    pointerDown = false;
    if (pending) { pending = false; setTimeout(showErrors, 0); }
  }, true);
  function showErrorsSafely() {
    if (pointerDown) { pending = true; } else { showErrors(); }
  }

  // A searchable list of checkboxes with the chosen values as removable chips above it.
  // Text fields (regions, cities, …) may also take a value typed into the search box.
  function picker(cond, field) {
    var box = el("div", "rule-picker");
    var listId = nextId("rule-picker");
    var options = field.choices.slice();
    var known = {};
    options.forEach(function (o) { known[String(o[0])] = o[1]; });
    (cond.value || []).forEach(function (v) {
      if (!(String(v) in known)) { options.push([String(v), String(v)]); known[String(v)] = String(v); }
    });
    var chips = el("div", "rule-chips d-flex flex-wrap gap-1 mb-1");
    var search = el("input", "form-control form-control-sm rule-picker-search");
    search.type = "search";
    search.placeholder = labels.labelSearch;
    search.setAttribute("aria-label", field.label + " · " + labels.labelSearch);
    search.setAttribute("aria-controls", listId);
    search.autocomplete = "off";
    var list = el("div", "rule-picker-list border rounded mt-1");
    list.id = listId;
    list.setAttribute("role", "group");
    list.setAttribute("aria-label", field.label);
    list.tabIndex = -1;
    var addTyped = el("button", "btn btn-sm btn-outline-primary mt-1 d-none rule-picker-add");
    addTyped.type = "button";
    var empty = el("div", "small text-body-secondary px-2 py-1 d-none", labels.labelNoMatch);

    function chosen() { return (cond.value || []).map(String); }

    function setChosen(values) {
      cond.value = values;
      touched.set(cond, true);
      drawChips();
      changed();
    }

    function drawChips() {
      chips.replaceChildren();
      chosen().forEach(function (value) {
        var chip = el("span", "badge rounded-pill text-bg-primary d-inline-flex align-items-center gap-1 rule-chip");
        chip.appendChild(el("span", null, known[value] || value));
        var x = el("button", "btn-close btn-close-white rule-chip-remove");
        x.type = "button";
        x.setAttribute("aria-label", fill(labels.labelRemoveValue, known[value] || value));
        x.addEventListener("click", function () {
          setChosen(chosen().filter(function (v) { return v !== value; }));
          var box = list.querySelector("input[value=\"" + CSS.escape(value) + "\"]");
          if (box) { box.checked = false; }
          search.focus();
        });
        chip.appendChild(x);
        chips.appendChild(chip);
      });
    }

    function option(o) {
      var wrap = el("div", "form-check rule-picker-option");
      var input = el("input", "form-check-input");
      input.type = "checkbox";
      input.value = String(o[0]);
      input.id = nextId("rule-option");
      input.checked = chosen().indexOf(String(o[0])) >= 0;
      input.addEventListener("change", function () {
        var values = chosen().filter(function (v) { return v !== input.value; });
        if (input.checked) { values.push(input.value); }
        setChosen(values);
      });
      var label = el("label", "form-check-label", o[1]);
      label.htmlFor = input.id;
      wrap.dataset.search = String(o[1]).toLowerCase() + " " + String(o[0]).toLowerCase();
      wrap.appendChild(input);
      wrap.appendChild(label);
      return wrap;
    }

    function filter() {
      var q = search.value.trim().toLowerCase();
      var shown = 0;
      var exact = false;
      list.querySelectorAll(".rule-picker-option").forEach(function (row) {
        var match = !q || row.dataset.search.indexOf(q) >= 0;
        row.classList.toggle("d-none", !match);
        if (match) { shown += 1; }
        if (row.querySelector("input").value.toLowerCase() === q) { exact = true; }
      });
      empty.classList.toggle("d-none", shown > 0);
      var canAdd = field.kind === "text" && q && !exact;
      addTyped.classList.toggle("d-none", !canAdd);
      if (canAdd) { addTyped.textContent = "+ " + fill(labels.labelAddValue, search.value.trim()); }
    }

    function addSearchValue() {
      var value = search.value.trim();
      if (!value) { return; }
      if (!(value in known)) {
        known[value] = value;
        list.insertBefore(option([value, value]), empty);
      }
      var input = list.querySelector("input[value=\"" + CSS.escape(value) + "\"]");
      if (input) { input.checked = true; }
      if (chosen().indexOf(value) < 0) { setChosen(chosen().concat([value])); }
      search.value = "";
      filter();
    }

    options.forEach(function (o) { list.appendChild(option(o)); });
    list.appendChild(empty);
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();  // Enter in the search box never submits the form
      if (field.kind === "text") { addSearchValue(); return; }
      var visible = list.querySelectorAll(".rule-picker-option:not(.d-none) input");
      if (visible.length === 1) { visible[0].checked = !visible[0].checked; visible[0].dispatchEvent(new Event("change")); }
    });
    addTyped.addEventListener("click", addSearchValue);
    box.appendChild(chips);
    box.appendChild(search);
    box.appendChild(addTyped);
    box.appendChild(list);
    drawChips();
    filter();
    return box;
  }

  function numberInput(field, value, placeholder, onChange) {
    var input = el("input", "form-control form-control-sm");
    input.type = "number";
    input.inputMode = field.kind === "money_range" ? "decimal" : "numeric";
    input.step = field.kind === "money_range" ? "0.01" : "1";
    if (field.min !== null && field.min !== undefined) { input.min = field.min; }
    if (field.max !== null && field.max !== undefined) { input.max = field.max; }
    input.placeholder = placeholder;
    input.setAttribute("aria-label", field.label + " · " + placeholder);
    input.value = blank(value) ? "" : value;
    input.addEventListener("input", function () { onChange(input.value === "" ? null : input.value); });
    return input;
  }

  function valueEditor(cond, field) {
    var box = el("div", "rule-value");
    var kind = field.kind;
    if (PICKED_KINDS.indexOf(kind) >= 0 || (kind === "manager" && cond.op !== "none")) {
      box.appendChild(picker(cond, field));
    } else if (isNumber(field)) {
      if (cond.op === "between") {
        var group = el("div", "input-group input-group-sm");
        cond.value = cond.value && typeof cond.value === "object" ? cond.value : { min: null, max: null };
        group.appendChild(numberInput(field, cond.value.min, labels.labelMin, function (v) { cond.value.min = v; changed(); }));
        group.appendChild(el("span", "input-group-text", labels.labelAnd));
        group.appendChild(numberInput(field, cond.value.max, labels.labelMax, function (v) { cond.value.max = v; changed(); }));
        box.appendChild(group);
      } else {
        box.appendChild(numberInput(field, cond.value, field.label, function (v) { cond.value = v; changed(); }));
      }
    } else if (kind === "date" && cond.op === "date_between") {
      var dates = el("div", "input-group input-group-sm");
      cond.value = cond.value && typeof cond.value === "object" ? cond.value : { min: "", max: "" };
      ["min", "max"].forEach(function (end, i) {
        if (i) { dates.appendChild(el("span", "input-group-text", labels.labelAnd)); }
        var d = el("input", "form-control");
        d.type = "date";
        d.setAttribute("aria-label", field.label + " · " + labels[end === "min" ? "labelMin" : "labelMax"]);
        d.value = cond.value[end] || "";
        d.addEventListener("input", function () { cond.value[end] = d.value; changed(); });
        dates.appendChild(d);
      });
      box.appendChild(dates);
    } else if (kind === "date" && cond.op !== "never") {
      var input = el("input", "form-control form-control-sm");
      var isDays = cond.op === "within_days" || cond.op === "not_within_days";
      input.type = isDays ? "number" : "date";
      if (isDays) { input.min = 1; input.inputMode = "numeric"; input.placeholder = labels.labelDays; }
      input.setAttribute("aria-label", field.label);
      input.value = blank(cond.value) ? "" : cond.value;
      input.addEventListener("input", function () { cond.value = input.value; changed(); });
      box.appendChild(input);
    } else if (kind === "consent") {
      var channel = select(field.choices, cond.value, null, field.label);
      channel.addEventListener("change", function () { cond.value = channel.value; changed(); });
      box.appendChild(channel);
    }
    return box;
  }

  function conditionRow(cond, parent, index) {
    var row = el("div", "rule-condition border-bottom pb-2 mb-2");
    var grid = el("div", "row g-2 align-items-start");
    var field = fields[cond.field] || catalogue[0];
    var fieldSelect = select(catalogue.map(function (f) { return [f.key, f.label]; }), field.key,
      "form-select form-select-sm rule-field", labels.labelField);
    fieldSelect.addEventListener("change", function () {
      var f = fields[fieldSelect.value];
      cond.field = f.key;
      cond.op = f.ops[0].key;
      cond.value = defaultValue(f, cond.op);
      touched.delete(cond);
      refocus = { cond: cond, selector: ".rule-field" };
      render();
    });
    var opSelect = select(field.ops.map(function (o) { return [o.key, o.label]; }), cond.op,
      "form-select form-select-sm rule-op", labels.labelOperator);
    opSelect.addEventListener("change", function () {
      cond.value = defaultValue(field, opSelect.value, cond.value);
      cond.op = opSelect.value;
      refocus = { cond: cond, selector: ".rule-op" };
      render();
    });
    var remove = el("button", "btn btn-sm btn-outline-danger rule-remove", "×");
    remove.type = "button";
    remove.title = labels.labelRemove;
    remove.setAttribute("aria-label", labels.labelRemove);
    remove.addEventListener("click", function () { parent.conditions.splice(index, 1); render(); });
    var fieldCol = el("div", "col-12 col-md-4");
    fieldCol.appendChild(fieldSelect);
    var opCol = el("div", "col-10 col-md-3");
    opCol.appendChild(opSelect);
    var removeCol = el("div", "col-2 col-md-auto order-md-last text-end");
    removeCol.appendChild(remove);
    var valueCol = el("div", "col-12 col-md");
    valueCol.appendChild(valueEditor(cond, field));
    var error = el("div", "invalid-feedback d-block d-none rule-error");
    error.id = nextId("rule-error");
    error.setAttribute("role", "alert");
    valueCol.appendChild(error);
    valueCol.querySelectorAll("input, select").forEach(function (input) {
      input.setAttribute("aria-describedby", error.id);
    });
    grid.appendChild(fieldCol);
    grid.appendChild(opCol);
    grid.appendChild(removeCol);
    grid.appendChild(valueCol);
    row.appendChild(grid);
    // A condition counts as touched once the user has left it (or changed a choice).
    row.addEventListener("focusout", function (event) {
      if (rendering || !row.isConnected) { return; }  // redrawn, not left by the user
      if (event.relatedTarget && row.contains(event.relatedTarget)) { return; }
      touched.set(cond, true);
      showErrorsSafely();
    });
    rows.push({ cond: cond, node: row, error: error });
    return row;
  }

  function groupBox(group, parent, index, depth) {
    var box = el("div", depth > 1 ? "border rounded p-2 mb-2 rule-group" : "rule-group");
    var head = el("div", "d-flex gap-2 align-items-center mb-2");
    head.appendChild(el("span", "small text-body-secondary", labels.labelMatch));
    var match = select([["all", labels.labelAll], ["any", labels.labelAny]], group.match,
      "form-select form-select-sm w-auto rule-match", labels.labelMatch);
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
    var actions = el("div", "d-flex flex-wrap gap-2");
    var add = el("button", "btn btn-sm btn-outline-primary rule-add", "+ " + labels.labelAdd);
    add.type = "button";
    add.addEventListener("click", function () {
      var f = catalogue[0];
      group.conditions.push({ field: f.key, op: f.ops[0].key, value: defaultValue(f, f.ops[0].key) });
      render();
      var selects = root.querySelectorAll(".rule-field");
      if (selects.length) { selects[selects.length - 1].focus(); }
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
    var preview = document.getElementById("live-count");
    var incomplete = allProblems().length > 0;
    // An unfinished condition leaves the last preview greyed out rather than wrong.
    if (preview) { preview.classList.toggle("opacity-50", incomplete); }
    if (!window.htmx || incomplete) { return; }
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
    showErrors();
    clearTimeout(countTimer);
    countTimer = setTimeout(refreshCount, 300);
  }
  function render() {
    rows = [];
    rendering = true;
    try { root.replaceChildren(groupBox(rules, null, 0, 1)); } finally { rendering = false; }
    if (refocus) {
      // Keep the keyboard where it was: the redrawn field or operator select.
      var again = rows.filter(function (r) { return r.cond === refocus.cond; })[0];
      var control = again && again.node.querySelector(refocus.selector);
      if (control) { control.focus(); }
      refocus = null;
    }
    changed();
  }

  function isStatic() {
    var kind = form.querySelector("[name=kind]");
    return kind && kind.value === "static";
  }
  function toggleKind() {
    document.getElementById("rules-panel").classList.toggle("d-none", isStatic());
    document.getElementById("static-list-field").classList.toggle("d-none", !isStatic());
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "kind") { toggleKind(); }
    if (event.target.name === "department" || event.target.name === "kind") { changed(); }
  });
  form.addEventListener("submit", function (event) {
    if (isStatic()) { return; }
    submitted = true;
    showErrors();
    var bad = allProblems();
    if (bad.length) {
      event.preventDefault();
      var first = bad[0].node.querySelector("input, select");
      if (first) { first.focus(); }
    }
  });
  normalise(rules);
  toggleKind();
  render();
})();
