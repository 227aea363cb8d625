// The event form: show the off-site venue fields only when the venue is not the lab itself.
// Without JavaScript every field stays visible and the server ignores the off-site ones for "lab".
(function () {
  "use strict";
  var fieldset = document.getElementById("offsite-venue");
  if (!fieldset) { return; }
  var radios = document.querySelectorAll("input[name='venue_type']");
  function update() {
    var chosen = document.querySelector("input[name='venue_type']:checked");
    fieldset.hidden = !chosen || chosen.value === "lab";
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
