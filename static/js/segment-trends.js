// Segment trends tab: monthly spend, purchase frequency and category shares. The data comes
// from the json_script block "trend-data" (the CSP forbids inline scripts); amounts arrive
// as text so that Decimal values stay exact until Chart.js reads them. The range form keeps
// its two ways of choosing apart: a preset clears the months, a month picks "chosen here".
(function () {
  "use strict";
  var COLOURS = ["#0d6efd", "#fd7e14", "#198754", "#6f42c1", "#d63384", "#20c997", "#ffc107", "#0dcaf0", "#adb5bd"];
  function number(value) { return value === null ? null : Number(value); }
  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new window.Chart(canvas, config); }
  }
  function rangeForm() {
    var preset = document.getElementById("t-months");
    var months = [document.getElementById("t-from"), document.getElementById("t-to")];
    if (!preset || !months[0] || !months[1]) { return; }
    preset.addEventListener("change", function () {
      if (preset.value) { months.forEach(function (input) { input.value = ""; }); }
    });
    months.forEach(function (input) {
      input.addEventListener("change", function () { if (input.value) { preset.value = ""; } });
    });
  }
  function draw() {
    var source = document.getElementById("trend-data");
    var holder = document.getElementById("segment-trends");
    if (!source || !holder || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var money = function (value) { return "¥" + Number(value).toLocaleString(); };
    chart("trend-spend-chart", {
      type: "bar",
      data: { labels: data.months, datasets: [{ label: data.labels.spend, data: data.spend.map(number), backgroundColor: COLOURS[0] }] },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { callback: money } } } }
    });
    chart("trend-frequency-chart", {
      data: {
        labels: data.months,
        datasets: [
          { type: "line", label: data.labels.per_buyer, data: data.per_buyer.map(number), borderColor: COLOURS[1], backgroundColor: COLOURS[1], yAxisID: "perBuyer", tension: 0.2, spanGaps: true },
          { type: "bar", label: data.labels.buyers, data: data.buyers, backgroundColor: COLOURS[0], yAxisID: "buyers" }
        ]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          buyers: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
          perBuyer: { type: "linear", position: "right", beginAtZero: true, grid: { drawOnChartArea: false } }
        }
      }
    });
    chart("trend-category-chart", {
      type: "bar",
      data: {
        labels: data.months,
        datasets: data.categories.map(function (category, index) {
          return { label: category.label, data: category.shares.map(number), backgroundColor: COLOURS[index % COLOURS.length] };
        })
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, max: 100, title: { display: true, text: data.labels.share } }
        }
      }
    });
    holder.dataset.drawn = "1";
  }
  document.addEventListener("DOMContentLoaded", function () { rangeForm(); draw(); });
})();
