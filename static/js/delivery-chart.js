// Campaign page: the delivery card's charts (funnel bars and the daily series). The data
// comes from the card's data-chart attribute (htmx loads the card and drops <script>
// elements, and the CSP forbids inline scripts anyway).
(function () {
  "use strict";
  var charts = [];

  function draw(root) {
    var source = root.querySelector("#delivery-charts");
    if (!source || typeof window.Chart === "undefined") { return; }
    var data = JSON.parse(source.dataset.chart);
    var labels = data.labels;
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    var funnel = document.getElementById("delivery-funnel");
    if (funnel) {
      charts.push(new window.Chart(funnel, {
        type: "bar",
        data: {
          labels: labels.funnel,
          datasets: [{ label: labels.funnel_title, data: data.funnel, backgroundColor: "#0d6efd" }]
        },
        options: {
          indexAxis: "y",
          animation: false,
          plugins: { legend: { display: false }, title: { display: true, text: labels.funnel_title } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
        }
      }));
    }
    var series = document.getElementById("delivery-series");
    if (series && data.series.days.length) {
      var colours = { sent: "#0d6efd", delivered: "#198754", opened: "#fd7e14", clicked: "#6f42c1" };
      charts.push(new window.Chart(series, {
        type: "line",
        data: {
          labels: data.series.days,
          datasets: ["sent", "delivered", "opened", "clicked"].map(function (name) {
            return {
              label: labels[name],
              data: data.series[name],
              borderColor: colours[name],
              backgroundColor: colours[name],
              tension: 0.2
            };
          })
        },
        options: {
          animation: false,
          plugins: { title: { display: true, text: labels.series_title } },
          scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
        }
      }));
    }
  }

  function drawOnce() {
    var source = document.getElementById("delivery-charts");
    if (source && !source.dataset.drawn) {
      source.dataset.drawn = "1";
      draw(document);
    }
  }
  document.addEventListener("DOMContentLoaded", drawOnce);
  // htmx:load fires on the swapped-in card (the replaced placeholder is detached).
  document.body.addEventListener("htmx:load", drawOnce);
})();
