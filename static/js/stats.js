/* openday participation charts (Apache ECharts, vendored). The page carries the aggregates in
   <script type="application/json" id="stats-data"> (CSP allows no inline scripts), and each chart
   container is sized by CSS (.chart). Every chart repeats a table on the same page, which stays
   the accessible source of the figures.

   Running ECharts and drawing a chart each take a long main-thread task on a phone, and the charts
   sit below the key figures, so the bundle (data-bundle on this script's tag) is run only when a
   chart comes near the screen, and fetched ahead of that only once the page has loaded, where it
   takes no bandwidth from the page itself; each chart is drawn in a task of its own, so that taps
   and scrolling get the thread between them. */
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  var bundle = document.currentScript && document.currentScript.dataset.bundle;
  if (!source || !bundle) { return; }
  var data;
  try { data = JSON.parse(source.textContent); } catch (e) { return; }
  var labels = data.labels || {};
  var brand = ["#0b5394", "#6a329f", "#38761d", "#a64d00", "#5b5b5b", "#3d85c6", "#b45f06"];
  // richText tooltips are drawn on the canvas: no HTML with style attributes, which CSP forbids.
  var tooltip = { renderMode: "richText", confine: true };

  var options = {
    "chart-region": function () {
      var region = data.region || { names: [] };
      return {
        tooltip: Object.assign({ trigger: "axis" }, tooltip),
        grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: region.names.slice().reverse(),
                 axisLabel: { interval: 0 } },
        series: [{ name: labels.visits, type: "bar",
                   data: (region.visits || []).slice().reverse() }]
      };
    },
    "chart-date": function () {
      var dates = data.dates || { days: [] };
      return {
        tooltip: Object.assign({ trigger: "axis" }, tooltip),
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        legend: { top: 0 },
        xAxis: { type: "category", data: dates.days, boundaryGap: false },
        yAxis: { type: "value" },
        series: [
          { name: labels.bookings, type: "line", data: dates.bookings, smooth: false },
          { name: labels.visits, type: "line", data: dates.visits, smooth: false }
        ]
      };
    },
    "chart-kind": function (el) {
      var narrow = el.clientWidth < 480;  // phones: the legend names the slices
      return {
        tooltip: Object.assign({ trigger: "item" }, tooltip),
        legend: { bottom: 0 },
        series: [{ name: labels.people, type: "pie", radius: ["35%", "65%"],
                   center: ["50%", "45%"], data: data.kinds || [],
                   label: { show: !narrow, formatter: "{b}\n{d}%" } }]
      };
    }
  };

  var boxes = Object.keys(options).map(function (id) { return document.getElementById(id); })
    .filter(Boolean);
  var charts = [];
  var taken = [];      // boxes drawn or waiting to be
  var queue = [];      // boxes near the screen, waiting for the bundle or for their turn
  var loading = false;

  function draw(el) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var option = options[el.id](el);
    option.color = brand;
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
  }

  function drawNext() {
    var el = queue.shift();
    if (!el) { return; }
    draw(el);
    if (queue.length) { window.setTimeout(drawNext, 0); }
  }

  function want(el) {
    if (taken.indexOf(el) >= 0) { return; }
    taken.push(el);
    queue.push(el);
    if (typeof echarts !== "undefined") {
      if (queue.length === 1) { window.setTimeout(drawNext, 0); }
      return;
    }
    if (loading) { return; }
    loading = true;
    var script = document.createElement("script");
    script.src = bundle;
    // Its own task after the bundle's: running ECharts and the first chart are two long tasks.
    script.onload = function () { window.setTimeout(drawNext, 0); };
    document.body.appendChild(script);
  }

  if (!("IntersectionObserver" in window)) {
    boxes.forEach(want);
  } else {
    var observer = null;
    var watch = function (margin) {
      if (observer) { observer.disconnect(); }
      observer = new IntersectionObserver(function (entries, self) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting) {
            self.unobserve(entry.target);
            want(entry.target);
          }
        });
      }, { rootMargin: margin });
      boxes.forEach(function (el) {
        if (taken.indexOf(el) < 0) { observer.observe(el); }
      });
    };
    // Before the reader moves, only a chart already showing on the first screen is drawn; once
    // they scroll, charts within a screen's height ahead are, so each is ready when it arrives.
    watch("0px");
    window.addEventListener("scroll", function () { watch("100% 0px"); },
                            { once: true, passive: true });
  }

  // Fetched, not run: the script element above finds it in the cache.
  function prefetch() {
    if (loading) { return; }
    var link = document.createElement("link");
    link.rel = "prefetch";
    link.as = "script";
    link.href = bundle;
    document.head.appendChild(link);
  }
  var idle = window.requestIdleCallback || function (callback) { window.setTimeout(callback, 1); };
  if (document.readyState === "complete") {
    idle(prefetch);
  } else {
    window.addEventListener("load", function () { idle(prefetch); }, { once: true });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) { chart.resize(); });
    }, 150);
  });
}());
