// Budgets overview: spending per month and so far against the allocated and committed
// amounts. The data comes from the card's data-chart attribute (the CSP forbids inline
// scripts).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("budget-chart");
    var canvas = document.getElementById("budget-chart-canvas");
    if (!source || !canvas || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.dataset.chart);
    var number = function (value) { return value === null ? null : Number(value); };
    var datasets = [
      { type: "bar", label: data.labels.spent, data: data.spent.map(number), backgroundColor: "#0d6efd" },
      { type: "line", label: data.labels.cumulative, data: data.cumulative.map(number), borderColor: "#fd7e14", backgroundColor: "#fd7e14", tension: 0.2 },
      { type: "line", label: data.labels.committed, data: data.months.map(function () { return number(data.committed); }), borderColor: "#6c757d", borderDash: [6, 4], pointRadius: 0 }
    ];
    if (data.allocated !== null) {
      datasets.push({ type: "line", label: data.labels.allocated, data: data.months.map(function () { return number(data.allocated); }), borderColor: "#198754", borderDash: [2, 2], pointRadius: 0 });
    }
    new window.Chart(canvas, {
      data: { labels: data.months, datasets: datasets },
      options: {
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { callback: function (v) { return "¥" + Number(v).toLocaleString(); } } } }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
