// Survey results: one bar chart per question and the quarterly trend. The data comes
// from each holder's data-chart attribute (the CSP forbids inline scripts).
(function () {
  "use strict";
  var COLOURS = { rating: "#0d6efd", nps: "#6f42c1", single: "#20c997", multiple: "#fd7e14" };
  function questionChart(holder) {
    var data = JSON.parse(holder.dataset.chart);
    new window.Chart(holder.querySelector("canvas"), {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.title, data: data.data, backgroundColor: COLOURS[data.type] || "#0d6efd" }]
      },
      options: {
        animation: false,
        indexAxis: data.type === "single" || data.type === "multiple" ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
    holder.dataset.drawn = "1";
  }
  function trendChart(holder) {
    var data = JSON.parse(holder.dataset.chart);
    var colours = ["#0d6efd", "#6f42c1"];
    new window.Chart(holder.querySelector("canvas"), {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, index) {
          return { label: series.label, data: series.data, borderColor: colours[index], backgroundColor: colours[index], spanGaps: true };
        })
      },
      options: { animation: false, scales: { y: { suggestedMin: -100, suggestedMax: 100 } } }
    });
    holder.dataset.drawn = "1";
  }
  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    document.querySelectorAll(".js-result-chart").forEach(questionChart);
    document.querySelectorAll(".js-trend-chart").forEach(trendChart);
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
