// Draws an opinion map: each participant a point in the plane, coloured by opinion group (json_script data);
// Chart.js is served locally. The page's lists carry every figure without the chart.
(function () {
  const source = document.getElementById("opinion-map-data");
  const canvas = document.getElementById("opinion-map-chart");
  if (!source || !canvas || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  // The same colours as the group cards (.group-0, .group-1 ... in the page's style).
  const palette = ["#0b57d0", "#b3261e", "#1a7f37", "#b26a00", "#7b1fa2", "#00838f", "#5d4037", "#c2185b"];
  const grey = "rgba(120, 126, 134, 0.45)";
  Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  Chart.defaults.animation = false;
  const byGroup = new Map();
  for (const [x, y, g] of data.points) {
    if (!byGroup.has(g)) byGroup.set(g, []);
    byGroup.get(g).push({x: x, y: y});
  }
  const datasets = data.groups.map(function (group, i) {
    const colour = palette[i % palette.length];
    return {
      label: data.labels.group.replace("%s", group.label) + " (" + group.size + ")",
      data: byGroup.get(group.id) || [],
      backgroundColor: colour + "99",
      borderColor: colour,
      pointRadius: 3,
    };
  });
  if (byGroup.has(-1)) {
    datasets.push({label: data.labels.unclustered, data: byGroup.get(-1), backgroundColor: grey, borderColor: grey, pointRadius: 2});
  }
  canvas.dataset.points = String(data.points.length);
  const chart = new Chart(canvas, {
    type: "scatter",
    data: {datasets: datasets},
    options: {
      responsive: true,
      maintainAspectRatio: false,
      plugins: {
        legend: {position: "bottom"},
        tooltip: {callbacks: {label: function (item) { return item.dataset.label; }}},
      },
      scales: {
        x: {ticks: {display: false}, grid: {color: "#eef1f5"}, border: {display: false}},
        y: {ticks: {display: false}, grid: {color: "#eef1f5"}, border: {display: false}},
      },
    },
  });
  canvas.dataset.drawn = chart ? "yes" : "no";
})();
