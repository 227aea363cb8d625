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
  var label = data.label || "";
  var brand = ["#0b5394", "#6a329f", "#38761d", "#a64d00", "#5b5b5b", "#3d85c6", "#b45f06"];
  // richText tooltips are drawn on the canvas: no HTML with style attributes, which CSP forbids.
  var tooltip = { renderMode: "richText", confine: true };
  var measure = data.measure || "visits";

  function mapOption(block) {
    var values = block.regions.map(function (r) { return r[measure] || 0; });
    var most = Math.max.apply(null, values.concat([1]));
    return {
      animation: false,
      tooltip: Object.assign({ trigger: "item" }, tooltip),
      visualMap: { type: "continuous", min: 0, max: most, left: 8, bottom: 8, calculable: false,
                   text: [String(most), "0"], itemHeight: 90,
                   inRange: { color: ["#e8f0fe", "#3d85c6", "#073763"] } },
      series: [{ name: label, type: "map", map: block.name, roam: false, selectedMode: false,
                 layoutCenter: ["50%", "50%"], layoutSize: "95%",
                 label: { show: false }, emphasis: { label: { show: true } },
                 data: block.regions.map(function (r) {
                   return { name: r.name, value: r[measure] || 0, adcode: r.adcode,
                            drill: r.drill };
                 }) }]
    };
  }

  // A map is registered once under its name (the country's as "china", so ECharts adds the
  // South China Sea islands inset) and its GeoJSON fetched from static/ only when first drawn.
  var registered = {};
  function withMap(block, done) {
    if (registered[block.name]) { done(); return; }
    fetch(block.url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
      .then(function (geo) {
        echarts.registerMap(block.name, geo);
        registered[block.name] = true;
        done();
      });
  }

  var options = {
    "chart-region": function () {
      var region = data.region || { names: [] };
      return {
        tooltip: Object.assign({ trigger: "axis" }, tooltip),
        grid: { left: 8, right: 48, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: "value" },
        yAxis: { type: "category", data: region.names.slice().reverse(),
                 axisLabel: { interval: 0 } },
        series: [{ name: label, type: "bar", label: { show: true, position: "right" },
                   data: (region.values || []).slice().reverse() }]
      };
    },
    "chart-date": function () {
      var dates = data.dates || { days: [] };
      return {
        tooltip: Object.assign({ trigger: "axis" }, tooltip),
        // Room on both sides, and the first and last dates always shown, so neither is clipped.
        grid: { left: 24, right: 24, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: dates.days, boundaryGap: true,
                 axisLabel: { showMinLabel: true, showMaxLabel: true, hideOverlap: true,
                              formatter: function (day) { return day.slice(5); } } },
        yAxis: { type: "value" },
        series: [{ name: label, type: "line", data: dates.values, smooth: false }]
      };
    },
    "chart-kind": function (el) {
      var narrow = el.clientWidth < 480;
      return {
        tooltip: Object.assign({ trigger: "item" }, tooltip),
        legend: { bottom: 0 },
        series: [{ name: label, type: "pie", radius: narrow ? ["30%", "55%"] : ["35%", "62%"],
                   center: ["50%", "44%"], data: data.kinds || [],
                   // Each slice names its value, on phones too (shorter: the value alone).
                   label: { show: true, formatter: narrow ? "{c}" : "{b}\n{c}（{d}%）" } }]
      };
    },
    "chart-map": function () { return data.map ? mapOption(data.map) : null; }
  };

  var back = document.getElementById("chart-map-back");
  var mapTitle = document.getElementById("chart-map-title");
  var countryTitle = mapTitle ? mapTitle.textContent : "";

  function showMap(chart, block, title) {
    withMap(block, function () {
      chart.setOption(mapOption(block), true);
      if (mapTitle) { mapTitle.textContent = title; }
      if (back) { back.classList.toggle("d-none", block === data.map); }
    });
  }

  function mapped(chart) {
    if (!data.drill) { return; }
    chart.on("click", function (params) {
      if (!params.data || !params.data.drill) { return; }
      var url = data.drill + (data.drill.indexOf("?") < 0 ? "?" : "&") +
        "province=" + encodeURIComponent(params.data.adcode);
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (block) { showMap(chart, block, block.title + " · " + label); });
    });
    if (back) {
      back.addEventListener("click", function () { showMap(chart, data.map, countryTitle); });
    }
  }

  var boxes = Object.keys(options).map(function (id) { return document.getElementById(id); })
    .filter(Boolean);
  var charts = [];
  var taken = [];      // boxes drawn or waiting to be
  var queue = [];      // boxes near the screen, waiting for the bundle or for their turn
  var loading = false;

  function draw(el) {
    var chart = echarts.init(el, null, { renderer: "canvas" });
    var option = options[el.id](el);
    if (!option) { return; }
    option.color = brand;
    option.animation = false;
    charts.push(chart);
    if (el.id === "chart-map") {
      withMap(data.map, function () {
        chart.setOption(option);
        el.dataset.drawn = "1";
        mapped(chart);
      });
      return;
    }
    chart.setOption(option);
    el.dataset.drawn = "1";
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

  // The printable report draws every chart at once (data-eager), so the page prints whole.
  var eager = document.currentScript && document.currentScript.dataset.eager;
  if (eager || !("IntersectionObserver" in window)) {
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
