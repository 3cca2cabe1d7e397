// Event review page: the before/after bars. The data comes from the chart's data-chart
// attribute (the CSP forbids inline scripts); amounts arrive as text, Chart.js reads them.
(function () {
  "use strict";
  function draw() {
    var holder = document.getElementById("review-chart");
    var canvas = document.getElementById("review-uplift-chart");
    if (!holder || !canvas || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(holder.dataset.chart);
    var colours = ["#0d6efd", "#6f42c1", "#adb5bd"];
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series, index) {
          return { label: series.label, data: series.data, backgroundColor: colours[index % colours.length] };
        })
      },
      options: {
        animation: false,
        plugins: { title: { display: false, text: data.title } },
        scales: { y: { beginAtZero: true } }
      }
    });
    holder.dataset.drawn = "1";
  }
  document.addEventListener("DOMContentLoaded", draw);
})();
