// Small DOM helpers: h() builds elements, announce() speaks through the page's aria-live region.

/**
 * h("button", {class: "primary", onclick: fn, "aria-describedby": "x"}, "text", child…) → element.
 * Attribute values false/null/undefined are left out; true gives an empty attribute; on* are listeners.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "value") el.value = value;
    else if (key === "checked") el.checked = !!value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces the children of el. */
export function replace(el, ...children) {
  el.textContent = "";
  append(el, children);
  return el;
}

/** Says text through the polite status region (#live), or the assertive one (#alert) when urgent. */
export function announce(text, urgent = false) {
  const region = document.getElementById(urgent ? "alert" : "live");
  if (!region) return;
  // Clearing first makes screen readers repeat an identical message.
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 30);
}

/** Moves focus to el (made focusable when it is a heading or a region). */
export function focus(el) {
  if (!el) return;
  if (!el.hasAttribute("tabindex") && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) el.setAttribute("tabindex", "-1");
  el.focus({ preventScroll: false });
}

let idCounter = 0;
/** A unique element id with the given prefix. */
export function uid(prefix = "id") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
