// The dashboard: the period picker shows the inputs of the chosen kind, and the charts are
// drawn from the JSON the page carries in <script type="application/json"
// id="dashboard-data"> (the CSP forbids inline scripts). Each canvas gets data-drawn="1".
(function () {
  "use strict";
  var PALETTE = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#adb5bd", "#d63384", "#198754"];

  function pickerKind() {
    var kind = document.getElementById("period-kind");
    if (!kind) { return; }
    function apply() {
      var custom = kind.value === "custom";
      document.querySelectorAll(".js-period-on").forEach(function (box) {
        box.classList.toggle("d-none", custom);
        box.querySelectorAll("input").forEach(function (input) { input.disabled = custom; });
      });
      document.querySelectorAll(".js-period-custom").forEach(function (box) {
        box.classList.toggle("d-none", !custom);
        box.querySelectorAll("input").forEach(function (input) { input.disabled = !custom; });
      });
    }
    kind.addEventListener("change", apply);
    apply();
  }

  function money(value) { return "¥" + Number(value).toLocaleString(); }

  function drawn(canvas) { canvas.dataset.drawn = "1"; }

  function salesChart(data) {
    var canvas = document.getElementById("chart-sales");
    if (!canvas) { return; }
    new window.Chart(canvas, {
      data: {
        labels: data.months,
        datasets: [
          { type: "bar", label: data.labels.spend, data: data.spend, backgroundColor: PALETTE[0], yAxisID: "y" },
          { type: "line", label: data.labels.orders, data: data.orders, borderColor: PALETTE[2], backgroundColor: PALETTE[2], tension: 0.2, yAxisID: "y1" }
        ]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          y: { beginAtZero: true, ticks: { callback: money } },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } }
        }
      }
    });
    drawn(canvas);
  }

  function customersChart(data) {
    var canvas = document.getElementById("chart-customers");
    if (!canvas) { return; }
    var datasets = [
      { label: data.labels.buyers, data: data.buyers, borderColor: PALETTE[1], backgroundColor: PALETTE[1], tension: 0.2 },
      { label: data.labels.vips, data: data.vips, borderColor: PALETTE[3], backgroundColor: PALETTE[3], tension: 0.2 }
    ];
    if (data.vipTarget.some(function (value) { return value !== null; })) {
      datasets.push({ label: data.labels.vipTarget, data: data.vipTarget, borderColor: "#198754", borderDash: [6, 4], pointRadius: 0, fill: false });
    }
    new window.Chart(canvas, {
      type: "line",
      data: { labels: data.months, datasets: datasets },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    drawn(canvas);
  }

  function targetsChart(data) {
    var canvas = document.getElementById("chart-targets");
    if (!canvas) { return; }
    var colours = data.values.map(function (value, index) {
      var target = data.targets[index];
      if (value === null || target === null) { return "#adb5bd"; }
      var met = data.ceiling[index] ? value <= target : value >= target;
      return met ? "#198754" : "#dc3545";
    });
    new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          { type: "bar", label: data.labelValue, data: data.values, backgroundColor: colours },
          { type: "line", label: data.labelTarget, data: data.targets, showLine: false, borderColor: "#212529", backgroundColor: "#212529", pointStyle: "line", pointRadius: 14, pointRotation: 90, borderWidth: 3 }
        ]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: "y",
        scales: { x: { beginAtZero: true, suggestedMax: 100 } }
      }
    });
    drawn(canvas);
  }

  function breakdownCharts(breakdowns) {
    document.querySelectorAll(".js-breakdown-chart").forEach(function (canvas) {
      var data = breakdowns[Number(canvas.dataset.breakdown)];
      if (!data) { return; }
      new window.Chart(canvas, {
        type: "doughnut",
        data: { labels: data.labels, datasets: [{ data: data.counts, backgroundColor: PALETTE }] },
        options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } } }
      });
      drawn(canvas);
    });
  }

  function charts() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    salesChart(data.trend);
    customersChart(data.trend);
    targetsChart(data.targets);
    breakdownCharts(data.breakdowns);
  }

  document.addEventListener("DOMContentLoaded", function () {
    pickerKind();
    charts();
  });
})();
