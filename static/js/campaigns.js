// Campaign form: show only the schedule fields of the chosen kind, and let the kind of care
// follow the campaign kind until staff choose one themselves (the CSP forbids inline
// scripts, so this lives here).
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  if (!form) { return; }
  function value(name) {
    var field = form.elements[name];
    return field ? field.value : "";
  }
  function update() {
    var kind = value("kind");
    var source = value("holiday_source");
    var recurrence = value("recurrence");
    form.querySelectorAll(".js-kind").forEach(function (block) {
      var show = block.dataset.kinds.split(" ").indexOf(kind) !== -1;
      if (show && block.dataset.holidaySource) { show = block.dataset.holidaySource === source; }
      if (show && block.dataset.recurrence) { show = block.dataset.recurrence === recurrence; }
      block.hidden = !show;
    });
    var frequency = value("rule_frequency");
    var monthMode = value("rule_month_mode") || "day";
    form.querySelectorAll(".js-rule").forEach(function (block) {
      var show = block.dataset.frequencies.split(" ").indexOf(frequency) !== -1;
      if (show && block.dataset.monthMode && frequency === "MONTHLY") { show = block.dataset.monthMode === monthMode; }
      block.hidden = !show;
    });
  }
  // "birthday:birthday,holiday:holiday,…" from the form (campaigns.forms.CampaignForm).
  var careKind = form.elements.care_kind;
  var defaults = {};
  if (careKind && careKind.dataset.defaults) {
    careKind.dataset.defaults.split(",").forEach(function (pair) {
      var parts = pair.split(":");
      defaults[parts[0]] = parts[1];
    });
  }
  // It follows the kind while it is empty or still the current kind's default.
  var follows = careKind && (!careKind.value || careKind.value === defaults[value("kind")]);
  function followKind() {
    if (follows && defaults[value("kind")]) { careKind.value = defaults[value("kind")]; }
  }
  form.addEventListener("change", function (event) {
    if (event.target === careKind) { follows = !careKind.value; }
    if (event.target.name === "kind") { followKind(); }
    if (["kind", "holiday_source", "recurrence", "rule_frequency", "rule_month_mode"].indexOf(event.target.name) !== -1) { update(); }
  });
  update();
})();
