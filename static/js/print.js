/* The print pages' one button (no inline scripts under the CSP). */
(function () {
  'use strict';
  var button = document.getElementById('print-button');
  if (button) { button.addEventListener('click', function () { window.print(); }); }
}());
