/* openday participation charts (Apache ECharts, vendored). The page carries the aggregates in
   <script type="application/json" id="stats-data"> (CSP allows no inline scripts), and each chart
   container is sized by CSS (.chart). Every chart repeats a table on the same page, which stays
   the accessible source of the figures. */
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data;
  try { data = JSON.parse(source.textContent); } catch (e) { return; }
  var labels = data.labels || {};
  var brand = ["#0b5394", "#6a329f", "#38761d", "#a64d00", "#5b5b5b", "#3d85c6", "#b45f06"];
  // richText tooltips are drawn on the canvas: no HTML with style attributes, which CSP forbids.
  var tooltip = { renderMode: "richText", confine: true };
  var charts = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.color = brand;
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
  }

  var region = data.region || { names: [] };
  draw("chart-region", {
    tooltip: Object.assign({ trigger: "axis" }, tooltip),
    grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
    xAxis: { type: "value" },
    yAxis: { type: "category", data: region.names.slice().reverse(),
             axisLabel: { interval: 0 } },
    series: [{ name: labels.visits, type: "bar", data: (region.visits || []).slice().reverse() }]
  });

  var dates = data.dates || { days: [] };
  draw("chart-date", {
    tooltip: Object.assign({ trigger: "axis" }, tooltip),
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    legend: { top: 0 },
    xAxis: { type: "category", data: dates.days, boundaryGap: false },
    yAxis: { type: "value" },
    series: [
      { name: labels.bookings, type: "line", data: dates.bookings, smooth: false },
      { name: labels.visits, type: "line", data: dates.visits, smooth: false }
    ]
  });

  var kindBox = document.getElementById("chart-kind");
  var narrow = kindBox && kindBox.clientWidth < 480;  // phones: the legend names the slices
  draw("chart-kind", {
    tooltip: Object.assign({ trigger: "item" }, tooltip),
    legend: { bottom: 0 },
    series: [{ name: labels.people, type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
               data: data.kinds || [],
               label: { show: !narrow, formatter: "{b}\n{d}%" } }]
  });

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) { chart.resize(); });
    }, 150);
  });
}());
