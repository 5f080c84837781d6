// Draws the dashboard's charts from the figures the page embeds (json_script); Chart.js is served locally.
(function () {
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  if (typeof Chart === "undefined") return;  // the tables carry every figure without the charts
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.animation = false;
  const red = "#b3261e", green = "#1a7f37", amber = "#b26a00", blue = "#0b57d0", grey = "#9aa0a6";
  new Chart(document.getElementById("chart-categories"), {
    type: "bar",
    data: {
      labels: data.categories,
      datasets: [
        {label: data.labels.open, data: data.open, backgroundColor: amber},
        {label: data.labels.rectified, data: data.rectified, backgroundColor: green},
      ],
    },
    options: {indexAxis: "y", responsive: true, scales: {x: {stacked: true, beginAtZero: true, ticks: {precision: 0}}, y: {stacked: true}}},
  });
  new Chart(document.getElementById("chart-measures"), {
    type: "doughnut",
    data: {labels: data.measureLabels, datasets: [{data: data.measures, backgroundColor: [red, blue, amber, green, grey]}]},
    options: {responsive: true, plugins: {legend: {position: "right"}}},
  });
  new Chart(document.getElementById("chart-timeline"), {
    type: "line",
    data: {
      labels: data.timeline.labels,
      datasets: [
        {label: data.labels.created, data: data.timeline.created, borderColor: blue, pointRadius: 0},
        {label: data.labels.closed, data: data.timeline.closed, borderColor: green, pointRadius: 0},
      ],
    },
    options: {responsive: true, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}},
  });
})();
