// The Bootstrap JavaScript every page loads: the header's two components, the menu that folds
// on phones (collapse) and the language menu (dropdown), both driven by data-bs-* attributes.
// No page uses another component (grep data-bs- templates/). `make vendor` bundles this with
// esbuild into vendor/bootstrap/bootstrap.nav.min.js.
import "bootstrap/js/src/collapse.js";
import "bootstrap/js/src/dropdown.js";
