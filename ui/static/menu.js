// Menus of the user button and the organization switcher. Each is a
// <details> element, so it opens and closes without JavaScript; this
// module makes them close the way menus do: opening one closes the
// others, a click outside an open menu closes it, and Escape closes it
// and gives focus back to its button. Both components load this file; as
// a module it runs once per page however often it is included.

const menus = "details.ea-userbutton, details.ea-orgswitcher";

function closeAll(except) {
  for (const d of document.querySelectorAll(menus)) {
    if (d !== except && d.open) d.open = false;
  }
}

// toggle does not bubble: listen in the capture phase.
document.addEventListener("toggle", (e) => {
  const d = e.target;
  if (d instanceof HTMLDetailsElement && d.open && d.matches(menus)) closeAll(d);
}, true);

document.addEventListener("click", (e) => {
  const inside = e.target instanceof Element ? e.target.closest(menus) : null;
  closeAll(inside);
});

document.addEventListener("keydown", (e) => {
  if (e.key !== "Escape") return;
  const open = document.querySelector(menus.replaceAll("details", "details[open]"));
  if (!open) return;
  // Focus goes back to the menu's button unless the person had moved it
  // somewhere else on the page.
  const a = document.activeElement;
  const back = !a || a === document.body || open.contains(a);
  closeAll(null);
  if (back) open.querySelector("summary")?.focus();
});
