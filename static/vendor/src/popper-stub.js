// Stands in for Popper (20 KB) in bootstrap.nav.min.js. Popper places dropdowns that float free;
// a dropdown inside a navbar is placed by Bootstrap's CSS instead (Bootstrap marks it
// data-bs-popper="static" and turns Popper's styles off), and the language menu is the only
// dropdown openday has. Bootstrap still creates and destroys a Popper instance: these do nothing.
export function createPopper() {
  return { update() {}, destroy() {}, setOptions() {}, forceUpdate() {} };
}
