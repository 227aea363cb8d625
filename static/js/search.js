// "Near me" on /search: fills lat/lon from the browser's location and submits the form.
// Loaded as a file (CSP: script-src 'self'); the button stays hidden where geolocation is missing.
(function () {
  "use strict";
  var panel = document.getElementById("search-panel");
  if (panel && window.matchMedia("(min-width: 768px)").matches) { panel.open = true; }
  var button = document.getElementById("near-me");
  var form = document.querySelector("form.search-form");
  if (!button || !form || !("geolocation" in navigator)) { return; }
  button.classList.remove("d-none");
  var status = document.getElementById("near-me-status");

  function field(name) {
    var input = form.querySelector('input[name="' + name + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    return input;
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    if (status) { status.textContent = button.dataset.locating || ""; }
    navigator.geolocation.getCurrentPosition(function (position) {
      field("lat").value = position.coords.latitude.toFixed(5);
      field("lon").value = position.coords.longitude.toFixed(5);
      var radius = form.querySelector('input[name="radius_km"]');
      if (radius && !radius.value) { radius.value = "20"; }
      var city = form.querySelector('input[name="city"]');
      if (city) { city.value = ""; }  // the point decides where; a city would narrow it again
      form.submit();
    }, function () {
      button.disabled = false;
      if (status) { status.textContent = button.dataset.failed || ""; }
    }, {enableHighAccuracy: false, timeout: 10000, maximumAge: 300000});
  });
}());
