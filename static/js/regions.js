/* Narrow the city and district lists when the province or city changes, from the geo
   blueprint's JSON (/geo/children/<adcode> → [{"adcode", "name"}]). Without JavaScript the form's
   "update lists" button re-renders the page with the narrowed lists instead. */
(function () {
  "use strict";

  function reset(select, placeholder) {
    while (select.options.length) { select.remove(0); }
    select.add(new Option(placeholder, ""));
    select.value = "";
  }

  function fill(select, regions, placeholder, emptyText) {
    reset(select, regions.length || !emptyText ? placeholder : emptyText);
    regions.forEach(function (region) { select.add(new Option(region.name, region.adcode)); });
  }

  function load(form, select) {
    var next = form.querySelector("select[name='" + select.dataset.next + "']");
    if (!next) { return; }
    var after = next.dataset.next ? form.querySelector("select[name='" + next.dataset.next + "']") : null;
    reset(next, next.dataset.placeholder || "");
    if (after) { reset(after, after.dataset.placeholder || ""); }
    if (!select.value) { return; }
    var url = select.dataset.childrenUrl.replace("000000", encodeURIComponent(select.value));
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (regions) {
        fill(next, regions, next.dataset.placeholder || "", next.dataset.empty);
        next.focus();
      })
      .catch(function () {
        // Leave the no-JS button to do the work.
        form.querySelectorAll(".region-refresh").forEach(function (el) { el.classList.remove("d-none"); });
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.needs-regions").forEach(function (form) {
      var selects = form.querySelectorAll("select[data-children-url][data-next]");
      if (!selects.length || !window.fetch) { return; }
      form.querySelectorAll(".region-refresh").forEach(function (el) { el.classList.add("d-none"); });
      selects.forEach(function (select) {
        select.addEventListener("change", function () { load(form, select); });
      });
    });
  });
}());
