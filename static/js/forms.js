// Forms sent back with errors: move focus to the first field in error, so a phone's keyboard
// and a screen reader land where the fix is. Loaded as a file (CSP: script-src 'self').
(function () {
  "use strict";
  var field = document.querySelector("main form [aria-invalid='true']");
  if (!field) { return; }
  field.focus({preventScroll: true});
  field.scrollIntoView({block: "center"});
}());
